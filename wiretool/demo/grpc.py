"""Demo part "grpc": a gRPC call to the built-in ``serve h2`` Echo service, frames and messages together.

The server runs in-process on a free loopback port; the client is the same
:class:`~wiretool.transport.h2_grpc.GrpcCall` session that ``wiretool h2 grpc`` runs, so the demo
shows what the command prints: two request messages (the second gzip-compressed, like ``--compress``)
under their DATA frames, the two echoed replies reassembled and decoded without a schema, and the
status read from the trailers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wiretool.output.sink import Output

TITLE = "grpc: an Echo call, each message under its DATA frames, the status from the trailers"
PROTO = "grpc"

# HelloRequest-like messages: {1: "bob"} and {1: "ann", 2: 3}
MESSAGES = (bytes.fromhex("0a03626f62"), bytes.fromhex("0a03616e6e1003"))


async def run(out: Output) -> int:
    """Call Echo with two messages against the built-in server; return the call's exit code (0 when OK)."""
    from wiretool.codec.grpc import frame_message
    from wiretool.run import Limits
    from wiretool.run import run as run_session
    from wiretool.run.h2 import GrpcGoals
    from wiretool.serve.h2 import running_server
    from wiretool.transport.h2 import ClientConfig
    from wiretool.transport.h2_grpc import GrpcCall

    async with running_server() as srv:
        body = frame_message(MESSAGES[0]) + frame_message(MESSAGES[1], "gzip")
        cfg = ClientConfig(scheme="http", host="127.0.0.1", port=srv.port, authority=f"127.0.0.1:{srv.port}",
                           requests=[], push=False)
        call = GrpcCall(cfg, srv.url.rstrip("/"), "/wiretool.Echo/Echo", make_body=lambda schema: body,
                        headers=[("x-demo", "1")], timeout=10.0, compress="gzip")
        return await run_session(call, out, limits=Limits(timeout=10.0), goals=GrpcGoals(cfg.authority))
