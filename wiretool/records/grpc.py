"""gRPC records: length-prefixed messages reassembled from DATA frames, and the call's final status."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

from wiretool.records import Record, Violation, jsonable


@dataclasses.dataclass(frozen=True, slots=True)
class ProtoField:
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


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class GrpcMessage(Record):
    """One gRPC message: the 5-byte prefix (compressed flag, length) and its payload, decoded schema-less."""

    proto: ClassVar[str] = "grpc"
    type: ClassVar[str] = "message"

    stream_id: int = 0
    dir: str = "recv"
    compressed: bool = False
    length: int = 0
    payload: bytes = b""
    fields: tuple[ProtoField, ...] | None = None
    violations: tuple[Violation, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "proto": "grpc", "type": "message", "t": self.t, "stream_id": self.stream_id, "dir": self.dir,
            "compressed": self.compressed, "length": self.length, "payload_hex": self.payload.hex(),
            "fields": None if self.fields is None else [f.to_json() for f in self.fields],
            "violations": [v.to_json() for v in self.violations],
        }


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class GrpcStatus(Record):
    """The call's outcome from trailers (or Trailers-Only): grpc-status code, its name, grpc-message."""

    proto: ClassVar[str] = "grpc"
    type: ClassVar[str] = "status"

    stream_id: int = 0
    code: int = 0
    name: str = "OK"
    message: str = ""
