"""The gRPC view of an HTTP/2 connection: frame records in, gRPC message and status records out. PURE.

:class:`GrpcStreams` watches the frames :class:`~wiretool.codec.h2frame.H2FrameView` produces. A stream
becomes a gRPC stream when either side's HEADERS say ``content-type: application/grpc`` (or
``application/grpc+proto`` and the like; gRPC-Web is a different framing and is left alone). From then
on each direction's DATA payloads go to its own :class:`GrpcMessageAssembler` (inflating per that
direction's ``grpc-encoding``), and the call's status is read from the trailers, a Trailers-Only
HEADERS block, or mapped from RST_STREAM or a non-200 HTTP status, as gRPC's documents say.

Bounded: at most ``max_streams`` streams are tracked (the oldest is dropped), each holds at most one
message being reassembled, itself bounded by ``max_message``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import msgspec

from wiretool.codec.grpc import (
    DEFAULT_MAX_MESSAGE,
    GrpcMessageAssembler,
    SchemaDecode,
    http_status_to_grpc,
    parse_status,
    rst_stream_status,
    status_name,
)
from wiretool.codec.h2names import ERROR_NUMBERS
from wiretool.codec.http1 import is_digits
from wiretool.records import Record
from wiretool.records.grpc import GrpcStatus
from wiretool.records.h2 import H2Frame

DATA, HEADERS, RST_STREAM, PUSH_PROMISE = 0x0, 0x1, 0x3, 0x5
DEFAULT_MAX_STREAMS = 10_000

SchemaFor = Callable[[str, bool], "SchemaDecode | None"]
"""``(:path, is_request) → decoder or None``: how a schema (protoset, reflection) plugs in."""

def is_grpc_content_type(value: str) -> bool:
    """``application/grpc`` and its ``+proto``/``+json``/``;params`` forms, not gRPC-Web."""
    v = value.strip().lower()
    return v == "application/grpc" or (v.startswith("application/grpc") and v[16:17] in ("+", ";"))


class _Stream:
    __slots__ = ("asm", "closed", "encoding", "grpc", "not_grpc", "path", "request_dir", "response_dir",
                 "status_sent")

    def __init__(self) -> None:
        self.grpc = False
        self.path: str | None = None
        self.request_dir: str | None = None
        self.response_dir: str | None = None
        self.encoding: dict[str, str] = {}
        self.asm: dict[str, GrpcMessageAssembler] = {}
        self.status_sent = False
        self.closed: set[str] = set()
        self.not_grpc: set[str] = set()  # directions whose body is not gRPC framing (a non-gRPC response)


class GrpcStreams:
    """Follow every stream of one connection; return gRPC records for the frames that carry them.

    Call :meth:`on_frame` with each frame record in wire order and, for DATA, its payload (padding
    removed); the records it returns belong right after that frame. Never raises.
    """

    def __init__(self, *, schema_for: SchemaFor | None = None, max_message: int = DEFAULT_MAX_MESSAGE,
                 max_streams: int = DEFAULT_MAX_STREAMS, decode_fields: bool = True) -> None:
        self.schema_for = schema_for
        self.max_message = max_message
        self.max_streams = max_streams
        self.decode_fields = decode_fields
        self._streams: dict[int, _Stream] = {}
        self._block_end_stream: dict[str, tuple[int, bool]] = {}
        self.messages = 0
        self.statuses: dict[int, GrpcStatus] = {}

    def on_frame(self, rec: H2Frame, data: bytes | None = None) -> list[Record]:
        """The gRPC records that ``rec`` (and its DATA payload) completes; usually none."""
        typ = rec.type_code
        if typ == DATA:
            st = self._streams.get(rec.stream_id)
            if st is None or not st.grpc:
                return []
            out: list[Record] = []
            if data and rec.dir not in st.not_grpc:
                out += self._asm(st, rec).feed(data, rec.t)
            self.messages += len(out)
            if "END_STREAM" in rec.flags:
                out += self._end(st, rec)
            return out
        if typ == HEADERS or (typ == 0x9 and rec.headers is not None):  # CONTINUATION ending a block
            return self._headers(rec)
        if typ == RST_STREAM:
            return self._reset(rec)
        if typ == PUSH_PROMISE and rec.headers is None:
            self._block_end_stream[rec.dir] = (-1, False)  # its CONTINUATION ends a promise, not our headers
        return []

    def finish(self, t: float = 0.0, direction: str | None = None) -> list[Record]:
        """End of ``direction`` (or of both): report messages cut short on streams still open."""
        out: list[Record] = []
        for st in self._streams.values():
            for name in [d for d in st.asm if direction in (None, d)]:
                out += st.asm.pop(name).finish(t)
        return out

    # -- frames ------------------------------------------------------------------------------------
    def _headers(self, rec: H2Frame) -> list[Record]:
        if rec.type_code == HEADERS:
            end_stream = "END_STREAM" in rec.flags
            if rec.headers is None:  # the block goes on in CONTINUATION frames
                self._block_end_stream[rec.dir] = (rec.stream_id, end_stream)
                return []
        else:
            sid, end_stream = self._block_end_stream.pop(rec.dir, (rec.stream_id, False))
            if sid < 0:
                return []
        headers = rec.headers or []
        sid = rec.stream_id
        st = self._streams.get(sid)
        values: dict[str, str] = {}
        for name, value in headers:
            values.setdefault(name.lower(), value)
        grpc = any(is_grpc_content_type(v) for n, v in headers if n.lower() == "content-type")
        if st is None:
            if not grpc:
                return []
            st = self._new(sid)
        if grpc:
            st.grpc = True
        if ":path" in values:
            st.path, st.request_dir = values[":path"], rec.dir
        first_response = ":status" in values
        if first_response:
            st.response_dir = rec.dir
            if values[":status"] != "200" or not grpc:
                st.not_grpc.add(rec.dir)  # an error page or a proxy's answer: its body is not gRPC messages
        if "grpc-encoding" in values:
            st.encoding[rec.dir] = values["grpc-encoding"]
            if rec.dir in st.asm:
                st.asm[rec.dir].encoding = values["grpc-encoding"]
        if not st.grpc:
            return []
        out: list[Record] = []
        status = parse_status(headers, stream_id=sid, t=rec.t)
        if status is not None and not st.status_sent:
            if first_response:
                status = _with(status, source="trailers-only")
            out.append(self._status(st, status))
        elif first_response and not st.status_sent and values[":status"] != "200":
            http = values[":status"]
            code = http_status_to_grpc(int(http)) if is_digits(http) else 2
            out.append(self._status(st, GrpcStatus(t=rec.t, stream_id=sid, code=code, name=status_name(code),
                                                   message=f"HTTP status {http}", source="http-status")))
        if end_stream:
            out += self._end(st, rec)
        return out

    def _reset(self, rec: H2Frame) -> list[Record]:
        st = self._streams.get(rec.stream_id)
        if st is None or not st.grpc:
            return []
        out: list[Record] = []
        for asm in st.asm.values():
            out += asm.finish(rec.t)
        if not st.status_sent:
            number = ERROR_NUMBERS.get(rec.error_code or "", 0x2)
            code = rst_stream_status(number)
            who = "the client" if rec.dir == st.request_dir else "the server"
            out.append(self._status(st, GrpcStatus(t=rec.t, stream_id=rec.stream_id, code=code,
                                                   name=status_name(code), source="rst_stream",
                                                   message=f"stream reset by {who} with {rec.error_code}")))
        self._streams.pop(rec.stream_id, None)
        return out

    def _end(self, st: _Stream, rec: H2Frame) -> list[Record]:
        """END_STREAM in ``rec.dir``: a message cut short, and a response that ended without a status."""
        out: list[Record] = []
        asm = st.asm.pop(rec.dir, None)
        if asm is not None:
            out += asm.finish(rec.t)
        st.closed.add(rec.dir)
        if rec.dir == st.response_dir and not st.status_sent:
            out.append(self._status(st, GrpcStatus(t=rec.t, stream_id=rec.stream_id, code=2, name="UNKNOWN",
                                                   message="the response ended without grpc-status",
                                                   source="missing")))
        if len(st.closed) == 2 or (st.status_sent and rec.dir == st.response_dir):
            self._streams.pop(rec.stream_id, None)
        return out

    # -- helpers -----------------------------------------------------------------------------------
    def _new(self, sid: int) -> _Stream:
        if len(self._streams) >= self.max_streams:
            self._streams.pop(next(iter(self._streams)))
        st = self._streams[sid] = _Stream()
        return st

    def _asm(self, st: _Stream, rec: H2Frame) -> GrpcMessageAssembler:
        asm = st.asm.get(rec.dir)
        if asm is None:
            schema = None
            if self.schema_for is not None and st.path is not None:
                schema = self.schema_for(st.path, rec.dir == st.request_dir)
            asm = st.asm[rec.dir] = GrpcMessageAssembler(
                stream_id=rec.stream_id, dir=rec.dir, encoding=st.encoding.get(rec.dir),
                max_message=self.max_message, decode_fields=self.decode_fields, schema=schema)
        return asm

    def _status(self, st: _Stream, status: GrpcStatus) -> GrpcStatus:
        st.status_sent = True
        self.statuses[status.stream_id] = status
        return status


def _with(status: GrpcStatus, **changes: Any) -> GrpcStatus:
    return msgspec.structs.replace(status, **changes)
