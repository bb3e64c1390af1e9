"""Demo part "ws": a WebSocket echo session with a ping and a clean close, against the built-in server.

The server (``serve ws``, echo mode) runs in-process on a free loopback port with its own view
silenced; the client is the real ``ws connect`` run, so what the demo prints is what that command
prints: the handshake, every frame both ways (masks included), the ping's round trip and the close.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from wiretool.exitcodes import ExitCode

if TYPE_CHECKING:
    from wiretool.output.sink import Output

TITLE = "ws: an echo session with a ping and a clean close (wiretool ws connect)"
PROTO = "ws"


async def run(out: Output) -> int:
    """Start ``serve ws`` in-process, run ``ws connect --send ... --count 1`` against it, stop it."""
    from wiretool.output.env import Environment
    from wiretool.output.sink import Output as Sink
    from wiretool.serve.ws import ServeOptions, running_server
    from wiretool.transport.ws import ClientOptions
    from wiretool.transport.ws_session import ConnectPlan, run_connect

    quiet = Sink(Environment(stdout=io.StringIO(), stderr=io.StringIO(), json=True), proto="ws")
    async with running_server(quiet, ServeOptions(port=0, show="none")) as server:
        url = f"{server.url}/demo"
        out.note(f"$ wiretool serve ws   # listening on {server.url}")
        out.note(f"$ wiretool ws connect {url} --send 'hello, wiretool' --count 1   # with a ping first")
        plan = ConnectPlan(client=ClientOptions(url=url), sends=[("ping", b"demo"), ("text", b"hello, wiretool")],
                           count=1, timeout=10, stdin="none")
        code = await run_connect(out, plan)
    if code != ExitCode.OK:
        out.note(f"unexpected demo result: exit {code}", level="error")
    return code
