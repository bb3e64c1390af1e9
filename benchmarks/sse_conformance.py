"""SSE conformance: the corpus of tests/codec/sse_corpus.py served over loopback to three clients.

Each case's body is served by a raw HTTP/1.1 server (no framework in between, so the bytes are exactly the
case's), once whole and once a byte per write, to:

- wiretool (``SseSession``, the code behind ``wiretool sse tail``),
- httpx-sse (``aconnect_sse`` + ``aiter_sse``),
- aiohttp-sse-client (``EventSource``).

A client passes a case when, at both chunkings, it delivers exactly the events a browser dispatches (type,
data, last event ID) and leaves the same reconnection time in force. A peer that is not installed is shown
as absent. Prints a Markdown table (the README's, pasted from this output):

    .venv/bin/python benchmarks/sse_conformance.py
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "codec"))

from sse_corpus import CASES, Case

Events = list[tuple[str, str, str]]
Result = tuple[Events, int | None]
Client = Callable[[str], Awaitable[Result]]


class CorpusServer:
    """Serves /N/MODE: case N's body (MODE ``whole`` or ``bytewise``), then 204 to any repeat request."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            if path in self.seen:
                writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
                return
            self.seen.add(path)
            _, index, mode, _run = path.split("/")
            case = CASES[int(index)]
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
                         b"Connection: close\r\n\r\n")
            await writer.drain()
            chunks = [case.body] if mode == "whole" else [case.body[i:i + 1] for i in range(len(case.body))]
            for chunk in chunks:
                writer.write(chunk)
                await writer.drain()
                await asyncio.sleep(0.0005)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()


async def wiretool_client(url: str) -> Result:
    from wiretool.records.sse import SseEvent
    from wiretool.session import ListSink
    from wiretool.transport.sse import ReconnectPolicy, SseRequest, SseSession

    session = SseSession(SseRequest(url=url), ReconnectPolicy(reconnect=False))
    sink = ListSink(clock=time.monotonic)
    await session.run(sink)
    events = [(r.event, r.data, r.id) for r in sink.records if isinstance(r, SseEvent)]
    return events, session.codec.retry


async def httpx_sse_client(url: str) -> Result:
    import httpx
    from httpx_sse import aconnect_sse

    events: Events = []
    retry = None
    async with httpx.AsyncClient() as client, aconnect_sse(client, "GET", url) as source:
        async for ev in source.aiter_sse():
            events.append((ev.event, ev.data, ev.id))
            if ev.retry is not None:
                retry = ev.retry
    return events, retry


async def aiohttp_sse_client(url: str) -> Result:
    from aiohttp_sse_client.client import EventSource

    events: Events = []
    ended = asyncio.Event()
    box: dict[str, timedelta] = {}
    initial = timedelta(milliseconds=1)

    def on_error() -> None:
        box.setdefault("retry", source._reconnection_time)
        ended.set()

    source = EventSource(url, reconnection_time=initial, max_connect_retry=0, on_error=on_error)

    async def consume() -> None:
        async with source:
            async for ev in source:
                events.append((ev.type or "message", ev.data, ev.last_event_id))

    task = asyncio.ensure_future(consume())
    waiter = asyncio.ensure_future(ended.wait())
    await asyncio.wait([task, waiter], timeout=10, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    if task.done() and task.exception() is not None and "retry" not in box:
        raise task.exception()  # type: ignore[misc]
    task.cancel()
    try:
        await task
    except BaseException:  # the client raises on the 204 that ends its reconnection
        pass
    retry = box.get("retry", initial)
    return events, None if retry == initial else int(retry / timedelta(milliseconds=1))


def _available(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


CLIENTS: list[tuple[str, str, Client]] = [
    ("wiretool", "wiretool", wiretool_client),
    ("httpx-sse", "httpx_sse", httpx_sse_client),
    ("aiohttp-sse-client", "aiohttp_sse_client", aiohttp_sse_client),
]


async def check(client: Client, base: str, index: int, case: Case, run: str) -> str:
    """'pass', or why not."""
    for mode in ("whole", "bytewise"):
        try:
            events, retry = await asyncio.wait_for(client(f"{base}/{index}/{mode}/{run}"), 15)
        except Exception as exc:  # a peer crashing on a case is a result, not a bug here
            return f"raises {type(exc).__name__}"
        if events != list(case.events):
            return _diff(events, list(case.events), mode)
        if retry != case.retry:
            return f"retry {retry} ({mode})"
    return "pass"


def _diff(got: Events, expected: Events, mode: str) -> str:
    """A short reason for a table cell: what came out instead of what a browser dispatches."""
    if len(got) != len(expected):
        extra = [e for e in got if e not in expected]
        what = f"dispatches {extra[0]!r}" if extra and len(got) > len(expected) else \
            f"{len(got)} events, expected {len(expected)}"
    else:
        g, e = next((g, e) for g, e in zip(got, expected, strict=True) if g != e)
        what = f"gives {g!r}, expected {e!r}"
    text = f"{what} ({mode})"
    return text.replace("|", "\\|").replace("\n", "\\n")


async def main() -> int:
    logging.getLogger("aiohttp_sse_client").setLevel(logging.ERROR)
    server = CorpusServer()
    srv = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    base = f"http://127.0.0.1:{srv.sockets[0].getsockname()[1]}"
    present = [(name, fn) for name, module, fn in CLIENTS if _available(module)]
    absent = [name for name, module, _ in CLIENTS if not _available(module)]
    results: dict[str, list[str]] = {name: [] for name, _ in present}
    for index, case in enumerate(CASES):
        for name, fn in present:
            results[name].append(await check(fn, base, index, case, name))
    srv.close()
    names = [name for name, _, _ in CLIENTS]
    print("| case | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    for index, case in enumerate(CASES):
        cells = []
        for name in names:
            if name in absent:
                cells.append("absent")
                continue
            res = results[name][index]
            cells.append("✅" if res == "pass" else f"❌ {res}")
        print(f"| {case.name} | " + " | ".join(cells) + " |")
    totals = []
    for name in names:
        if name in absent:
            totals.append("absent")
        else:
            totals.append(f"**{sum(r == 'pass' for r in results[name])}/{len(CASES)}**")
    print("| **passed** | " + " | ".join(totals) + " |")
    for name in absent:
        print(f"\n{name}: absent (not installed; `pip install -e '.[bench]'`)")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
