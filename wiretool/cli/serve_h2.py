"""``wiretool serve h2``: options → :func:`~wiretool.serve.h2.start_server` → serve until SIGINT/SIGTERM."""

from __future__ import annotations

import click

from wiretool.cli.options import global_options, make_env


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="Port to bind (0: any free port; the first line says which).")
@click.option("--dir", "directory", type=click.Path(exists=True, file_okay=False), metavar="DIR",
              help="Serve the files of DIR (the built-in routes answer what is not there).")
@click.option("--cert", type=click.Path(exists=True, dir_okay=False), help="TLS certificate (PEM): serve https://.")
@click.option("--key", type=click.Path(exists=True, dir_okay=False), help="TLS private key (PEM).")
@click.option("--self-signed", is_flag=True,
              help="Serve https:// (ALPN h2) with a throwaway CA; its path is printed for clients' --cacert.")
@click.option("--misbehave", metavar="CASE", default=None,
              help="h2c server that breaks one RFC 9113 rule in its answer, to test a client ('list' lists them).")
@global_options
def serve_h2(host: str, port: int, directory: str | None, cert: str | None, key: str | None,
             self_signed: bool, misbehave: str | None) -> int:
    """Local HTTP/2 server: h2c (prior knowledge or Upgrade) or TLS with ALPN h2.

    \b
    Routes: /  /bytes/N  /delay/S  /push  /trailers  /reset[?code=NAME]  /goaway[?code=NAME]
            /sse[?count=N&interval=S]  /echo  /status/N   (and the files of --dir DIR)

    \b
    Examples:
      wiretool serve h2 --port 0
      wiretool serve h2 --self-signed --port 8443
      wiretool serve h2 --dir ./public
    """
    import asyncio

    from wiretool.errors import UsageError
    from wiretool.output.sink import Output

    if key and not cert:
        raise UsageError("--key needs --cert")
    if misbehave is not None:
        return _misbehave(host, port, misbehave, bool(cert or self_signed or directory))
    ctx, cacert = None, None
    if self_signed:
        from wiretool.serve.certs import self_signed as make_self_signed

        made = make_self_signed(alpn=("h2",))
        ctx, cacert = made.context, made.ca_file
    elif cert:
        import ssl

        from wiretool.serve.certs import server_context

        try:
            ctx = server_context(cert, key, alpn=("h2",))
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(f"cannot load --cert/--key: {exc}") from None
    out = Output(make_env(), proto="h2")
    try:
        return asyncio.run(_serve(out, host, port, ctx, cacert, directory))
    except OSError as exc:
        from wiretool.errors import ConnectError

        raise ConnectError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def _misbehave(host: str, port: int, name: str, other_options: bool) -> int:
    """``--misbehave``: list the cases, or serve one until SIGINT/SIGTERM."""
    import asyncio
    import contextlib
    import signal

    from wiretool.errors import ConnectError, UsageError
    from wiretool.output.sink import Output
    from wiretool.records import Listening
    from wiretool.serve.h2_misbehave import CASES, serve

    env = make_env()
    if name == "list":
        for case in CASES.values():
            env.stdout.write(f"{case.name}\t{case.description} ({case.rule}; a client reports {case.violation})\n")
        env.stdout.flush()
        return 0
    if name not in CASES:
        raise UsageError(f"unknown --misbehave {name!r}: one of {', '.join(CASES)} (or list)")
    if other_options:
        raise UsageError("--misbehave serves h2c only: give none of --cert, --self-signed, --dir")
    out = Output(env, proto="h2")

    async def main() -> int:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        task = asyncio.ensure_future(serve(host, port, name, lambda p: out.emit(
            Listening(t=out.now(), proto_name="h2", url=f"http://{host}:{p}", cacert=None))))
        waiter = asyncio.ensure_future(stop.wait())
        await asyncio.wait([task, waiter], return_when=asyncio.FIRST_COMPLETED)
        if task.done() and task.exception() is not None:
            exc = task.exception()
            raise ConnectError(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}")
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        out.summary(0)
        return 0

    return asyncio.run(main())


async def _serve(out, host, port, ctx, cacert, directory) -> int:  # type: ignore[no-untyped-def]
    """Listen, say where, log each request, stop on SIGINT/SIGTERM with exit 0."""
    import asyncio
    import contextlib
    import signal
    from pathlib import Path

    from wiretool.records import Listening
    from wiretool.records.h2 import H2Request
    from wiretool.serve.h2 import ServerConfig, start_server

    served = 0

    def log(info: dict) -> None:
        nonlocal served
        served += 1
        out.emit(H2Request(t=out.now(), **info))

    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):  # before the first line, so a script may signal at once
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    cfg = ServerConfig(directory=Path(directory) if directory else None, log=log)
    srv = await start_server(host, port, ssl_context=ctx, cacert=cacert, cfg=cfg)
    out.emit(Listening(t=out.now(), proto_name="h2", url=srv.url, cacert=str(cacert) if cacert else None))
    try:
        await stop.wait()
    finally:
        srv.server.close()
    out.summary(0, requests=served)
    return 0
