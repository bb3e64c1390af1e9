"""The blocks of a format-2 capture: what follows its JSON header line (docs/capture-format.md, "Blocks").

A chunk of bytes costs its bytes plus 4 to 8: a tag byte that also says the direction, the connection, the
time since the previous chunk in microseconds and the length (unsigned LEB128 varints), then the bytes as
they crossed. Everything else (a connection's addresses, protocol and TLS parameters; a record that no byte
rebuilds) is a small JSON ``meta`` block. No record that the bytes rebuild is stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

CHUNK_TAGS = {"send": 0x01, "recv": 0x02, "c2s": 0x03, "s2c": 0x04}
"""The tag byte of a chunk says its direction."""
TAG_DIRS = {v: k for k, v in CHUNK_TAGS.items()}
META = 0x10
"""A JSON object: ``{"kind": "connection", ...}`` or ``{"kind": "record", "record": {...}}``."""
MAX_VARINT = 10
"""A varint longer than this (a value past 2^64) is corruption, not a length."""


def varint(value: int) -> bytes:
    """``value`` (>= 0) as unsigned LEB128: 7 bits a byte, low bits first, the high bit set on all but the last."""
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def chunk_block(dir: str, conn: int, dt_us: int, data: bytes) -> bytes:
    """One chunk: tag (direction), conn, microseconds since the previous chunk, length, the bytes."""
    return bytes((CHUNK_TAGS[dir],)) + varint(conn) + varint(dt_us) + varint(len(data)) + data


def meta_block(obj: dict[str, Any]) -> bytes:
    """One JSON object (compact, UTF-8) as a meta block."""
    body = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return bytes((META,)) + varint(len(body)) + body


@dataclass(frozen=True, slots=True)
class Block:
    """One block read back. ``dir`` is None for a meta block (``meta`` then holds its object, or None when
    it is not a JSON object); ``short`` is how many bytes a cut-short last block lacks (0 when whole)."""

    dir: str | None
    conn: int = 0
    dt_us: int = 0
    data: bytes = b""
    meta: dict[str, Any] | None = None
    short: int = 0


class Corrupt(ValueError):
    """A block that cannot be read (an unknown tag, a varint past 10 bytes): the message names where."""


def read_blocks(buf: bytes | memoryview, pos: int) -> Iterator[Block]:
    """Every block from ``pos`` to the end. A last block cut short (the writer killed mid-write, or a length
    that runs past the end of the file) comes back with what it holds and ``short`` > 0; anything else that
    is not a block raises :class:`Corrupt`."""
    view = memoryview(buf)
    end = len(view)
    while pos < end:
        at = pos
        tag = view[pos]
        pos += 1
        if tag in TAG_DIRS:
            fields = []
            for _ in range(3):
                value, pos = _varint(view, pos, end, at)
                if value is None:
                    yield Block(TAG_DIRS[tag], short=1)
                    return
                fields.append(value)
            conn, dt_us, length = fields
            stop = pos + length
            if stop > end:
                yield Block(TAG_DIRS[tag], conn, dt_us, bytes(view[pos:end]), short=stop - end)
                return
            yield Block(TAG_DIRS[tag], conn, dt_us, bytes(view[pos:stop]))
            pos = stop
        elif tag == META:
            length, pos = _varint(view, pos, end, at)
            if length is None or pos + length > end:
                yield Block(None, short=1)
                return
            try:
                obj = json.loads(bytes(view[pos:pos + length]))
            except (ValueError, RecursionError):
                raise Corrupt(f"the meta block at byte {at} is not valid JSON") from None
            yield Block(None, meta=obj if isinstance(obj, dict) else None)
            pos += length
        else:
            raise Corrupt(f"unknown block 0x{tag:02x} at byte {at}")


def _varint(view: memoryview, pos: int, end: int, at: int) -> tuple[int | None, int]:
    """The varint at ``pos`` and the position after it; (None, end) when the file ends inside it."""
    value = shift = 0
    for i in range(MAX_VARINT):
        if pos + i >= end:
            return None, end
        b = view[pos + i]
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos + i + 1
        shift += 7
    raise Corrupt(f"the block at byte {at} holds a number longer than {MAX_VARINT} bytes")
