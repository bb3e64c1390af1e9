"""Protocol Buffers wire format without a schema: PURE, lenient, bounded.

The varint reader and writer here are the project's only ones (the gRPC reflection client uses them).
Like ``protoc --decode_raw``: every field shows its number and wire type; varints and fixed-width
numbers as integers; length-delimited values as a string when they are printable UTF-8, else as a
nested message when they parse cleanly as one, else as bytes. Nesting depth and field counts are
capped so hostile input cannot recurse or allocate without bound. Nothing here raises.
"""

from __future__ import annotations

from wiretool.records.grpc import ProtoField

MAX_DEPTH = 16
MAX_FIELDS = 10_000

WIRE_TYPES = {0: "varint", 1: "fixed64", 2: "len", 3: "sgroup", 4: "egroup", 5: "fixed32"}


def write_varint(n: int) -> bytes:
    """A non-negative integer as a base-128 varint, low 7 bits first (the encoding guide's "Base 128 Varints")."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def read_varint(data: bytes, pos: int) -> tuple[int, int] | None:
    """Read a base-128 varint at ``pos``: (value, new position), or None if truncated or over 10 bytes."""
    result = shift = 0
    end = min(len(data), pos + 10)
    while pos < end:
        b = data[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
    return None


def _printable(text: str) -> bool:
    if text.isprintable():  # the common case, checked in C
        return True
    return all(c.isprintable() or c in "\n\r\t" for c in text)


def decode_message(data: bytes, *, depth: int = 0) -> tuple[ProtoField, ...]:
    """Decode ``data`` as a message; a field that cannot be read ends the list with an ``invalid`` field."""
    fields, _ok = _decode(data, depth)
    return fields


def _decode(data: bytes, depth: int) -> tuple[tuple[ProtoField, ...], bool]:
    fields: list[ProtoField] = []
    pos, n = 0, len(data)
    while pos < n:
        if len(fields) >= MAX_FIELDS:
            fields.append(ProtoField(0, 0, "invalid", f"more than {MAX_FIELDS} fields; rest not shown"))
            return tuple(fields), False
        tag = read_varint(data, pos)
        if tag is None:
            fields.append(ProtoField(0, 0, "invalid", f"truncated tag at byte {pos}"))
            return tuple(fields), False
        key, pos = tag
        number, wire_type = key >> 3, key & 7
        if number == 0:
            fields.append(ProtoField(0, wire_type, "invalid", f"field number 0 at byte {pos}"))
            return tuple(fields), False
        if wire_type == 0:
            v = read_varint(data, pos)
            if v is None:
                fields.append(ProtoField(number, 0, "invalid", "truncated varint"))
                return tuple(fields), False
            value, pos = v
            fields.append(ProtoField(number, 0, "varint", value))
        elif wire_type in (1, 5):
            size = 8 if wire_type == 1 else 4
            if pos + size > n:
                fields.append(ProtoField(number, wire_type, "invalid", f"truncated fixed{size * 8}"))
                return tuple(fields), False
            fields.append(ProtoField(number, wire_type, WIRE_TYPES[wire_type],
                                     int.from_bytes(data[pos : pos + size], "little")))
            pos += size
        elif wire_type == 2:
            ln = read_varint(data, pos)
            if ln is None or ln[1] + ln[0] > n:
                fields.append(ProtoField(number, 2, "invalid", "length runs past the end of the message"))
                return tuple(fields), False
            length, pos = ln
            fields.append(_length_delimited(number, bytes(data[pos : pos + length]), depth))
            pos += length
        else:
            fields.append(ProtoField(number, wire_type, "invalid", f"unsupported wire type {wire_type}"))
            return tuple(fields), False
    return tuple(fields), True


def _length_delimited(number: int, value: bytes, depth: int) -> ProtoField:
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if text is not None and _printable(text):
        return ProtoField(number, 2, "string", text)
    if value and depth + 1 < MAX_DEPTH:
        nested, ok = _decode(value, depth + 1)
        if ok:
            return ProtoField(number, 2, "message", nested)
    return ProtoField(number, 2, "bytes", value)
