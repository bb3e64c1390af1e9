"""Demo part: Server-Sent Events against the built-in server, with a dropped stream, a reconnection that
sends Last-Event-ID, and the server's ``retry`` honoured, through the same code as ``wiretool sse tail``.
"""

from __future__ import annotations

from wiretool.output.sink import Output

TITLE = "Server-Sent Events: a stream drops, the client resumes with Last-Event-ID"
PROTO = "sse"


async def run(out: Output) -> int:
    """Serve 5 events, ending each response after 2; follow them with browser reconnection rules."""
    from wiretool.run import Limits
    from wiretool.run import run as run_session
    from wiretool.run.sse import SseGoals, sse_show
    from wiretool.serve.sse import ServeOptions, running_server
    from wiretool.transport.sse import ReconnectPolicy, SseRequest, SseSession

    async with running_server(ServeOptions(interval=0.05, count=5, drop_every=2, retry=200, heartbeat=0.08)) as srv:
        url = srv.url + "events"
        out.note(f"wiretool serve sse on {srv.url} (5 events, drops the stream every 2, retry: 200)")
        out.note(f"wiretool sse tail {url}")
        session = SseSession(SseRequest(url=url, connect_timeout=5), ReconnectPolicy(max_reconnects=5))
        return await run_session(session, out, limits=Limits(timeout=20), goals=SseGoals(),
                                 show=sse_show(out, out, raw=False, types=frozenset()))
