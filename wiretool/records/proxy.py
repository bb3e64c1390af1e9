"""Records of ``wiretool proxy``: a connection opening and ending, HTTP/1.1 heads, opaque bytes, and the ``conn`` tag.

A proxy watches many connections at once, so every record it shows carries ``conn`` (first seen = 1, as
the NDJSON contract says). The codecs' own records (ws frames, h2 frames, sse events, grpc messages) know
nothing about connections; :class:`OnConn` wraps one of them with its connection number on the way to the
sink, and its ``to_json`` is the inner record's object plus ``conn`` (and ``dir`` where the inner record
has none: SSE events always travel ``s2c``).

``proto`` is ``proxy`` for what only a proxy observes (``open``, ``end``), ``http`` for HTTP/1.1 heads and
``tcp`` for bytes that are no protocol wiretool knows.
"""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec

from wiretool.records import Record, Violation


class OnConn:
    """One record of connection ``conn``: the inner record, unchanged, and the connection it crossed."""

    __slots__ = ("conn", "record")

    def __init__(self, conn: int, record: Record) -> None:
        self.conn = conn
        self.record = record

    @property
    def proto(self) -> str:
        return self.record.proto or getattr(self.record, "proto_name", "")

    @property
    def type(self) -> str:
        return self.record.type

    @property
    def t(self) -> float:
        return self.record.t

    def to_json(self) -> dict[str, Any]:
        out = self.record.to_json()
        out["conn"] = self.conn
        return out

    def __repr__(self) -> str:
        return f"OnConn({self.conn}, {self.record!r})"


class ProxyOpen(Record, frozen=True, kw_only=True):
    """A client connected and the proxy reached its upstream: who, to where, with which TLS parameters."""

    proto: ClassVar[str] = "proxy"
    type: ClassVar[str] = "open"

    client: str = ""
    upstream: str = ""
    tls: bool = False
    """The client's leg is TLS (``--tls`` listener, or an intercepted CONNECT)."""
    upstream_tls: bool = False
    alpn: str | None = None
    sni: str | None = None


class ProxyEnd(Record, frozen=True, kw_only=True):
    """The one-line summary of a connection when it ends: what it spoke, how much, how it ended."""

    proto: ClassVar[str] = "proxy"
    type: ClassVar[str] = "end"

    protocol: str = "tcp"
    """What the connection turned out to speak: ``http``, ``ws``, ``sse``, ``h2``, ``grpc`` or ``tcp``."""
    bytes_c2s: int = 0
    bytes_s2c: int = 0
    messages: int = 0
    """WebSocket messages, SSE events, gRPC messages or HTTP exchanges (requests answered)."""
    violations: int = 0
    close_code: int | None = None
    """The first WebSocket close code seen (either way)."""
    status: int | str | None = None
    """The last HTTP status, or the gRPC status name of the last call."""
    duration_s: float = 0.0
    error: str | None = None
    """Why the connection ended badly, in one line (a reset, an upstream that refused, garbage), or None."""
    host: str | None = None


class HttpRequest(Record, frozen=True, kw_only=True):
    """An HTTP/1.1 request head as the client sent it (headers redacted unless --show-secrets)."""

    proto: ClassVar[str] = "http"
    type: ClassVar[str] = "request"

    dir: str = "c2s"
    method: str = ""
    target: str = ""
    version: str = ""
    headers: list[list[str]] = msgspec.field(default_factory=list)


class HttpResponse(Record, frozen=True, kw_only=True):
    """An HTTP/1.1 response head as the server sent it (headers redacted unless --show-secrets)."""

    proto: ClassVar[str] = "http"
    type: ClassVar[str] = "response"

    dir: str = "s2c"
    status: int | None = None
    reason: str = ""
    version: str = ""
    headers: list[list[str]] = msgspec.field(default_factory=list)


class HttpBody(Record, frozen=True, kw_only=True):
    """An HTTP/1.1 message body ended: how many bytes it held (transfer coding undone)."""

    proto: ClassVar[str] = "http"
    type: ClassVar[str] = "body"

    dir: str = "s2c"
    length: int = 0


class TcpBytes(Record, frozen=True, kw_only=True):
    """Bytes of a connection that speaks no protocol wiretool knows (shown with ``--show bytes``)."""

    proto: ClassVar[str] = "tcp"
    type: ClassVar[str] = "bytes"

    dir: str = "c2s"
    length: int = 0
    data: bytes = b""
    """The first bytes of the chunk (at most :data:`HEX_LIMIT`), for the hexdump."""


class ProxyProblem(Record, frozen=True, kw_only=True):
    """Something on a connection that is not the protocol it should be, named in one line."""

    proto: ClassVar[str] = "proxy"
    type: ClassVar[str] = "problem"

    dir: str = "c2s"
    message: str = ""
    violations: tuple[Violation, ...] = ()


HEX_LIMIT = 4096
"""Bytes of one chunk kept in a :class:`TcpBytes` record."""
