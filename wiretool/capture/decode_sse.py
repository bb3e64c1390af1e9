"""An SSE capture's bytes decoded again: each request's response head, then the events of its body.

A body the server sent with a ``Content-Encoding`` (gzip, deflate) is inflated as ``sse tail`` inflates it
live (:class:`~wiretool.codec.inflate.Inflater`, a bounded piece at a time), so the decode of a capture gives
the events the live run showed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from wiretool.secrets import redact, redact_url

if TYPE_CHECKING:
    from wiretool.capture.file import Capture
    from wiretool.records import Record


def decode_sse(cap: Capture, hpack_entries: bool = False, show_secrets: bool = False) -> Iterator[Record]:
    """Each request of each connection (HTTP/1.1 keep-alive or HTTP/2 streams): its response head, then
    the events of its body, each stamped with the time of the bytes that completed it."""
    from urllib.parse import urlsplit

    from wiretool.capture.exchanges import exchanges
    from wiretool.codec.inflate import InflateError, Inflater
    from wiretool.codec.sse import SseParser
    from wiretool.records import Note
    from wiretool.records.sse import SseConnect

    parts = urlsplit(str(cap.header.get("url", "")))
    origin = redact_url(f"{parts.scheme}://{parts.netloc}", show_secrets) if parts.netloc else ""
    parser = SseParser()
    exs = exchanges(cap.chunks)
    for n, ex in enumerate(exs, 1):
        req, resp = ex.request, ex.response
        t0 = ex.response_t
        if resp is None:
            yield Note(t=t0, proto_name="sse", text=f"request {n}: no whole response head", level="warn")
            continue
        reason = resp.start_line.split(" ", 2)[2] if resp.start_line.count(" ") >= 2 else ""
        # A target in absolute form (a tampered capture) is shown as recorded, not pasted after the origin.
        url = (req.target if "://" in req.target else origin + req.target) if req else ""
        yield SseConnect(t=t0, url=redact_url(url, show_secrets), method=req.method if req else "GET",
                         status=resp.status or 0, reason=reason or _phrase(resp.status),
                         http_version=resp.start_line.split(" ", 1)[0],
                         attempt=n, stream_id=ex.stream_id or None, content_type=resp.get("content-type") or "",
                         last_event_id=req.get("last-event-id") if req else None,
                         headers=tuple((k.lower(), redact(k, v, show_secrets)) for k, v in resp.headers))
        parser.reset()
        encoding = resp.get("content-encoding") or ""
        inflater = Inflater(encoding)
        pieces = [*ex.body, (ex.body[-1][0] if ex.body else t0, None)]
        for t, data in pieces:
            try:
                if inflater.identity:
                    items = parser.feed(data) if data is not None else (parser.end() if ex.ended else [])
                    yield from _records(items, t)
                    continue
                for piece in inflater.feed(data) if data is not None else inflater.finish():
                    yield from _records(parser.feed(piece), t)
                if data is None and ex.ended:
                    yield from _records(parser.end(), t)
            except InflateError as exc:
                yield Note(t=t, proto_name="sse", level="warn",
                           text=f"request {n}: cannot decode the body (Content-Encoding {encoding!r}): {exc}")
                break
        if cap.cut_short and not ex.ended and n == len(exs):
            from wiretool.capture.decode_ws import CUT_SHORT

            yield Note(t=pieces[-1][0], proto_name="sse", text=CUT_SHORT, level="warn")


def _records(items: list, t: float) -> Iterator[Record]:
    """The parser's events and comments as records stamped ``t``."""
    from wiretool.codec.sse import Comment, Event
    from wiretool.records.sse import SseComment, SseEvent

    for item in items:
        if type(item) is Event:
            yield SseEvent(t=t, event=item.event, data=item.data, id=item.id, retry=item.retry)
        elif isinstance(item, Comment):
            yield SseComment(t=t, text=item.text)


def _phrase(status: int | None) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status or 0).phrase
    except ValueError:
        return ""
