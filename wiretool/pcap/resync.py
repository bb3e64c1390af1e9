"""Finding the first frame boundary in bytes that begin mid-stream: a capture that started after the connection.

Neither WebSocket nor HTTP/2 marks frame boundaries, so a boundary is a position where :data:`CHAIN` frame
headers in a row are plausible and each ends where the next begins (or at the end of the bytes). Plausible:

- HTTP/2 (RFC 9113 §4.1): a defined type (0-9), no reserved stream-id bit, length at most 16384 (the default
  SETTINGS_MAX_FRAME_SIZE, what almost every peer keeps), stream 0 exactly for SETTINGS, PING, GOAWAY (and
  WINDOW_UPDATE either way), SETTINGS a multiple of 6, PING 8 bytes;
- WebSocket (RFC 6455 §5.2): RSV bits clear (RSV1 allowed when the stream may be compressed), a defined
  opcode, the MASK bit as the sender's side requires, a minimally encoded length, control frames whole and
  at most 125 bytes.

Only the first :data:`SEARCH` bytes are searched; None when no boundary is found there.
"""

from __future__ import annotations

CHAIN = 3
SEARCH = 1 << 16
_H2_STREAM0 = {4, 6, 7}


def _h2_frame_end(data: bytes, pos: int) -> int | None:
    if pos + 9 > len(data):
        return None
    length = int.from_bytes(data[pos:pos + 3], "big")
    ftype, stream = data[pos + 3], int.from_bytes(data[pos + 5:pos + 9], "big")
    if ftype > 9 or stream >> 31 or length > 16384:
        return None
    if (ftype in _H2_STREAM0) != (stream == 0) and ftype != 8:
        return None
    if (ftype == 4 and length % 6) or (ftype == 6 and length != 8) or (ftype == 8 and length != 4):
        return None
    return pos + 9 + length


def _ws_frame_end(data: bytes, pos: int, masked: bool | None, rsv1: bool) -> int | None:
    if pos + 2 > len(data):
        return None
    b0, b1 = data[pos], data[pos + 1]
    op = b0 & 0x0F
    if b0 & (0x30 if rsv1 else 0x70) or op in (3, 4, 5, 6, 7) or op > 10:
        return None
    if masked is not None and bool(b1 & 0x80) != masked:
        return None
    n, head = b1 & 0x7F, 2
    if n == 126:
        if pos + 4 > len(data):
            return None
        n, head = int.from_bytes(data[pos + 2:pos + 4], "big"), 4
        if n < 126:
            return None
    elif n == 127:
        if pos + 10 > len(data):
            return None
        n, head = int.from_bytes(data[pos + 2:pos + 10], "big"), 10
        if n < 65536 or n >> 63:
            return None
    if op >= 8 and (n > 125 or not b0 & 0x80):
        return None
    return pos + head + (4 if b1 & 0x80 else 0) + n


def boundary(data: bytes, proto: str, *, masked: bool | None = None, rsv1: bool = False) -> int | None:
    """The offset of the first frame of a chain of :data:`CHAIN` plausible ``proto`` frames in ``data``."""
    for start in range(min(len(data), SEARCH)):
        pos, count = start, 0
        while count < CHAIN:
            end = _h2_frame_end(data, pos) if proto == "h2" else _ws_frame_end(data, pos, masked, rsv1)
            if end is None:
                break
            count += 1
            if end == len(data) or (end > len(data) and count > 1):  # the bytes end with (or in) the chain
                count = CHAIN
                break
            if end > len(data):
                break
            pos = end
        if count >= CHAIN:
            return start
    return None
