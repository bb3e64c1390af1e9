"""``wiretool serve sse``: options → :class:`~wiretool.serve.sse.ServeOptions` → serve until Ctrl-C."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from wiretool.cli.options import global_options, make_env

if TYPE_CHECKING:
    from wiretool.output.sink import Output
    from wiretool.serve.sse import ServeOptions


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to bind (0: any free port; the first line says which).")
@click.option("--mode", type=click.Choice(["ticks", "llm"]), default="ticks", show_default=True,
              help="ticks: numbered events on GET; llm: every POST streams tokens then data: [DONE].")
@click.option("--interval", type=click.FloatRange(min=0), default=1.0, show_default=True, metavar="S",
              help="Seconds between events (0: as fast as possible).")
@click.option("--count", type=click.IntRange(min=1), default=None, metavar="N",
              help="Stop after event N; reconnections then get 204 (default: endless).")
@click.option("--retry", type=click.IntRange(min=0), default=None, metavar="MS",
              help="Send retry: MS at the start of each stream.")
@click.option("--heartbeat", type=click.FloatRange(min=0, min_open=True), default=None, metavar="S",
              help="Send a ': heartbeat' comment every S seconds.")
@click.option("--drop-every", type=click.IntRange(min=1), default=None, metavar="N",
              help="End each response after N events, to show reconnection with Last-Event-ID.")
@click.option("--types", default="", metavar="A,B,...", help="Event types to cycle through (default: message).")
@click.option("--cert", type=click.Path(exists=True, dir_okay=False), help="TLS certificate (PEM): serve https://.")
@click.option("--key", type=click.Path(exists=True, dir_okay=False), help="TLS private key (PEM).")
@click.option("--self-signed", is_flag=True,
              help="Serve https:// (HTTP/2 by ALPN) with a throwaway CA; its path is printed for --cacert.")
@global_options
def serve_sse(host: str, port: int, mode: str, interval: float, count: int | None, retry: int | None,
              heartbeat: float | None, drop_every: int | None, types: str, cert: str | None, key: str | None,
              self_signed: bool) -> int:
    """Local Server-Sent Events server: HTTP/1.1 and h2c, or HTTP/2 over TLS with --self-signed.

    \b
    Routes: / and /events (numbered events; query parameters interval, count, retry, drop_every,
    heartbeat, types override the options), POST /v1/chat/completions (token stream), /status/CODE,
    /text (wrong content type), /nocontent (204), /endless-line (hostile), /silent.

    \b
    Examples:
      wiretool serve sse --interval 0.5 --retry 1000 --drop-every 5
      wiretool serve sse --mode llm --port 0
      wiretool serve sse --self-signed      # then: sse tail https://... --cacert CA
    """
    import asyncio

    from wiretool.errors import UsageError
    from wiretool.output.sink import Output
    from wiretool.serve.sse import ServeOptions

    if key and not cert:
        raise UsageError("--key needs --cert")
    if cert and self_signed:
        raise UsageError("--cert and --self-signed exclude each other")
    opts = ServeOptions(interval=interval, count=count, retry=retry, heartbeat=heartbeat, drop_every=drop_every,
                        types=tuple(t for t in types.split(",") if t), mode=mode)
    out = Output(make_env(), proto="sse")
    return asyncio.run(_serve(out, opts, host=host, port=port, cert=cert, key=key, self_signed=self_signed))


async def _serve(out: Output, opts: ServeOptions, *, host: str, port: int, cert: str | None, key: str | None,
                 self_signed: bool) -> int:
    """Serve until SIGINT or SIGTERM, logging each finished response; exit 0."""
    import asyncio
    import contextlib
    import signal

    import msgspec

    from wiretool.records import Listening
    from wiretool.serve.sse import running_server

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with running_server(opts, host=host, port=port, self_signed=self_signed, certfile=cert, keyfile=key,
                              on_served=lambda rec: out.emit(msgspec.structs.replace(rec, t=out.now()))
                              ) as server:
        out.emit(Listening(t=out.now(), proto_name="sse", url=server.url, cacert=server.ca_file))
        if server.ca_file:
            out.env.stderr.write(f"wiretool: self-signed CA for clients: --cacert {server.ca_file}\n")
            out.env.stderr.flush()
        await stop.wait()
    return 0
