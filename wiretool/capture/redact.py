"""Keep secrets out of the raw bytes of a capture (``--record`` without ``--show-secrets``).

The bytes of a capture are what rebuild its records, so a secret header must be hidden *in the bytes*,
in a way every decoder still reads:

- HTTP/1.x heads (the WebSocket handshake, SSE requests and responses): a secret header's value becomes
  ``<redacted>``. The head is held back until it is whole (its blank line), so no value is ever split.
- HTTP/2 (HPACK): a secret field's value string is overwritten in place by as many ``*`` as it had bytes,
  as a plain (not Huffman) string of the same length, so every frame keeps its length and the HPACK
  state stays in step. Frames are written whole (a header block with its CONTINUATIONs together).

Only the first head of each direction of an HTTP/1 connection is touched; the rest streams through.
"""

from __future__ import annotations

import re

from wiretool.codec.h2frame import PREFACE as H2_PREFACE
from wiretool.secrets import SECRET_HEADERS, redact_head

_HEAD_START = re.compile(rb"^(?:[A-Z]+ |HTTP/1\.)")
"""How an HTTP/1 head begins: a request line's method, or a status line."""
MAX_HEAD = 1 << 16



class Http1Redactor:
    """One direction of an HTTP/1 connection: the head comes out redacted, whole; the body as it comes."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._done = False

    def feed(self, data: bytes) -> bytes:
        """The bytes that may be written now (possibly none while a head is incomplete)."""
        if self._done:
            return data
        self._buf += data
        if not self._buf:
            return b""
        if not 65 <= self._buf[0] <= 90 or (len(self._buf) >= 8 and not _HEAD_START.match(bytes(self._buf[:64]))):
            return self.flush()  # not an HTTP/1 head (frames, an HTTP/2 preface): nothing to hide
        end = self._buf.find(b"\r\n\r\n")
        if end < 0 and len(self._buf) < MAX_HEAD:
            return b""
        cut = end + 4 if end >= 0 else len(self._buf)
        out = redact_head(bytes(self._buf[:cut])) + bytes(self._buf[cut:])
        self._buf = bytearray()
        self._done = True
        return out

    def flush(self) -> bytes:
        """Whatever is held back (at the end of the capture, redacted as far as it goes)."""
        out = redact_head(bytes(self._buf))
        self._buf = bytearray()
        self._done = True
        return out


class H2Redactor:
    """One direction of an HTTP/2 connection: whole frames out, secret HPACK values overwritten in place."""

    def __init__(self) -> None:
        from hpack import Decoder

        self._decoder = Decoder()
        self._decoder.max_allowed_table_size = 1 << 30
        self._buf = bytearray()
        self._preface = True
        self._block: list[tuple[int, int]] = []  # (offset in _buf, length) of a header block's fragments
        self._scan = 0

    def feed(self, data: bytes) -> bytes:
        self._buf += data
        out = bytearray()
        if self._preface:
            if len(self._buf) < len(H2_PREFACE) and H2_PREFACE.startswith(bytes(self._buf)):
                return b""
            if self._buf.startswith(H2_PREFACE):
                out += self._buf[:len(H2_PREFACE)]
                del self._buf[:len(H2_PREFACE)]
            self._preface = False
        pos = self._scan  # frames before it were seen already (a header block waiting for its end)
        ready = 0
        buf = self._buf
        while len(buf) - pos >= 9:
            length = int.from_bytes(buf[pos:pos + 3], "big")
            if len(buf) - pos < 9 + length:
                break
            typ, flags = buf[pos + 3], buf[pos + 4]
            start, end = pos + 9, pos + 9 + length
            if typ in (1, 5, 9):  # HEADERS, PUSH_PROMISE, CONTINUATION: collect the block's fragment
                if typ in (1, 5):
                    pad = buf[start] if flags & 0x08 else 0
                    start += (1 if flags & 0x08 else 0) + (5 if typ == 1 and flags & 0x20 else 0) + \
                        (4 if typ == 5 else 0)
                    end -= pad
                if start <= end:
                    self._block.append((start, end - start))
                if flags & 0x04:  # END_HEADERS
                    self._rewrite(buf)
                    self._block = []
                    ready = pos + 9 + length
            elif not self._block:
                ready = pos + 9 + length
            pos += 9 + length
        out += buf[:ready]
        del buf[:ready]
        self._block = [(s - ready, n) for s, n in self._block]
        self._scan = pos - ready
        return bytes(out)

    def flush(self) -> bytes:
        out = bytes(self._buf)
        self._buf = bytearray()
        return out

    def _rewrite(self, buf: bytearray) -> None:
        """Walk the header block's representations; blank secret values in place in ``buf``."""
        block = b"".join(bytes(buf[s:s + n]) for s, n in self._block)
        where: list[int] = []  # block offset → buf offset
        for s, n in self._block:
            where.extend(range(s, s + n))
        i = 0
        try:
            while i < len(block):
                b = block[i]
                if b & 0x80:
                    end = _int_end(block, i, 7)
                elif b & 0x40 or (b & 0xE0) == 0 or (b & 0xF0) == 0x10:
                    prefix = 6 if b & 0x40 else 4
                    j = _int_end(block, i, prefix)
                    if _int(block, i, prefix) == 0:
                        j = _str_end(block, j)
                    value_at = j
                    end = _str_end(block, j)
                    name = self._decoder.decode(block[i:end], raw=True)[0][0].decode("latin-1").lower()
                    if name in SECRET_HEADERS:
                        start = _int_end(block, value_at, 7)
                        first = where[value_at]
                        buf[first] = buf[first] & 0x7F  # a plain string (Huffman bit off), same length prefix
                        for k in range(start, end):
                            buf[where[k]] = 0x2A  # '*'
                    i = end
                    continue
                else:  # dynamic table size update
                    end = _int_end(block, i, 5)
                self._decoder.decode(block[i:end], raw=True)
                i = end
        except Exception:  # a broken block is kept as sent: the decoder will name what is wrong with it
            return


def _int(data: bytes, i: int, prefix: int) -> int:
    mask = (1 << prefix) - 1
    value = data[i] & mask
    if value < mask:
        return value
    shift, j = 0, i + 1
    while True:
        b = data[j]
        value += (b & 0x7F) << shift
        shift += 7
        j += 1
        if not b & 0x80:
            return value


def _int_end(data: bytes, i: int, prefix: int) -> int:
    mask = (1 << prefix) - 1
    if data[i] & mask < mask:
        return i + 1
    j = i + 1
    while data[j] & 0x80:
        j += 1
    return j + 1


def _str_end(data: bytes, i: int) -> int:
    return _int_end(data, i, 7) + _int(data, i, 7)
