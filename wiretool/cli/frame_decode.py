"""``wiretool frame decode``: decode WebSocket (or HTTP/2) frames from hex, base64 or raw bytes.

Only wiring: read the bytes (:mod:`wiretool.cli.input_bytes`), feed them to the codec, emit the records,
end with a summary. This path is kept light on purpose: under ``--json`` it imports neither rich nor
the websockets package, so decoding one frame starts about as fast as Python itself.
"""

from __future__ import annotations

from typing import Any

import click

from wiretool.cli.options import global_options, make_env

__all__ = ["decode"]


def __getattr__(name: str) -> Any:
    """``CHUNK`` and ``decode_ws`` live in :mod:`wiretool.run.decode`; imported on use, as the command does."""
    if name in ("CHUNK", "decode_ws"):
        from wiretool.run import decode as module

        return getattr(module, name)
    raise AttributeError(name)



@click.command()
@click.argument("data", nargs=-1, metavar="[HEX...|-]")
@click.option("--file", "file", type=click.Path(dir_okay=False, allow_dash=True), metavar="PATH",
              help="Read the bytes from PATH ('-' for stdin) instead of the arguments.")
@click.option("--encoding", type=click.Choice(["hex", "base64", "raw"]), default="hex", show_default=True,
              help="How the input bytes are written.")
@click.option("--proto", type=click.Choice(["ws", "h2"]), default="ws", show_default=True,
              help="Frame format: WebSocket (RFC 6455) or HTTP/2 (RFC 9113).")
@click.option("--from", "sender", type=click.Choice(["client", "server"]), default=None,
              help="Who sent the bytes: turns on the masking rules (clients mask, servers do not).")
@click.option("--deflate", is_flag=True, help="permessage-deflate was negotiated: inflate RSV1 messages.")
@click.option("--no-context-takeover", is_flag=True,
              help="With --deflate: each message was compressed with a fresh window.")
@click.option("--hpack", is_flag=True, help="With --proto h2: show the HPACK table entries too.")
@click.option("--capture", type=click.Path(dir_okay=False), metavar="FILE",
              help="Re-decode a capture (from --record), any protocol, both directions.")
@click.option("--show-secrets", is_flag=True, help="With --capture: show secret header values a capture kept.")
@click.option("--view", "view_name", metavar="NAME", default=None,
              help="With --capture: decode every ws message / sse event with this payload view ('raw': none; "
                   "default: picked from the subprotocol, the URL and the first packets).")
@global_options
def decode(data: tuple[str, ...], file: str | None, encoding: str, proto: str, sender: str | None,
           deflate: bool, no_context_takeover: bool, hpack: bool, capture: str | None, show_secrets: bool,
           view_name: str | None) -> int:
    """Decode frames from bytes: hex arguments (spaces, colons, 0x and \\x tolerated), --file PATH or - (stdin).

    \b
    Examples:
      wiretool frame decode 81 85 37 fa 21 3d 7f 9f 4d 51 58 --from client
      wiretool frame craft --payload hi --out raw | wiretool frame decode --encoding raw -
      wiretool frame decode --capture session.wtcap --json

    Exit status: 0 when every frame is valid, 5 when any violation is found, 2 for unreadable input.
    """
    from wiretool.cli.input_bytes import read_input
    from wiretool.errors import UsageError
    from wiretool.output.sink import Output

    if capture:
        from wiretool.cli.frame_decode_capture import decode_capture

        if data or file:
            raise UsageError("--capture reads the bytes from FILE: give no other input")
        from wiretool.cli.views import resolve_view

        view, views_on = resolve_view(view_name)
        return decode_capture(capture, Output(make_env(), proto=proto), hpack_entries=hpack, show_secrets=show_secrets,
                              view=view, views=views_on)
    if view_name is not None:
        raise UsageError("--view applies to --capture only (bare frames have no connection to pick a view for)")
    if proto == "h2" and (sender or deflate or no_context_takeover):
        raise UsageError("--from, --deflate and --no-context-takeover apply to --proto ws only")
    if proto == "ws" and hpack:
        raise UsageError("--hpack applies to --proto h2 only")
    raw = read_input(data, file=file, encoding=encoding)
    out = Output(make_env(), proto=proto)
    if proto == "h2":
        from wiretool.cli.frame_decode_h2 import decode_h2

        return decode_h2(raw, out, hpack_entries=hpack)
    from wiretool.run.decode import decode_ws

    return decode_ws(raw, out, sender=sender, deflate=deflate, no_context_takeover=no_context_takeover)
