"""A WebSocket record that crossed inside an HTTP/2 stream (RFC 8441): the record, unchanged, and its stream.

An RFC 8441 WebSocket is a stream of an HTTP/2 connection opened with an extended CONNECT
(``:protocol: websocket``); its DATA frames carry the WebSocket frames. :class:`OnStream` wraps each
WebSocket record decoded from them with the stream's id, the way :class:`~wiretool.records.proxy.OnConn`
wraps a record with its connection: everything else about the record (``proto`` ``ws``, ``type``,
``dir``, ``violations``, ...) is the inner record's, and its NDJSON line is the inner one's plus
``stream_id``.
"""

from __future__ import annotations

from typing import Any

from wiretool.records import Record


class OnStream:
    """One WebSocket record of HTTP/2 stream ``stream_id``; attributes not its own are the inner record's."""

    __slots__ = ("record", "stream_id")

    def __init__(self, stream_id: int, record: Record) -> None:
        self.stream_id = stream_id
        self.record = record

    def __getattr__(self, name: str) -> Any:  # proto, type, t, dir, violations, head, ... of the inner record
        return getattr(self.record, name)

    def to_json(self) -> dict[str, Any]:
        out = self.record.to_json()
        out["stream_id"] = self.stream_id
        return out

    def __repr__(self) -> str:
        return f"OnStream({self.stream_id}, {self.record!r})"
