"""``wiretool serve ws``: options → :class:`~wiretool.serve.ws.ServeOptions` → serve until Ctrl-C."""

from __future__ import annotations

import click

from wiretool.cli.options import global_options, make_env


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True,
              help="Port to bind (0: any free port; the first line says which).")
@click.option("--mode", type=click.Choice(["echo", "flood", "script"]), default="echo", show_default=True,
              help="echo: send every message back; flood: send --messages messages then close; script: run FILE.")
@click.argument("script_file", required=False, type=click.Path(exists=True, dir_okay=False), metavar="[FILE]")
@click.option("--messages", type=click.IntRange(min=0), default=100_000, show_default=True,
              help="flood: how many messages.")
@click.option("--size", type=click.IntRange(min=0), default=16, show_default=True, help="flood: bytes per message.")
@click.option("--binary", is_flag=True, help="flood: binary messages instead of text.")
@click.option("--cert", type=click.Path(exists=True, dir_okay=False), help="TLS certificate (PEM): serve wss://.")
@click.option("--key", type=click.Path(exists=True, dir_okay=False), help="TLS private key (PEM).")
@click.option("--self-signed", is_flag=True,
              help="Serve wss:// with a throwaway CA; its path is printed for clients' --cacert.")
@click.option("-s", "--subprotocol", multiple=True, help="Subprotocol to accept (repeatable).")
@click.option("--compression", type=click.Choice(["deflate", "none"]), default="deflate", show_default=True,
              help="Accept permessage-deflate when a client offers it.")
@click.option("--show", type=click.Choice(["frames", "messages", "none"]), default="frames", show_default=True,
              help="What to show of each connection.")
@click.option("--show-secrets", is_flag=True, help="Show Authorization, Cookie and similar headers unredacted.")
@click.option("--misbehave", metavar="CASE", default=None,
              help="Break one RFC 6455 rule after the handshake, to test a client ('list' lists them).")
@global_options
def serve_ws(host: str, port: int, mode: str, script_file: str | None, messages: int, size: int, binary: bool,
             cert: str | None, key: str | None, self_signed: bool, subprotocol: tuple[str, ...], compression: str,
             show: str, show_secrets: bool, misbehave: str | None) -> int:
    """Local WebSocket server on 127.0.0.1:8765 that shows its side of the wire.

    \b
    Examples:
      wiretool serve ws                                   # echo on ws://127.0.0.1:8765
      wiretool serve ws --mode flood --messages 100000 --size 16
      wiretool serve ws --mode script steps.txt --self-signed --port 0
    """
    import asyncio

    from wiretool.errors import UsageError
    from wiretool.output.sink import Output
    from wiretool.serve.ws import ServeOptions, serve

    if misbehave is not None:
        from wiretool.serve.ws_misbehave import CASES, script_text

        if misbehave == "list":
            env = make_env()
            for case in CASES.values():
                env.stdout.write(f"{case.name}\t{case.description} ({case.rule}; a client reports {case.violation})\n")
            env.stdout.flush()
            return 0
        if misbehave not in CASES:
            raise UsageError(f"unknown --misbehave {misbehave!r}: one of {', '.join(CASES)} (or list)")
        if script_file or mode != "echo":
            raise UsageError("--misbehave runs its own script: give neither --mode nor FILE")
    if mode == "script" and not script_file:
        raise UsageError("--mode script needs a FILE")
    if script_file and mode != "script":
        raise UsageError("FILE is only used with --mode script")
    if key and not cert:
        raise UsageError("--key needs --cert")
    opts = ServeOptions(host=host, port=port, mode=mode, messages=messages, size=size, binary=binary,
                        subprotocols=list(subprotocol), compression=compression, show=show,
                        show_secrets=show_secrets)
    if script_file:
        from wiretool.serve.ws_script import load_script

        opts.script = load_script(script_file)
    if misbehave is not None:
        from wiretool.serve.ws_script import parse_script

        opts.mode = "script"
        opts.script = parse_script(script_text(misbehave), source=f"--misbehave {misbehave}")
    if self_signed:
        from wiretool.serve.certs import self_signed as make_self_signed

        made = make_self_signed()
        opts.ssl_context, opts.cacert = made.context, str(made.ca_file)
    elif cert:
        import ssl

        from wiretool.serve.certs import server_context

        try:
            opts.ssl_context = server_context(cert, key)
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(f"cannot load --cert/--key: {exc}") from None
    out = Output(make_env(), proto="ws")
    out.options["show"] = show
    try:
        return asyncio.run(serve(out, opts))
    except OSError as exc:
        from wiretool.errors import ConnectError

        raise ConnectError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
