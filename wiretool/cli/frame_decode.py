"""``wiretool frame decode``: decode WebSocket (or HTTP/2) frames from hex, base64 or raw bytes.

Only wiring: read the bytes (:mod:`wiretool.cli.input_bytes`), feed them to the codec, emit the records,
end with a summary. This path is kept light on purpose: under ``--json`` it imports neither rich nor
the websockets package, so decoding one frame starts about as fast as Python itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from wiretool.cli.options import global_options, make_env
from wiretool.exitcodes import ExitCode

if TYPE_CHECKING:
    from collections.abc import Iterator

    from wiretool.output.sink import Output
    from wiretool.records import Record

CHUNK = 1 << 18
"""Bytes fed to the frame parser at a time by ``decode_ws`` (memory stays proportional to this, not the input)."""


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
@global_options
def decode(data: tuple[str, ...], file: str | None, encoding: str, proto: str, sender: str | None,
           deflate: bool, no_context_takeover: bool, hpack: bool, capture: str | None, show_secrets: bool) -> int:
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
        return decode_capture(capture, Output(make_env(), proto=proto), hpack_entries=hpack, show_secrets=show_secrets)
    if proto == "h2" and (sender or deflate or no_context_takeover):
        raise UsageError("--from, --deflate and --no-context-takeover apply to --proto ws only")
    if proto == "ws" and hpack:
        raise UsageError("--hpack applies to --proto h2 only")
    raw = read_input(data, file=file, encoding=encoding)
    out = Output(make_env(), proto=proto)
    if proto == "h2":
        from wiretool.cli.frame_decode_h2 import decode_h2

        return decode_h2(raw, out, hpack_entries=hpack)
    return decode_ws(raw, out, sender=sender, deflate=deflate, no_context_takeover=no_context_takeover)


def decode_ws(raw: bytes, out: Output, *, sender: str | None = None, deflate: bool = False,
              no_context_takeover: bool = False) -> int:
    """Decode ``raw`` as one direction of a WebSocket stream, emit every record and a summary; return the exit code."""
    from wiretool.codec.wsframe import WsFrameParser
    from wiretool.records.ws import WsFrame

    parser = WsFrameParser(sender=sender, rsv1_allowed=deflate, deflate=deflate,
                           no_context_takeover=no_context_takeover, messages=True)
    frames = messages = violations = 0
    t = out.now()
    view = memoryview(raw)

    def batches() -> Iterator[list[Record]]:
        """The records a chunk at a time: a large input never holds all of its records at once."""
        for start in range(0, len(raw), CHUNK):
            yield parser.feed(view[start:start + CHUNK], t)
        yield parser.finish(t)

    with out.batched():
        for records in batches():
            for record in records:
                if isinstance(record, WsFrame):
                    frames += 1
                    violations += len(record.violations)
                else:
                    messages += 1
                out.emit(record)
    code = ExitCode.PROTOCOL if violations else ExitCode.OK
    if violations:  # like every failing run: one stderr line, and an `error` record before the summary
        out.error(f"{violations} protocol violation(s) in the decoded bytes", int(code))
    out.summary(int(code), frames=frames, messages=messages, violations=violations, bytes=len(raw))
    return int(code)
