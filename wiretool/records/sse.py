"""Server-Sent Events records: what ``sse tail`` and ``serve sse`` observe, with the contract's field names.

NDJSON (shared/ARCHITECTURE.md): ``event`` has ``event`` (type, default ``message``), ``data``, ``id`` (the last
event ID in force) and ``retry`` (the reconnection time in ms the server set, or null); ``comment`` has
``text``; ``connect`` has ``status``, ``http_version``, ``attempt`` and more. All are ``dir: "recv"``.
``to_json`` is written out by hand: it runs once per event, and the generic one is several times slower.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import msgspec

from wiretool.records import Record


class SseConnect(Record, frozen=True, kw_only=True):
    """One HTTP response of the event source (first connection or a reconnection)."""

    proto: ClassVar[str] = "sse"
    type: ClassVar[str] = "connect"

    dir: str = "recv"
    url: str = ""
    method: str = "GET"
    status: int = 0
    reason: str = ""
    http_version: str = ""
    attempt: int = 1
    """1 for the first connection, 2 for the first reconnection, and so on."""
    stream_id: int | None = None
    """The HTTP/2 stream ID (None on HTTP/1.1)."""
    content_type: str = ""
    last_event_id: str | None = None
    """The ``Last-Event-ID`` sent with this request, if any."""
    waited: float = 0.0
    """Seconds waited before this attempt (the reconnection delay)."""
    headers: tuple[tuple[str, str], ...] = ()
    """Response headers, secrets redacted unless --show-secrets."""

    def to_json(self) -> dict[str, Any]:
        return {"proto": "sse", "type": "connect", "t": self.t, "dir": self.dir, "url": self.url,
                "method": self.method, "status": self.status, "reason": self.reason,
                "http_version": self.http_version, "attempt": self.attempt, "stream_id": self.stream_id,
                "content_type": self.content_type, "last_event_id": self.last_event_id,
                "waited": self.waited, "headers": [list(h) for h in self.headers]}


class SseEvent(Record, frozen=True, kw_only=True):
    """A dispatched event, exactly as a browser's ``EventSource`` would deliver it."""

    proto: ClassVar[str] = "sse"
    type: ClassVar[str] = "event"

    dir: str = "recv"
    event: str = "message"
    data: str = ""
    id: str = ""
    retry: int | None = None
    ts: str | None = None
    """Wall-clock arrival time (ISO 8601, UTC), only with --timestamps."""

    def to_json(self) -> dict[str, Any]:
        out = {"proto": "sse", "type": "event", "t": self.t, "dir": self.dir, "event": self.event,
               "data": self.data, "id": self.id, "retry": self.retry}
        if self.ts is not None:
            out["ts"] = self.ts
        return out

    @classmethod
    def json_many(cls, records: Sequence[Record]) -> list[Any]:
        """The NDJSON objects of a socket read's events: :class:`_EventLine` Structs (the keys of
        :meth:`to_json`, in order), cheaper to build and encode than a dict each; an event with ``ts`` (or of
        a subclass) is its ``to_json()``. Tests check both encode alike."""
        if cls is not SseEvent:
            return [r.to_json() for r in records]
        line = _EventLine
        return [line("sse", "event", r.t, r.dir, r.event, r.data, r.id, r.retry)  # type: ignore[attr-defined]
                if r.ts is None else r.to_json() for r in records]  # type: ignore[attr-defined]


class _EventLine(msgspec.Struct, gc=False):
    """The NDJSON object of an event without ``ts``, as msgspec encodes it (:meth:`SseEvent.to_json`'s keys)."""

    proto: str
    type: str
    t: float
    dir: str
    event: str
    data: str
    id: str
    retry: int | None


class SseComment(Record, frozen=True, kw_only=True):
    """A comment line (``: heartbeat``); browsers drop these, wiretool shows them."""

    proto: ClassVar[str] = "sse"
    type: ClassVar[str] = "comment"

    dir: str = "recv"
    text: str = ""
    ts: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = {"proto": "sse", "type": "comment", "t": self.t, "dir": self.dir, "text": self.text}
        if self.ts is not None:
            out["ts"] = self.ts
        return out


class SseChunk(Record, frozen=True, kw_only=True):
    """Body bytes exactly as received (``--raw``); NDJSON gives them as hex and as text with U+FFFD."""

    proto: ClassVar[str] = "sse"
    type: ClassVar[str] = "chunk"

    dir: str = "recv"
    raw: bytes = b""
    ts: str | None = None

    def to_json(self) -> dict[str, Any]:
        out = {"proto": "sse", "type": "chunk", "t": self.t, "dir": self.dir, "length": len(self.raw),
               "hex": self.raw.hex(), "text": self.raw.decode("utf-8", "replace")}
        if self.ts is not None:
            out["ts"] = self.ts
        return out


class SseServed(Record, frozen=True, kw_only=True):
    """``serve sse`` answered a request (one line per stream it served, when it ends)."""

    proto: ClassVar[str] = "sse"
    type: ClassVar[str] = "served"

    dir: str = "send"
    method: str = "GET"
    path: str = ""
    http_version: str = ""
    status: int = 200
    last_event_id: str | None = None
    events: int = 0
    reason: str = ""
