"""gRPC over HTTP/2, the message layer: PURE.

gRPC frames each message with 5 bytes (1-byte compressed flag, 4-byte big-endian length) and lets
messages split across, or share, HTTP/2 DATA frames. :class:`GrpcMessageAssembler` reassembles them
from DATA payloads fed in order, one assembler per stream and direction, with the one codec interface
(``feed(data, t)``, ``finish(t)``). It never raises and never allocates what a hostile length prefix
claims: a 4 GB prefix is reported and its bytes skipped. :func:`frame_message` is the other way, the one
place that writes the 5-byte prefix (the ``h2 grpc`` client, ``serve h2``'s Echo service, reflection).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from wiretool.codec.http1 import is_digits
from wiretool.codec.protobuf import decode_message
from wiretool.records import Violation
from wiretool.records.grpc import GrpcMessage, GrpcStatus

DEFAULT_MAX_MESSAGE = 4 * 1024 * 1024
"""gRPC's own default receive limit (4 MiB)."""

STATUS_NAMES = (
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
    "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
)

RST_STREAM_TO_STATUS = {0x0: 13, 0x1: 13, 0x2: 13, 0x3: 13, 0x4: 13, 0x5: 13, 0x6: 13, 0x7: 14,
                        0x8: 1, 0x9: 13, 0xA: 13, 0xB: 8, 0xC: 7}
"""HTTP/2 RST_STREAM error code → grpc-status, as gRPC's PROTOCOL-HTTP2.md maps them.

The document gives STREAM_CLOSED no mapping ("implementations should log"): it is shown as INTERNAL,
like every code the table does not name (HTTP_1_1_REQUIRED, unknown extensions).
"""

HTTP_TO_STATUS = {400: 13, 401: 16, 403: 7, 404: 12, 429: 14, 502: 14, 503: 14, 504: 14}
"""A non-200 HTTP status → grpc-status, as gRPC's http-grpc-status-mapping.md says (others: UNKNOWN)."""

SchemaDecode = Callable[[bytes], "tuple[Any, str | None, str | None]"]
"""``payload → (decoded JSON value, message type name, error)``: a schema view handed in from outside."""

_SPEC = "gRPC PROTOCOL-HTTP2"


MAX_STATUS = 191
"""The largest grpc-status taken as given: ``h2 grpc`` exits 64 + N, and an exit status stops at 255."""


def status_name(code: int) -> str:
    """The canonical name of a grpc-status code, or ``CODE_n`` for codes outside the table."""
    return STATUS_NAMES[code] if 0 <= code < len(STATUS_NAMES) else f"CODE_{code}"


def rst_stream_status(error_code: int) -> int:
    """The grpc-status a call ends with when its stream is reset with ``error_code``."""
    return RST_STREAM_TO_STATUS.get(error_code, 13)


def http_status_to_grpc(status: int) -> int:
    """The grpc-status of a response whose HTTP status is not 200."""
    return HTTP_TO_STATUS.get(status, 2)


def parse_status(headers: list[tuple[str, str]], *, stream_id: int = 0, t: float = 0.0) -> GrpcStatus | None:
    """The call's status from trailers (or a Trailers-Only HEADERS block), or None when absent.

    ``grpc-message`` is percent-decoded, as the spec says senders must percent-encode it.
    """
    values = {name.lower(): value for name, value in headers}
    raw = values.get("grpc-status")
    if raw is None:
        return None
    message = unquote(values.get("grpc-message", ""), errors="replace")
    text = raw.strip()
    # ASCII digits only ('²'.isdigit() is true but int() refuses it), and small enough that 64 + code is an
    # exit status: anything else is malformed, which gRPC clients report as UNKNOWN.
    if is_digits(text) and int(text) <= MAX_STATUS:
        code = int(text)
    else:
        code = 2
        message = f"malformed grpc-status {raw[:40]!r}" + (f": {message}" if message else "")
    return GrpcStatus(t=t, stream_id=stream_id, code=code, name=status_name(code), message=message)


def decompress(encoding: str | None, payload: bytes, limit: int) -> tuple[bytes | None, str | None]:
    """Inflate a compressed message (``gzip``, ``deflate``), never producing more than ``limit`` bytes.

    Returns (data, None) or (None, reason): a zip bomb is reported, not inflated.
    """
    enc = (encoding or "identity").lower()
    if enc == "identity":
        return None, "compressed flag set but grpc-encoding is identity"
    if enc == "gzip":
        wbits = 16 + zlib.MAX_WBITS
    elif enc == "deflate":
        wbits = zlib.MAX_WBITS
    else:
        return None, f"unsupported grpc-encoding {enc!r}"
    d = zlib.decompressobj(wbits)
    try:
        out = d.decompress(payload, limit + 1)
    except zlib.error as exc:
        return None, f"cannot decompress ({enc}): {exc}"
    if len(out) > limit:
        return None, f"decompressed message exceeds {limit} bytes"
    if not d.eof:
        return None, f"compressed data ({enc}) is truncated"
    return out, None


def frame_message(payload: bytes, compress: str | None = None) -> bytes:
    """One length-prefixed message: the compressed flag, the 4-byte big-endian length, the payload.

    ``compress`` (``gzip`` or ``deflate``, as ``grpc-encoding`` names them) compresses the payload and sets
    the flag; None sends it as it is.
    """
    flag = 0
    if compress == "gzip":
        c = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
        payload, flag = c.compress(payload) + c.flush(), 1
    elif compress == "deflate":
        payload, flag = zlib.compress(payload), 1
    return bytes([flag]) + len(payload).to_bytes(4, "big") + payload


class GrpcMessageAssembler:
    """Reassemble gRPC messages from one stream's DATA payloads in one direction.

    Call :meth:`feed` with each DATA frame's payload in wire order; it returns the messages completed
    by it. Call :meth:`finish` at END_STREAM to learn about a message cut short.
    """

    def __init__(self, *, stream_id: int = 0, dir: str = "recv", encoding: str | None = None,
                 max_message: int = DEFAULT_MAX_MESSAGE, decode_fields: bool = True,
                 schema: SchemaDecode | None = None) -> None:
        self.stream_id = stream_id
        self.dir = dir
        self.encoding = encoding
        self.max_message = max_message
        self.decode_fields = decode_fields
        self.schema = schema
        self._buf = bytearray()
        self._skip = 0  # bytes still to discard of an oversized message
        self.messages = 0

    def feed(self, data: bytes | bytearray | memoryview, t: float = 0.0) -> list[GrpcMessage]:
        """Add one DATA payload; return the messages it completed, in order. Never raises."""
        out: list[GrpcMessage] = []
        view = memoryview(data)
        if self._skip:
            n = min(self._skip, len(view))
            self._skip -= n
            view = view[n:]
        self._buf += view
        buf = self._buf
        pos = 0
        while len(buf) - pos >= 5:
            flag = buf[pos]
            length = int.from_bytes(buf[pos + 1 : pos + 5], "big")
            if length > self.max_message:
                available = len(buf) - pos - 5
                self._skip = max(0, length - available)
                out.append(self._oversized(flag, length, t))
                pos = len(buf) if self._skip else pos + 5 + length
                continue
            if len(buf) - pos - 5 < length:
                break
            payload = bytes(buf[pos + 5 : pos + 5 + length])
            pos += 5 + length
            out.append(self._message(flag, payload, t))
        del buf[:pos]
        return out

    def finish(self, t: float = 0.0) -> list[GrpcMessage]:
        """End of the stream: report a message whose bytes never all arrived."""
        if not self._buf:
            self._skip = 0  # the rest of an oversized message: already reported when its prefix came
            return []
        have = len(self._buf)
        self._buf.clear()
        self._skip = 0
        v = Violation("grpc-truncated", _SPEC, f"stream ended inside a message ({have} bytes of it received)")
        return [GrpcMessage(t=t, stream_id=self.stream_id, dir=self.dir, length=have, violations=(v,))]

    def _oversized(self, flag: int, length: int, t: float) -> GrpcMessage:
        v = Violation("grpc-too-large", _SPEC,
                      f"length prefix {length} exceeds the {self.max_message}-byte limit; message skipped")
        return GrpcMessage(t=t, stream_id=self.stream_id, dir=self.dir, compressed=bool(flag & 1), length=length,
                           violations=(v,))

    def _message(self, flag: int, payload: bytes, t: float) -> GrpcMessage:
        self.messages += 1
        violations: list[Violation] = []
        if flag & ~1:
            violations.append(Violation("grpc-bad-flag", _SPEC, f"compressed-flag byte is {flag:#04x}, not 0 or 1"))
        body: bytes | None = payload
        if flag & 1:
            body, reason = decompress(self.encoding, payload, self.max_message)
            if reason:
                violations.append(Violation("grpc-compression", _SPEC, reason))
        fields = decode_message(body) if (self.decode_fields and body is not None) else None
        decoded: Any = None
        type_name = error = None
        if self.schema is not None and body is not None:
            decoded, type_name, error = self.schema(body)
        return GrpcMessage(t=t, stream_id=self.stream_id, dir=self.dir, compressed=bool(flag & 1),
                           length=len(payload), payload=payload if body is None else body, fields=fields,
                           decoded=decoded, message_type=type_name, decode_error=error,
                           violations=tuple(violations))
