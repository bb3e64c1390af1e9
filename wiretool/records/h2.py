"""HTTP/2 records: frames as they are on the wire, the client preface, and what ``h2 get`` observes.

``H2Frame.to_json`` writes the contract's fields (shared/ARCHITECTURE.md): ``dir, frame_type, length,
flags, stream_id, violations`` always, and the fields a frame type carries only when the frame carries
them, so a script can test ``"settings" in rec`` and an NDJSON line stays short.
"""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec

from wiretool.records import Record, Violation

# Optional H2Frame fields written to JSON only when set, in this order.
_OPTIONAL = ("settings", "headers", "error_code", "window_increment", "last_stream_id", "promised_stream_id",
             "ping_data", "data_length", "padding", "priority", "debug_data", "hpack_table_size",
             "hpack_entries", "offset")


class H2Frame(Record, frozen=True, kw_only=True):
    """One HTTP/2 frame (RFC 9113 §4.1) and what its type carries, decoded."""

    proto: ClassVar[str] = "h2"
    type: ClassVar[str] = "frame"

    dir: str = "recv"
    frame_type: str = ""
    type_code: int = 0
    length: int = 0
    flags: tuple[str, ...] = ()
    stream_id: int = 0
    settings: dict[str, int] | None = None
    headers: list[tuple[str, str]] | None = None
    """Decoded header block, on the frame that ends it (END_HEADERS)."""
    error_code: str | None = None
    window_increment: int | None = None
    last_stream_id: int | None = None
    promised_stream_id: int | None = None
    ping_data: str | None = None
    data_length: int | None = None
    """DATA: payload length without padding."""
    padding: int | None = None
    priority: dict[str, Any] | None = None
    debug_data: str | None = None
    hpack_table_size: int | None = None
    """Size of the direction's HPACK dynamic table after this block (RFC 7541 §4.1)."""
    hpack_entries: list[tuple[str, str]] | None = None
    data: bytes | None = None
    """DATA payload, kept only when the caller asked for bodies (``--body``)."""
    offset: int | None = None
    violations: tuple[Violation, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"proto": "h2", "type": "frame", "t": self.t, "dir": self.dir,
                               "frame_type": self.frame_type, "type_code": self.type_code,
                               "length": self.length, "flags": list(self.flags), "stream_id": self.stream_id}
        for name in _OPTIONAL:
            value = getattr(self, name)
            if value is not None:
                out[name] = [list(h) for h in value] if name in ("headers", "hpack_entries") else value
        if self.data is not None:
            try:
                out["data_text"] = self.data.decode("utf-8")
            except UnicodeDecodeError:
                out["data_hex"] = self.data.hex()
        out["violations"] = [v.to_json() for v in self.violations]
        return out


class H2Preface(Record, frozen=True, kw_only=True):
    """The client connection preface ``PRI * HTTP/2.0\\r\\n\\r\\nSM\\r\\n\\r\\n`` (RFC 9113 §3.4)."""

    proto: ClassVar[str] = "h2"
    type: ClassVar[str] = "preface"

    dir: str = "send"
    length: int = 24
    valid: bool = True
    offset: int | None = None
    violations: tuple[Violation, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"proto": "h2", "type": "preface", "t": self.t, "dir": self.dir,
                               "length": self.length, "valid": self.valid}
        if self.offset is not None:
            out["offset"] = self.offset
        out["violations"] = [v.to_json() for v in self.violations]
        return out


class H2Bytes(Record, frozen=True, kw_only=True):
    """Raw bytes as they crossed the socket (``--hexdump``), before the frame view split them."""

    proto: ClassVar[str] = "h2"
    type: ClassVar[str] = "bytes"

    dir: str = "recv"
    data: bytes = b""

    def to_json(self) -> dict[str, Any]:
        return {"proto": "h2", "type": "bytes", "t": self.t, "dir": self.dir, "length": len(self.data),
                "hex": self.data.hex()}


class H2Connect(Record, frozen=True, kw_only=True):
    """The connection is up: where to, over what, and how HTTP/2 was agreed."""

    proto: ClassVar[str] = "h2"
    type: ClassVar[str] = "connect"

    url: str = ""
    address: str = ""
    tls: bool = False
    alpn: str | None = None
    mode: str = "h2c-prior-knowledge"
    """``h2`` (TLS + ALPN), ``h2c-prior-knowledge`` or ``h2c-upgrade``."""


class H2Upgrade(Record, frozen=True, kw_only=True):
    """One side of the HTTP/1.1 Upgrade dance (``--upgrade``, RFC 7540 §3.2): request or response head."""

    proto: ClassVar[str] = "h2"
    type: ClassVar[str] = "upgrade"

    dir: str = "send"
    start_line: str = ""
    status: int | None = None
    headers: list[tuple[str, str]] = msgspec.field(default_factory=list)


class H2Ping(Record, frozen=True, kw_only=True):
    """``--ping``: the round-trip time from our PING to its ACK."""

    proto: ClassVar[str] = "h2"
    type: ClassVar[str] = "ping"

    rtt_ms: float = 0.0
    ping_data: str = ""


class H2Stream(Record, frozen=True, kw_only=True):
    """``--stats``: one stream's story, written when it ends."""

    proto: ClassVar[str] = "h2"
    type: ClassVar[str] = "stream"

    stream_id: int = 0
    url: str = ""
    method: str = "GET"
    pushed: bool = False
    status: int | None = None
    outcome: str = "ok"
    """``ok``, ``reset`` (with ``error_code``), ``refused`` (above a graceful GOAWAY's last_stream_id: not processed
    by the server) or ``incomplete``."""
    error_code: str | None = None
    time_to_headers_ms: float | None = None
    time_to_first_byte_ms: float | None = None
    duration_ms: float | None = None
    bytes: int = 0


class H2Request(Record, frozen=True, kw_only=True):
    """``serve h2``: one request served (status null when the route reset the stream or the connection)."""

    proto: ClassVar[str] = "h2"
    type: ClassVar[str] = "request"

    stream_id: int = 0
    method: str = ""
    path: str = ""
    status: int | None = None
