"""``probe sse``: what a server owes an ``EventSource`` client (the HTML standard, "Server-sent events").

Unlike the ws and h2 probes, these checks share connections: one stream is watched for ``observe`` seconds
(content type, time to the first event, flushing, keep-alive gaps, UTF-8, ids, retry, caching), one
reconnection is made with ``Last-Event-ID`` (does the stream go on after that id?), and one stream is asked
over HTTP/2 when the URL is https. Every check becomes one case record, judged as the other probes judge.
The body is parsed by wiretool's own event-stream parser (codec/sse.py), the one ``sse tail`` uses.
"""

from __future__ import annotations

import asyncio
import codecs
import time
from dataclasses import dataclass, field
from typing import Any

from wiretool.probe.case import FAILED, INFORMATIONAL, NON_STRICT, OK, UNIMPLEMENTED, CaseResult

SPEC = "HTML Living Standard §9.2 Server-sent events"
MAX_BODY = 8 << 20
"""Bytes read per stream at most: an endless fast stream is cut, never buffered without bound."""


@dataclass
class Stream:
    """What one request saw."""

    status: int | None = None
    http_version: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    first_byte: float | None = None
    reads: list[tuple[float, int]] = field(default_factory=list)
    events: list[tuple[float, Any]] = field(default_factory=list)
    comments: list[float] = field(default_factory=list)
    utf8_error: str | None = None
    error: str | None = None
    ended: bool = False


async def watch(client: Any, url: str, *, seconds: float, headers: dict[str, str] | None = None,
                max_events: int | None = None, enough: float | None = None) -> Stream:
    """Open ``url`` and read its event stream for ``seconds`` at most: until ``max_events`` events, or once
    ``enough`` seconds have passed with at least one event."""
    from wiretool.codec.sse import Comment, Event, SseParser

    s = Stream()
    parser = SseParser()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    t0 = time.monotonic()
    total = 0
    async def read() -> None:
        nonlocal total
        req_headers = {"accept": "text/event-stream", "cache-control": "no-cache", **(headers or {})}
        async with client.stream("GET", url, headers=req_headers) as response:
            s.status = response.status_code
            s.http_version = response.http_version
            s.headers = {k.lower(): v for k, v in response.headers.items()}
            async for chunk in response.aiter_raw():
                now = time.monotonic() - t0
                if s.first_byte is None:
                    s.first_byte = now
                s.reads.append((now, len(chunk)))
                total += len(chunk)
                if s.utf8_error is None:
                    try:
                        utf8.decode(chunk)
                    except UnicodeDecodeError as exc:
                        s.utf8_error = f"invalid UTF-8 at byte {total - len(chunk) + exc.start} of the body"
                for item in parser.feed(chunk):
                    if isinstance(item, Event):
                        s.events.append((now, item))
                    elif isinstance(item, Comment):
                        s.comments.append(now)
                if total > MAX_BODY or (max_events is not None and len(s.events) >= max_events):
                    return
                if enough is not None and now >= enough and s.events:
                    return
            s.ended = True

    try:
        await asyncio.wait_for(read(), seconds)
    except asyncio.TimeoutError:
        pass
    except Exception as exc:  # connection refused, reset, TLS: named, never raised past the probe
        s.error = f"{type(exc).__name__}: {exc}"[:200]
    return s


def judge(url: str, first: Stream, resumed: Stream | None, h2: Stream | None, *, wait: float,
          keepalive: float | None, last_id: str) -> list[CaseResult]:
    """The case records of one probe run."""
    out: list[CaseResult] = []

    def case(cid: str, desc: str, exp: str, rule: str, verdict: str, reason: str, observed: dict[str, Any]) -> None:
        out.append(CaseResult(cid, "sse", desc, exp, f"{SPEC}: {rule}", verdict, reason, observed))

    ctype = first.headers.get("content-type", "")
    base = ctype.split(";")[0].strip().lower()
    ok_type = first.status == 200 and base == "text/event-stream"
    case("sse/1", "GET the stream with Accept: text/event-stream.",
         "200 with Content-Type text/event-stream.", "§9.2.2: a response whose type is not text/event-stream "
         "makes the EventSource fail the connection",
         OK if ok_type else FAILED,
         "200 text/event-stream" if ok_type else f"status {first.status}, content type {ctype or 'none'!r}"
         + (f" ({first.error})" if first.error else ""),
         {"status": first.status, "content_type": ctype, "http_version": first.http_version})
    t_first = first.events[0][0] if first.events else None
    case("sse/2", f"Wait up to {wait:g} s for the first event.", "An event arrives promptly: the server flushes "
         "events as they happen, not when a buffer fills.", "§9.2.7: servers should flush each event; "
         "intermediaries that buffer break the stream",
         OK if t_first is not None and t_first <= wait else FAILED,
         f"first event after {t_first * 1000:.0f} ms" if t_first is not None else
         f"no event within {wait:g} s (first byte: "
         f"{'none' if first.first_byte is None else f'{first.first_byte * 1000:.0f} ms'})",
         {"first_byte_ms": None if first.first_byte is None else round(first.first_byte * 1000, 1),
          "first_event_ms": None if t_first is None else round(t_first * 1000, 1)})
    if len(first.events) >= 2:
        reads_with_events = len({round(t, 6) for t, _ in first.events})
        spread = reads_with_events > 1
        case("sse/3", "Watch how events arrive.", "Events arrive as they are sent, in separate reads when they "
             "are sent apart (a stream that delivers everything in one read at the end was buffered).",
             "§9.2.7: flush each event", OK if spread else NON_STRICT,
             f"{len(first.events)} events in {reads_with_events} reads" if spread else
             f"all {len(first.events)} events arrived in one read: buffered somewhere",
             {"events": len(first.events), "reads": len(first.reads)})
    else:
        case("sse/3", "Watch how events arrive.", "Several events to compare.", "§9.2.7", INFORMATIONAL,
             f"{len(first.events)} event(s) in the watch: not enough to judge flushing", {})
    beats = sorted([t for t, _ in first.events] + first.comments)
    gaps = [b - a for a, b in zip([0.0, *beats], beats, strict=False)]
    max_gap = max(gaps) if gaps else None
    if keepalive is None:
        case("sse/4", "Measure the longest silence (keep-alive).", "Comments or events often enough that proxies "
             "keep the connection (give --keepalive S to check a bound).", "§9.2.7: a comment line every 15 s or so",
             INFORMATIONAL, f"longest silence {max_gap:.2f} s, {len(first.comments)} comments"
             if max_gap is not None else "nothing received", {"comments": len(first.comments)})
    else:
        quiet = max_gap is None or max_gap > keepalive
        case("sse/4", f"Check that the stream is never silent for more than {keepalive:g} s.",
             "A comment or an event at least every --keepalive seconds.", "§9.2.7: keep-alive comments",
             FAILED if quiet else OK, f"longest silence {max_gap:.2f} s" if max_gap is not None else "nothing received",
             {"comments": len(first.comments), "max_gap_s": max_gap})
    case("sse/5", "Decode the body as UTF-8.", "The stream is UTF-8.", "§9.2.5: event streams are always UTF-8",
         FAILED if first.utf8_error else OK, first.utf8_error or "valid UTF-8", {})
    ids = [ev.id for _, ev in first.events if ev.id]
    case("sse/6", "Look for event ids.", "Events carry ids, so a client can resume.", "§9.2.4: the id field",
         OK if ids else INFORMATIONAL, f"last id {ids[-1]!r}" if ids else "no event carries an id", {"ids": ids[:10]})
    retries = [ev.retry for _, ev in first.events if ev.retry is not None]
    case("sse/7", "Look for a retry field.", "retry, if sent, is a number of milliseconds.", "§9.2.6: retry",
         OK if retries else INFORMATIONAL, f"retry {retries[-1]} ms" if retries else "no retry field", {})
    cache = first.headers.get("cache-control", "")
    case("sse/8", "Look at Cache-Control.", "no-cache (or no-store), so no cache holds the stream.",
         "§9.2.7: the response should not be cached", OK if ("no-cache" in cache or "no-store" in cache)
         else NON_STRICT, f"Cache-Control: {cache}" if cache else "no Cache-Control header", {})
    if resumed is None:
        case("sse/9", "Reconnect with Last-Event-ID.", "The stream goes on after that id.", "§9.2.4: Last-Event-ID",
             INFORMATIONAL if not ids else UNIMPLEMENTED, "no id to resume from", {})
    else:
        new_ids = [ev.id for _, ev in resumed.events if ev.id]
        if resumed.status == 204:
            verdict, reason = INFORMATIONAL, "the server answered 204: the stream is over (clients stop)"
        elif resumed.status != 200:
            verdict, reason = FAILED, f"the reconnection got status {resumed.status}"
        elif not new_ids:
            verdict, reason = INFORMATIONAL, "no event with an id after the reconnection"
        elif new_ids[0] in ids:
            verdict, reason = FAILED, (f"the server ignored Last-Event-ID {last_id!r}: the first event after "
                                       f"reconnecting has id {new_ids[0]!r}, one already seen")
        else:
            verdict, reason = OK, f"resumed after {last_id!r} with {new_ids[0]!r}"
        case("sse/9", f"Reconnect with Last-Event-ID: {last_id[:40]}.", "The stream continues after that id, "
             "without repeating what was seen.", "§9.2.4: the Last-Event-ID header", verdict, reason,
             {"status": resumed.status, "ids": new_ids[:10]})
    if h2 is None:
        case("sse/10", "The same stream over HTTP/2.", "An HTTP/2 server streams events the same way.",
             "RFC 9113 with §9.2", UNIMPLEMENTED, "http:// URL: HTTP/2 is checked over TLS (ALPN)", {})
    elif h2.http_version != "HTTP/2":
        case("sse/10", "The same stream over HTTP/2.", "An HTTP/2 server streams events the same way.",
             "RFC 9113 with §9.2", UNIMPLEMENTED, f"the server did not negotiate h2 ({h2.http_version or h2.error})",
             {})
    else:
        good = h2.status == 200 and bool(h2.events)
        case("sse/10", "The same stream over HTTP/2.", "200 text/event-stream and events over h2.",
             "RFC 9113 with §9.2", OK if good else FAILED,
             f"{len(h2.events)} events over h2" if good else f"status {h2.status}, {len(h2.events)} events", {})
    return out


async def probe(url: str, *, wait: float, observe: float, keepalive: float | None, verify: Any,
                timeout: float) -> list[CaseResult]:
    """Every sse case against ``url``."""
    import httpx

    t0 = time.monotonic()
    async with httpx.AsyncClient(verify=verify, timeout=httpx.Timeout(timeout, read=None)) as client:
        first = await watch(client, url, seconds=max(wait, observe), enough=observe)
        ids = [ev.id for _, ev in first.events if ev.id]
        resumed = None
        if ids:
            resumed = await watch(client, url, seconds=wait, headers={"last-event-id": ids[-1]}, max_events=3)
    h2 = None
    if url.lower().startswith("https:"):
        async with httpx.AsyncClient(verify=verify, http2=True, timeout=httpx.Timeout(timeout, read=None)) as client:
            h2 = await watch(client, url, seconds=wait, max_events=2)
    results = judge(url, first, resumed, h2, wait=wait, keepalive=keepalive, last_id=ids[-1] if ids else "")
    spent = time.monotonic() - t0
    for r in results:
        r.duration = spent / max(1, len(results))
    return results
