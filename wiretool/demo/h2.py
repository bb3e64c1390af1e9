"""Demo part "h2": three requests multiplexed on one HTTP/2 connection to the built-in ``serve h2``.

The server runs in-process on a free loopback port (h2c, prior knowledge); the client is the same
:class:`~wiretool.transport.h2.H2Client` that ``wiretool h2 get`` drives, so what the demo shows is
what the command prints: every frame both ways, headers decoded under their HEADERS frame, a pushed
stream and a response with trailers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wiretool.output.sink import Output

TITLE = "h2: three requests multiplexed on one HTTP/2 connection (streams 1, 3, 5)"
PROTO = "h2"


async def run(out: Output) -> int:
    """GET /, /trailers and /push concurrently against the built-in server; return the run's exit code."""
    from wiretool.run import run as run_session
    from wiretool.serve.h2 import running_server
    from wiretool.transport.h2 import ClientConfig, H2Client, RequestSpec

    async with running_server() as srv:
        paths = ["/bytes/64", "/trailers", "/push"]
        cfg = ClientConfig(scheme="http", host="127.0.0.1", port=srv.port, authority=f"127.0.0.1:{srv.port}",
                           requests=[RequestSpec(url=srv.url.rstrip("/") + p, path=p) for p in paths], stats=True)
        return await run_session(H2Client(cfg), out)
