"""WebSocket frame and message records (RFC 6455), as the codec produces them and renderers draw them.

A :class:`WsFrame` stores only what the wire gave: the header bytes exactly as sent, the unmasked
payload, where it started, and what was wrong with it. Everything else (FIN, opcode, mask key, length
encoding, close code...) is a property derived from those bytes, so a parser making a million records a
second pays for seven stored fields, not twenty. ``to_json()`` spells out the contract's fields.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import msgspec

from wiretool.records import HexOf, Record, Violation

OPCODE_NAMES: dict[int, str] = {0: "CONT", 1: "TEXT", 2: "BINARY", 8: "CLOSE", 9: "PING", 10: "PONG"}
"""Names of the defined opcodes; any other value is ``RESERVED_n``."""


def opcode_name(opcode: int) -> str:
    """``TEXT``, ``CLOSE``..., or ``RESERVED_n`` for the opcodes RFC 6455 §5.2 keeps for later."""
    name = OPCODE_NAMES.get(opcode)
    return name if name is not None else f"RESERVED_{opcode}"


CLOSE_CODE_NAMES: dict[int, str] = {
    1000: "NORMAL_CLOSURE",
    1001: "GOING_AWAY",
    1002: "PROTOCOL_ERROR",
    1003: "UNSUPPORTED_DATA",
    1004: "RESERVED",
    1005: "NO_STATUS_RCVD",
    1006: "ABNORMAL_CLOSURE",
    1007: "INVALID_PAYLOAD_DATA",
    1008: "POLICY_VIOLATION",
    1009: "MESSAGE_TOO_BIG",
    1010: "MANDATORY_EXTENSION",
    1011: "INTERNAL_ERROR",
    1012: "SERVICE_RESTART",
    1013: "TRY_AGAIN_LATER",
    1014: "BAD_GATEWAY",
    1015: "TLS_HANDSHAKE",
}
"""Close codes by their RFC 6455 §7.4 / IANA "WebSocket Close Code Number Registry" names.

The one table for every record that names a close code (the ``frame`` record's ``close_code_name``
and the ``close`` record's ``code_name``); it lives here, not in codec/, because records do not
import codec (codec/wsclose.py re-exports it with the wire rules).
"""


def close_code_name(code: int) -> str:
    """The registry name of a close code, or the range it falls in (RFC 6455 §7.4.2)."""
    name = CLOSE_CODE_NAMES.get(code)
    if name is not None:
        return name
    if code < 1000:
        return "UNUSED"
    if code < 3000:
        return "UNASSIGNED"
    if code < 4000:
        return "REGISTERED"
    if code < 5000:
        return "PRIVATE"
    return "OUT_OF_RANGE"


def _text_or_none(data: bytes) -> str | None:
    """The payload as text when it is valid UTF-8, else None (the contract's ``payload_text``)."""
    if data.isascii():
        return data.decode("ascii")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


class WsFrame(Record, frozen=True, kw_only=True):
    """One WebSocket frame as it crossed the wire (or as far as it got, when ``missing`` > 0).

    ``head`` holds the header bytes exactly as sent (2 to 14 bytes; fewer when the input ended inside the
    header), ``payload`` the payload after unmasking (shorter than ``length`` when truncated).
    """

    proto: ClassVar[str] = "ws"
    type: ClassVar[str] = "frame"

    dir: str | None = None
    offset: int = 0
    head: bytes = b""
    payload: bytes = b""
    violations: tuple[Violation, ...] = ()
    missing: int = 0
    """Bytes the input lacked to complete this frame (0 for a whole frame)."""

    # -- the first byte ---------------------------------------------------------------------------
    @property
    def fin(self) -> bool:
        return bool(self.head[0] & 0x80)

    @property
    def rsv1(self) -> bool:
        return bool(self.head[0] & 0x40)

    @property
    def rsv2(self) -> bool:
        return bool(self.head[0] & 0x20)

    @property
    def rsv3(self) -> bool:
        return bool(self.head[0] & 0x10)

    @property
    def opcode(self) -> int:
        return self.head[0] & 0x0F

    @property
    def opcode_name(self) -> str:
        return opcode_name(self.head[0] & 0x0F)

    @property
    def is_control(self) -> bool:
        return bool(self.head[0] & 0x08)

    # -- the second byte and the extended length --------------------------------------------------
    @property
    def masked(self) -> bool | None:
        """Whether the MASK bit is set (None when the input ended after the first byte)."""
        return bool(self.head[1] & 0x80) if len(self.head) > 1 else None

    @property
    def length_bits(self) -> int | None:
        """Which length encoding was used: 7, 16 or 64 bits (None when the header is cut short)."""
        if len(self.head) < 2:
            return None
        n = self.head[1] & 0x7F
        return 7 if n < 126 else 16 if n == 126 else 64

    @property
    def header_length(self) -> int:
        return len(self.head)

    def _length_end(self) -> int:
        bits = self.length_bits
        return 2 if bits == 7 else 4 if bits == 16 else 10

    @property
    def length(self) -> int | None:
        """The payload length the header announces (None when the header is cut short)."""
        head = self.head
        bits = self.length_bits
        if bits is None:
            return None
        if bits == 7:
            return head[1] & 0x7F
        end = self._length_end()
        if len(head) < end:
            return None
        return int.from_bytes(head[2:end], "big")

    @property
    def mask_key_bytes(self) -> bytes | None:
        if not self.masked:
            return None
        start = self._length_end()
        key = self.head[start : start + 4]
        return key if len(key) == 4 else None

    @property
    def mask_key(self) -> str | None:
        """The masking key as hex, or None when the frame is not masked."""
        key = self.mask_key_bytes
        return key.hex() if key is not None else None

    # -- payload views ----------------------------------------------------------------------------
    @property
    def truncated(self) -> bool:
        return self.missing > 0

    @property
    def payload_hex(self) -> str:
        return self.payload.hex()

    @property
    def payload_text(self) -> str | None:
        """The payload as text when it is valid UTF-8 (whatever the opcode), else None; always None for a
        compressed (RSV1) frame, whose bytes are DEFLATE data even when they happen to decode."""
        return None if self.head[0] & 0x40 else _text_or_none(self.payload)

    @property
    def close_code(self) -> int | None:
        if self.head[0] & 0x0F != 8 or len(self.payload) < 2:
            return None
        return int.from_bytes(self.payload[:2], "big")

    @property
    def close_code_name(self) -> str | None:
        code = self.close_code
        return None if code is None else close_code_name(code)

    @property
    def close_reason(self) -> str | None:
        """The close reason (undecodable bytes replaced; a violation says when it was not UTF-8)."""
        if self.head[0] & 0x0F != 8 or len(self.payload) < 2:
            return None
        return self.payload[2:].decode("utf-8", "replace")

    def to_json(self) -> dict[str, Any]:
        """The contract's object. A whole frame with no violation that is not CLOSE nor compressed (nearly every
        frame of a flood) is a copy of a per-header template with six values set: ``--json`` encodes a million
        of these, and the properties below would be most of the cost."""
        head = self.head
        if not self.violations and not self.missing and len(head) >= 2 and (head[0] & 0x0F) != 8 \
                and not head[0] & 0x40:
            template, key_at = _frame_template(head)
            out = template.copy()
            out["t"] = self.t
            out["dir"] = self.dir
            out["offset"] = self.offset
            if key_at:
                out["mask_key"] = head[key_at:key_at + 4].hex()
            payload = self.payload
            out["payload_hex"] = payload.hex()
            out["payload_text"] = _text_or_none(payload)
            return out
        return self._to_json()

    @classmethod
    def json_many(cls, records: Sequence[Record]) -> list[Any]:
        """The NDJSON objects of a run of frames: a plain frame (whole, no violation, not CLOSE, not compressed)
        is a :class:`_FrameLine` Struct built from its header's cached fields, about four times cheaper than
        its ``to_json()`` dict and cheaper to encode; any other frame is its ``to_json()`` (tests check both
        encode alike). A large payload's hex is a :class:`~wiretool.records.HexOf`, written by the output."""
        if cls is not WsFrame:  # a subclass (WsFrameCut) adds fields of its own
            return [r.to_json() for r in records]
        out: list[Any] = []
        append = out.append
        line = _FrameLine
        fields = _LINE_FIELDS
        get = fields.get
        for r in records:
            head = r.head  # type: ignore[attr-defined]
            if r.violations or r.missing or len(head) < 2 or head[0] & 0x0F == 8 or head[0] & 0x40:  # type: ignore[attr-defined]
                append(r.to_json())
                continue
            n = head[1] & 0x7F
            found = get(head[:2] if n < 126 else head[:4] if n == 126 else head[:10])
            if found is None:
                found = _line_fields(head)
            fin, rsv1, rsv2, rsv3, op, name, masked, length, bits, key_at = found
            payload = r.payload  # type: ignore[attr-defined]
            append(line("ws", "frame", r.t, r.dir, r.offset, fin, rsv1, rsv2, rsv3, op, name, masked,  # type: ignore[attr-defined]
                        head[key_at:key_at + 4].hex() if key_at else None, length, bits, len(head),
                        payload.hex() if len(payload) < _RAW_HEX else HexOf(payload),
                        payload.decode("ascii") if payload.isascii() else _text_or_none(payload),
                        None, None, None, _NO_VIOLATIONS, False, 0))
        return out

    def _to_json(self) -> dict[str, Any]:
        """The contract's object built field by field from the properties (any frame; tests compare
        :meth:`to_json`'s template copy to it)."""
        out = {
            "proto": "ws", "type": "frame", "t": self.t, "dir": self.dir, "offset": self.offset,
            "fin": self.fin, "rsv1": self.rsv1, "rsv2": self.rsv2, "rsv3": self.rsv3,
            "opcode": self.opcode, "opcode_name": self.opcode_name, "masked": self.masked,
            "mask_key": self.mask_key, "length": self.length, "length_bits": self.length_bits,
            "header_length": len(self.head), "payload_hex": self.payload.hex(),
            "payload_text": None if self.head[0] & 0x40 else _text_or_none(self.payload),
            "close_code": None, "close_code_name": None, "close_reason": None,
            "violations": [v.to_json() for v in self.violations],
            "truncated": self.missing > 0, "missing": self.missing,
        }
        if self.head[0] & 0x0F == 8 and len(self.payload) >= 2:
            out["close_code"] = self.close_code
            out["close_code_name"] = self.close_code_name
            out["close_reason"] = self.close_reason
        return out


_TEMPLATES: dict[bytes, tuple[dict[str, Any], int]] = {}


def _frame_template(head: bytes) -> tuple[dict[str, Any], int]:
    """The to_json object of a plain frame with this header up to its length field, and where its mask key
    starts (0: unmasked); cached, at most 4096 headers."""
    n = head[1] & 0x7F
    key = bytes(head[:10] if n == 127 else head[:4] if n == 126 else head[:2])
    found = _TEMPLATES.get(key)
    if found is None:
        rec = WsFrame(head=bytes(head[:len(key) + 4]) if head[1] & 0x80 else key)
        out = rec._to_json()
        found = (out, len(key) if head[1] & 0x80 else 0)
        if len(_TEMPLATES) >= 4096:
            _TEMPLATES.clear()
        _TEMPLATES[key] = found
    return found


_RAW_HEX = 1 << 14
"""A payload at least this big has its hex written by the output straight from ``hexlify`` (:class:`HexOf`)."""

_NO_VIOLATIONS: list[Any] = []
"""The ``violations`` of every plain line (encoded, never changed)."""




_LINE_FIELDS: dict[bytes, tuple[bool, bool, bool, bool, int, str, bool, int, int, int]] = {}


def _line_fields(head: bytes) -> tuple[bool, bool, bool, bool, int, str, bool, int, int, int]:
    """What a plain frame's line takes from its header up to the length field: fin, rsv1-3, opcode, its name,
    masked, length, length bits, where the mask key starts (0: unmasked); cached, at most 4096 headers."""
    n = head[1] & 0x7F
    key = bytes(head[:10] if n == 127 else head[:4] if n == 126 else head[:2])
    rec = WsFrame(head=bytes(head[:len(key) + 4]) if head[1] & 0x80 else key)
    found = (rec.fin, rec.rsv1, rec.rsv2, rec.rsv3, rec.opcode, rec.opcode_name, bool(rec.masked),
             rec.length or 0, rec.length_bits or 7, len(key) if head[1] & 0x80 else 0)
    if len(_LINE_FIELDS) >= 4096:
        _LINE_FIELDS.clear()
    _LINE_FIELDS[key] = found
    return found


class _FrameLine(msgspec.Struct, gc=False):
    """The NDJSON object of a plain frame, as msgspec encodes it: the keys of :meth:`WsFrame._to_json`, in order."""

    proto: str
    type: str
    t: float
    dir: Any
    offset: int
    fin: bool
    rsv1: bool
    rsv2: bool
    rsv3: bool
    opcode: int
    opcode_name: str
    masked: bool
    mask_key: Any
    length: int
    length_bits: int
    header_length: int
    payload_hex: Any
    payload_text: Any
    close_code: Any
    close_code_name: Any
    close_reason: Any
    violations: Any
    truncated: bool
    missing: int


class _TextLine(msgspec.Struct, gc=False):
    """The NDJSON object of a plain TEXT message (the keys of :meth:`WsMessage._to_json`, in order)."""

    proto: str
    type: str
    t: float
    dir: Any
    opcode_name: str
    length: int
    text: str
    compressed: bool
    inflated: bool
    frames: int
    complete: bool
    violations: Any


class _BinaryLine(msgspec.Struct, gc=False):
    """The NDJSON object of a plain BINARY message (the keys of :meth:`WsMessage._to_json`, in order)."""

    proto: str
    type: str
    t: float
    dir: Any
    opcode_name: str
    length: int
    hex: Any
    compressed: bool
    inflated: bool
    frames: int
    complete: bool
    violations: Any


class WsMessage(Record, frozen=True, kw_only=True):
    """A data message reassembled from its frames (and inflated, when permessage-deflate is on).

    ``complete`` is False for a message the input abandoned: a new data frame began inside it, or the
    input ended. ``violations`` repeats those of its frames that concern the whole message (UTF-8,
    inflation, interleaving).
    """

    proto: ClassVar[str] = "ws"
    type: ClassVar[str] = "message"

    dir: str | None = None
    opcode: int = 1
    payload: bytes = b""
    compressed: bool = False
    """RSV1 was set on the first frame (permessage-deflate)."""
    frames: int = 1
    complete: bool = True
    violations: tuple[Violation, ...] = ()
    inflated: bool = False
    """``payload`` is the inflated data of a compressed message (False: the bytes as sent)."""

    @property
    def opcode_name(self) -> str:
        return opcode_name(self.opcode)

    @property
    def length(self) -> int:
        return len(self.payload)

    @property
    def text(self) -> str | None:
        """The text of a TEXT message that is valid UTF-8; None otherwise (then use ``hex``)."""
        if self.opcode != 1 or (self.compressed and not self.inflated):
            return None
        return _text_or_none(self.payload)

    @property
    def hex(self) -> str:
        return self.payload.hex()

    def to_json(self) -> dict[str, Any]:
        """The contract's object; a plain message (a flood's every record) is one literal, no properties."""
        op = self.opcode
        if (op == 1 or op == 2) and not self.compressed and self.complete and not self.violations:
            data = self.payload
            if op == 2:
                return {"proto": "ws", "type": "message", "t": self.t, "dir": self.dir, "opcode_name": "BINARY",
                        "length": len(data), "hex": data.hex(), "compressed": False, "inflated": self.inflated,
                        "frames": self.frames, "complete": True, "violations": []}
            text = _text_or_none(data)
            if text is not None:
                return {"proto": "ws", "type": "message", "t": self.t, "dir": self.dir, "opcode_name": "TEXT",
                        "length": len(data), "text": text, "compressed": False, "inflated": self.inflated,
                        "frames": self.frames, "complete": True, "violations": []}
        return self._to_json()

    @classmethod
    def json_many(cls, records: Sequence[Record]) -> list[Any]:
        """The NDJSON objects of a run of messages: a plain one (complete, uncompressed, no violation; valid
        UTF-8 when TEXT) as a :class:`_TextLine` or :class:`_BinaryLine` Struct, any other its ``to_json()``
        (see :meth:`WsFrame.json_many` for why)."""
        if cls is not WsMessage:  # a subclass (WsMessageCut) adds fields of its own
            return [r.to_json() for r in records]
        out: list[Any] = []
        append = out.append
        text_line, binary_line = _TextLine, _BinaryLine
        for r in records:
            op = r.opcode  # type: ignore[attr-defined]
            if r.compressed or not r.complete or r.violations:  # type: ignore[attr-defined]
                append(r.to_json())
                continue
            data = r.payload  # type: ignore[attr-defined]
            if op == 1:
                if data.isascii():
                    text = data.decode("ascii")
                else:
                    text = _text_or_none(data)
                    if text is None:
                        append(r.to_json())
                        continue
                append(text_line("ws", "message", r.t, r.dir, "TEXT", len(data), text, False,  # type: ignore[attr-defined]
                                 r.inflated, r.frames, True, _NO_VIOLATIONS))  # type: ignore[attr-defined]
            elif op == 2:
                append(binary_line("ws", "message", r.t, r.dir, "BINARY", len(data),  # type: ignore[attr-defined]
                                   data.hex() if len(data) < _RAW_HEX else HexOf(data), False,
                                   r.inflated, r.frames, True, _NO_VIOLATIONS))  # type: ignore[attr-defined]
            else:
                append(r.to_json())
        return out

    def _to_json(self) -> dict[str, Any]:
        """The contract's object built field by field from the properties (any message; tests compare
        :meth:`to_json`'s literal to it)."""
        out: dict[str, Any] = {"proto": "ws", "type": "message", "t": self.t, "dir": self.dir,
                               "opcode_name": self.opcode_name, "length": len(self.payload)}
        text = self.text
        if text is not None:
            out["text"] = text
        else:
            out["hex"] = self.payload.hex()
        out["compressed"] = self.compressed
        out["inflated"] = self.inflated
        out["frames"] = self.frames
        out["complete"] = self.complete
        out["violations"] = [v.to_json() for v in self.violations]
        return out


class WsFrameCut(WsFrame, frozen=True, kw_only=True):
    """A frame as shown under ``--max-payload N``: ``payload`` holds its first N bytes. The header (``length``
    included) is the frame's own; ``payload_truncated`` says the payload fields are cut."""

    def to_json(self) -> dict[str, Any]:
        out = WsFrame.to_json(self)
        out["payload_truncated"] = True
        return out


class WsMessageCut(WsMessage, frozen=True, kw_only=True):
    """A message as shown under ``--max-payload N``: its first N bytes, its whole ``length``."""

    full_length: int = 0

    @property
    def length(self) -> int:
        return self.full_length

    def to_json(self) -> dict[str, Any]:
        out = WsMessage.to_json(self)
        out["length"] = self.full_length
        out["payload_truncated"] = True
        return out


def _cut_at(payload: bytes, limit: int) -> bytes:
    """The first ``limit`` bytes, backed off to a UTF-8 character boundary (a cut text stays text)."""
    end = limit
    for _ in range(3):
        if 0 < end < len(payload) and payload[end] & 0xC0 == 0x80:
            end -= 1
        else:
            break
    if 0 < end < len(payload) and payload[end] & 0xC0 == 0x80:
        end = limit  # not UTF-8 text: cut where asked
    return payload[:end]


def cut_payload(record: Record, limit: int) -> Record:
    """``record`` as ``--max-payload limit`` shows it: a frame or message with a longer payload becomes a cut
    copy (:class:`WsFrameCut`, :class:`WsMessageCut`, ``payload_truncated`` true); anything else is itself.
    The session, its goals and the capture keep the whole record: only the rendering is cut."""
    kind = type(record)
    if kind is WsFrame or kind is WsMessage:
        payload = record.payload  # type: ignore[attr-defined]
        if len(payload) > limit:
            fields = {name: getattr(record, name) for name in record.__struct_fields__}
            fields["payload"] = _cut_at(payload, limit)
            if kind is WsFrame:
                return WsFrameCut(**fields)
            return WsMessageCut(**fields, full_length=len(payload))
    return record
