"""One HTTP/1.1 SSE connection of a pcap decoded as it is reassembled: the records of
:func:`wiretool.capture.decode_sse.decode_sse`, a chunk at a time.

``decode_sse`` reads a capture whole (it pairs every request of every connection with its response first, then
shows them connection by connection), which for a pcap would hold a long event stream's bytes until it ends.
A pcap's SSE connection is one HTTP/1.1 connection (detection needs a request head), whose responses come in
request order, each a head, its body and its end; so the same records come out in the same order when each
event is shown as its bytes arrive. What is kept: the requests not yet answered, the parser's unfinished
event, the inflater's window. A test checks this against ``decode_sse`` on the same chunks.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from wiretool.codec.http1 import Head, MessageStream
from wiretool.secrets import redact, redact_url

if TYPE_CHECKING:
    from wiretool.records import Record
    from wiretool.session import Chunk


class _Exchange:
    __slots__ = ("encoding", "failed", "inflater", "last_t", "n", "request", "response", "t0")

    def __init__(self, n: int, request: Head | None) -> None:
        self.n = n
        self.request = request
        self.response: Head | None = None
        self.t0 = 0.0
        self.last_t: float | None = None
        """When its last body piece came (None: no body yet)."""
        self.inflater: Any = None
        self.failed = False
        self.encoding = ""


class SseStream:
    """``feed(chunk)`` then ``finish()``: the records of one HTTP/1.1 connection's SSE exchanges."""

    def __init__(self, url: str, show_secrets: bool = False) -> None:
        from urllib.parse import urlsplit

        from wiretool.codec.sse import SseParser

        parts = urlsplit(url)
        self.origin = redact_url(f"{parts.scheme}://{parts.netloc}", show_secrets) if parts.netloc else ""
        self.show_secrets = show_secrets
        self.parser = SseParser()
        self.reqs, self.resps = MessageStream(requests=True), MessageStream()
        self.waiting: deque[_Exchange] = deque()
        """Requests seen and not yet answered, oldest first."""
        self.current: _Exchange | None = None
        """The exchange whose response is coming (its head seen, not its end)."""
        self.count = 0
        self.last_t = 0.0

    def feed(self, c: Chunk) -> Iterator[Record]:
        """The records chunk ``c`` (``send``: the client's, ``recv``: the server's bytes) completes."""
        self.last_t = c.t
        if c.dir == "send":
            for kind, value in self.reqs.feed(c.data):
                if kind == "head":
                    self.count += 1
                    self.waiting.append(_Exchange(self.count, value))  # type: ignore[arg-type]
            return
        if c.dir != "recv":
            return
        for kind, value in self.resps.feed(c.data):
            yield from self._on_response(kind, value, c.t)

    def finish(self) -> Iterator[Record]:
        """The connection ended: a body that runs to the close ends; what was never answered is said so."""
        for kind, value in self.resps.close():
            yield from self._on_response(kind, value, self.last_t)
        from wiretool.records import Note

        ex = self.current
        if ex is not None:  # a response the capture did not see end
            t = ex.last_t if ex.last_t is not None else ex.t0
            yield from self._end(ex, t, ended=False)
        for ex in self.waiting:
            yield Note(t=0.0, proto_name="sse", text=f"request {ex.n}: no whole response head", level="warn")
        self.waiting.clear()

    # -- inside --------------------------------------------------------------------------------------------
    def _on_response(self, kind: str, value: object, t: float) -> Iterator[Record]:
        if kind == "head":
            head: Head = value  # type: ignore[assignment]
            if head.status is not None and 100 <= head.status < 200 and head.status != 101:
                return  # an interim response
            if self.current is None:
                if self.waiting:
                    self.current = self.waiting.popleft()
                else:
                    self.count += 1
                    self.current = _Exchange(self.count, None)
            self.current.response = head
            self.current.t0 = t
            yield from self._connect(self.current)
            return
        ex = self.current
        if ex is None:
            return
        if kind == "body":
            ex.last_t = t
            yield from self._piece(ex, value, t)  # type: ignore[arg-type]
        elif kind == "end":
            self.current = None
            yield from self._end(ex, ex.last_t if ex.last_t is not None else ex.t0, ended=True)

    def _connect(self, ex: _Exchange) -> Iterator[Record]:
        from wiretool.capture.decode_sse import _phrase
        from wiretool.codec.inflate import Inflater
        from wiretool.records.sse import SseConnect

        req, resp = ex.request, ex.response
        assert resp is not None
        show = self.show_secrets
        reason = resp.start_line.split(" ", 2)[2] if resp.start_line.count(" ") >= 2 else ""
        url = (req.target if "://" in req.target else self.origin + req.target) if req else ""
        yield SseConnect(t=ex.t0, url=redact_url(url, show), method=req.method if req else "GET",
                         status=resp.status or 0, reason=reason or _phrase(resp.status),
                         http_version=resp.start_line.split(" ", 1)[0],
                         attempt=ex.n, stream_id=None, content_type=resp.get("content-type") or "",
                         last_event_id=req.get("last-event-id") if req else None,
                         headers=tuple((k.lower(), redact(k, v, show)) for k, v in resp.headers))
        self.parser.reset()
        ex.encoding = resp.get("content-encoding") or ""
        ex.inflater = Inflater(ex.encoding)

    def _piece(self, ex: _Exchange, data: bytes | None, t: float, ended: bool = False) -> Iterator[Record]:
        """One body piece (None: the end of the body, ``ended`` when the response was seen to end)."""
        from wiretool.capture.decode_sse import _records
        from wiretool.codec.inflate import InflateError
        from wiretool.records import Note

        if ex.failed:
            return
        parser, inflater = self.parser, ex.inflater
        try:
            if inflater.identity:
                items = parser.feed(data) if data is not None else (parser.end() if ended else [])
                yield from _records(items, t)
                return
            for piece in inflater.feed(data) if data is not None else inflater.finish():
                yield from _records(parser.feed(piece), t)
            if data is None and ended:
                yield from _records(parser.end(), t)
        except InflateError as exc:
            ex.failed = True
            yield Note(t=t, proto_name="sse", level="warn",
                       text=f"request {ex.n}: cannot decode the body (Content-Encoding {ex.encoding!r}): {exc}")

    def _end(self, ex: _Exchange, t: float, *, ended: bool) -> Iterator[Record]:
        yield from self._piece(ex, None, t, ended)
