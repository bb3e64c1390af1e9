"""Records: the typed, frozen facts that codecs and transports produce and renderers consume.

One record type per observable thing (a frame, an event, a handshake...). Every record knows its
``proto`` and ``type`` (class attributes) and carries ``t``, seconds since the run started.
``to_json()`` gives the NDJSON object of the contract in shared/ARCHITECTURE.md.

Records are frozen ``msgspec.Struct`` classes, not frozen dataclasses: a Struct class is made about nine
times faster (start-up makes some forty of them) and an instance over ten times faster (a parser makes one
per frame), with the same equality, hashing and immutability (docs/design.md, "Why Structs").

The records are split by protocol (``records/ws.py``, ``records/sse.py``, ``records/h2.py``) so each
module stays small and each protocol owns its fields; this package holds what they all share.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import msgspec


def jsonable(value: Any) -> Any:
    """Turn a record field into something ``json.dumps`` accepts (bytes become hex)."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, Record):
        return value.to_json()
    if isinstance(value, msgspec.Struct):
        return {name: jsonable(getattr(value, name)) for name in value.__struct_fields__}
    if hasattr(value, "__dataclass_fields__") and not isinstance(value, type):  # a non-record value (an option)
        import dataclasses

        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return str(value)


class HexOf:
    """A value in a ``json_many`` object: the JSON string of ``data`` in hex, which the output writes straight
    from ``binascii.hexlify`` between the bytes msgspec encoded around it, never held in the line (a big payload's
    ``payload_hex``: two copies of twice its size saved, see docs/design.md "NDJSON encoding")."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data


class Record(msgspec.Struct, frozen=True, kw_only=True):
    """Base of every record: ``proto`` and ``type`` name it in NDJSON, ``t`` places it in time."""

    proto: ClassVar[str] = ""
    type: ClassVar[str] = ""

    t: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The NDJSON object: ``proto``, ``type``, then every field, JSON-safe."""
        out: dict[str, Any] = {"proto": self.proto, "type": self.type}
        for name in self.__struct_fields__:
            out[name] = jsonable(getattr(self, name))
        return out

    @classmethod
    def json_many(cls, records: Sequence[Record]) -> list[Any]:
        """What NDJSON encodes for ``records`` (all of exactly this type, a socket read's run of them): objects that
        msgspec encodes as their ``to_json()``. This is that list of dicts; a type a flood is made of (ws frames
        and messages) returns msgspec Structs of the same keys in the same order, built in one loop, because
        building a dict per record was most of what ``--json`` cost per small frame."""
        return [r.to_json() for r in records]


class Violation(msgspec.Struct, frozen=True, gc=False):
    """A protocol rule broken on the wire: a stable ``code``, the RFC section, a readable message.

    Positional, as it always was (``Violation(code, rfc, message)`` at every site). ``gc=False``: it holds
    three strings and nothing else, so it can never be part of a cycle, and a hostile flood of broken frames
    makes one per violation: untracked, each is 16 bytes smaller and costs the collector nothing.
    """

    code: str
    rfc: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"code": self.code, "rfc": self.rfc, "message": self.message}


class ErrorRecord(Record, frozen=True, kw_only=True):
    """Why a run failed, as the NDJSON ``error`` record (also printed as one line on stderr)."""

    type: ClassVar[str] = "error"

    proto_name: str = "ws"
    message: str = ""
    exit_code: int = 1

    def to_json(self) -> dict[str, Any]:
        return {"proto": self.proto_name, "type": "error", "t": self.t,
                "message": self.message, "exit_code": self.exit_code}


class Summary(Record, frozen=True, kw_only=True):
    """The last record of every run: the exit code and whatever counters the command kept."""

    type: ClassVar[str] = "summary"

    proto_name: str = "ws"
    exit_code: int = 0
    counts: dict[str, Any] = msgspec.field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"proto": self.proto_name, "type": "summary", "t": self.t,
                               "exit_code": self.exit_code}
        out.update({k: jsonable(v) for k, v in self.counts.items()})
        return out


class Listening(Record, frozen=True, kw_only=True):
    """A ``serve`` command is ready: its first output line, so scripts and tests can read the URL.

    One record for every server (``proto`` names which), since they all announce themselves alike.
    """

    type: ClassVar[str] = "listening"

    proto_name: str = "ws"
    url: str = ""
    cacert: str | None = None
    """With --self-signed: the CA file clients pass to --cacert."""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"proto": self.proto_name, "type": "listening", "url": self.url}
        if self.cacert:
            out["cacert"] = self.cacert
        return out


class Note(Record, frozen=True, kw_only=True):
    """A human remark in the stream of records (a reconnect, a decision); pretty output shows it dimmed.

    NDJSON output skips notes: they are not part of the contract.
    """

    type: ClassVar[str] = "note"

    proto_name: str = "ws"
    text: str = ""
    level: str = "info"  # info | warn | error

    def to_json(self) -> dict[str, Any]:
        return {"proto": self.proto_name, "type": "note", "t": self.t, "text": self.text, "level": self.level}
