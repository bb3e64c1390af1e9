"""Demo part "replay": record a WebSocket session, then replay it with ``--check`` against a fresh server.

Both servers are ``serve ws`` (echo) in-process with their views silenced. The recording is the real
``ws connect --record``, silenced too; what the demo shows is the replay, as ``wiretool replay --check``
prints it: the frames sent again with fresh masks, the echoes, and the one-line verdict.
"""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from wiretool.exitcodes import ExitCode

if TYPE_CHECKING:
    from wiretool.output.sink import Output

TITLE = "replay: record a ws session, replay it against a new server, check the answers (wiretool replay)"
PROTO = "ws"


async def run(out: Output) -> int:
    """``ws connect --record`` against one echo server, then ``replay --check`` against another."""
    from wiretool.capture.file import read_capture
    from wiretool.output.env import Environment
    from wiretool.output.sink import Output as Sink
    from wiretool.replay.compare import Rules
    from wiretool.replay.options import ReplayOptions
    from wiretool.replay.run import replay_capture
    from wiretool.serve.ws import ServeOptions, running_server
    from wiretool.transport.ws import ClientOptions
    from wiretool.transport.ws_session import ConnectPlan, run_connect

    def quiet() -> Sink:
        return Sink(Environment(stdout=io.StringIO(), stderr=io.StringIO(), json=True), proto="ws")

    with tempfile.TemporaryDirectory(prefix="wiretool-demo-") as tmp:
        cap_path = str(Path(tmp) / "session.wtcap")
        async with running_server(quiet(), ServeOptions(port=0, show="none")) as first:
            out.note(f"$ wiretool ws connect {first.url} --send hello --send-hex 0102ff --count 2 "
                     "--record session.wtcap   # (its output not shown)")
            plan = ConnectPlan(client=ClientOptions(url=first.url),
                               sends=[("text", b"hello"), ("binary", b"\x01\x02\xff")], count=2, timeout=10,
                               stdin="none", record=cap_path)
            code = await run_connect(quiet(), plan)
        if code != ExitCode.OK:
            out.note(f"unexpected demo result: recording exited {code}", level="error")
            return code
        async with running_server(quiet(), ServeOptions(port=0, show="none")) as second:
            out.note(f"$ wiretool replay session.wtcap {second.url} --check")
            opts = ReplayOptions(url=second.url, timeout=10)
            code = await replay_capture(read_capture(cap_path, records=False), opts, out, check=True, rules=Rules())
    if code != ExitCode.OK:
        out.note(f"unexpected demo result: exit {code}", level="error")
    return code
