"""gRPC records: length-prefixed messages reassembled from DATA frames, and the call's final status."""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec

from wiretool.records import Record, Violation, jsonable


class ProtoField(msgspec.Struct, frozen=True):
    """One protobuf field seen without a schema: number, wire type and a best-guess value.

    ``kind`` says how the value was read: ``varint``, ``fixed64``, ``fixed32``, ``message`` (value is a
    tuple of ProtoField), ``string``, ``bytes`` (value is bytes) or ``invalid`` (value explains why).
    """

    number: int
    wire_type: int
    kind: str
    value: Any

    def to_json(self) -> dict[str, Any]:
        if self.kind == "message":
            value: Any = [f.to_json() for f in self.value]
        else:
            value = jsonable(self.value)
        return {"number": self.number, "wire_type": self.wire_type, "kind": self.kind, "value": value}


class GrpcMessage(Record, frozen=True, kw_only=True):
    """One gRPC message: the 5-byte prefix (compressed flag, length) and its payload, decoded schema-less.

    With a schema (``--protoset``/``--reflect``) ``decoded`` holds the message in protobuf's JSON
    mapping and ``message_type`` its full name; ``decode_error`` says why a schema decode failed.
    """

    proto: ClassVar[str] = "grpc"
    type: ClassVar[str] = "message"

    stream_id: int = 0
    dir: str = "recv"
    compressed: bool = False
    length: int = 0
    payload: bytes = b""
    fields: tuple[ProtoField, ...] | None = None
    decoded: Any = None
    message_type: str | None = None
    decode_error: str | None = None
    violations: tuple[Violation, ...] = ()

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "proto": "grpc", "type": "message", "t": self.t, "stream_id": self.stream_id, "dir": self.dir,
            "compressed": self.compressed, "length": self.length, "payload_hex": self.payload.hex(),
            "fields": None if self.fields is None else [f.to_json() for f in self.fields],
        }
        if self.message_type is not None:
            out["message_type"] = self.message_type
            out["decoded"] = self.decoded
        if self.decode_error is not None:
            out["decode_error"] = self.decode_error
        out["violations"] = [v.to_json() for v in self.violations]
        return out


class GrpcStatus(Record, frozen=True, kw_only=True):
    """The call's outcome: grpc-status code, its name, grpc-message (percent-decoded).

    ``source`` says where it came from: ``trailers``, ``trailers-only`` (a HEADERS block with
    END_STREAM and no DATA), ``rst_stream`` (mapped from the error code, as gRPC's PROTOCOL-HTTP2
    says), ``http-status`` (a non-200 response, mapped as gRPC's http-grpc-status-mapping says),
    ``missing`` (the response ended without grpc-status: UNKNOWN) or ``deadline`` (``--timeout``
    passed before the server answered).
    """

    proto: ClassVar[str] = "grpc"
    type: ClassVar[str] = "status"

    stream_id: int = 0
    code: int = 0
    name: str = "OK"
    message: str = ""
    source: str = "trailers"
