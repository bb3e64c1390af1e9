"""Keep secrets out of the raw bytes of a capture (``--record`` without ``--show-secrets``).

The bytes of a capture are what rebuild its records, so a secret header must be hidden *in the bytes*,
in a way every decoder still reads:

- HTTP/1.x heads (the WebSocket handshake, SSE requests and responses): a secret header's value becomes
  ``<redacted>``. The head is held back until it is whole (its blank line), so no value is ever split.
- HTTP/2 (HPACK): a secret field's value string is overwritten in place by as many ``*`` as it had bytes,
  as a plain (not Huffman) string of the same length, so every frame keeps its length and the HPACK
  state stays in step. Frames are written whole (a header block with its CONTINUATIONs together).

Every head of a kept-alive HTTP/1 connection is redacted; bodies and WebSocket frames stream through. After an
h2c upgrade (a ``101`` naming ``h2c``; on the client's side, the preface after its ``Upgrade`` request) the
connection is HTTP/2 and goes on through :class:`H2Redactor`, so the HPACK secrets of later requests are hidden too.
"""

from __future__ import annotations

import re

from wiretool.codec.h2frame import PREFACE as H2_PREFACE
from wiretool.codec.http1 import is_digits
from wiretool.secrets import REDACTED, SECRET_HEADERS, is_secret, redact_head

MAX_LINE = 8 * 1024
"""A head line is held back until it is whole, up to this; a longer one is decided on what has arrived."""
_HTTP1_START = re.compile(rb"(?:[A-Z]{1,20} [^ \r\n]+ HTTP/1\.|HTTP/1\.)")
"""How an HTTP/1 head begins: a request line (method, target, version) or a status line."""

_FIRST, _HEADERS, _BODY, _CHUNK_SIZE, _CHUNK_DATA, _TRAILERS, _PASS, _UPGRADED, _H2 = range(9)
"""``_UPGRADED``: after a request that asked to upgrade, until its next bytes say what it became (the h2
preface, another HTTP/1 request after a refusal, or WebSocket frames); ``_H2``: an h2c connection."""


class Http1Redactor:
    """One direction of an HTTP/1 connection: every head comes out with its secret values as ``<redacted>``.

    It follows the messages of a kept-alive connection (Content-Length and chunked bodies pass through
    uncounted-for bytes untouched), so the second and later requests and responses on one connection are
    redacted too, and it works a line at a time: memory stays bounded by :data:`MAX_LINE` however long a head
    is, and a secret header line longer than that is cut to ``name: <redacted>`` without being held. After a
    WebSocket ``101``, the WebSocket frames after an ``Upgrade`` request, or a response whose body runs to the
    end of the connection, nothing more is HTTP/1 and everything streams through; after an h2c upgrade the
    bytes go on through an :class:`H2Redactor`.
    """

    def __init__(self) -> None:
        self._state = _FIRST
        self._line = bytearray()
        self._skip = False  # inside an over-long secret line: drop until its end
        self._pass_line = False  # inside an over-long plain line: pass until its end
        self._secret = False  # the last header line was a secret (an obs-fold continuation is one too)
        self._left = 0  # body or chunk bytes still to pass
        self._response = False
        self._status = 0
        self._length: int | None = None
        self._chunked = False
        self._upgrade = False
        self._upgrade_h2c = False  # the head's Upgrade names h2c
        self._upgrading = False  # a request that asked to upgrade: decide what follows its body
        self._held = b""  # _UPGRADED: the first bytes after it, until they decide
        self._h2: H2Redactor | None = None

    def feed(self, data: bytes) -> bytes:
        """The bytes that may be written now (possibly fewer than given while a head line is incomplete)."""
        if self._state == _PASS:
            return data
        if self._h2 is not None:
            return self._h2.feed(data)
        if not isinstance(data, bytes):
            data = bytes(data)
        out = bytearray()
        view = memoryview(data)
        pos, end = 0, len(data)
        while pos < end:
            state = self._state
            if state == _PASS:
                out += view[pos:]
                break
            if state == _UPGRADED:
                out += self._after_upgrade(data[pos:])
                break
            if state == _H2:
                out += self._to_h2(data[pos:])
                break
            if state in (_BODY, _CHUNK_DATA):
                n = min(self._left, end - pos)
                out += view[pos:pos + n]
                pos += n
                self._left -= n
                if not self._left:
                    self._state = _CHUNK_SIZE if state == _CHUNK_DATA else _UPGRADED if self._upgrading else _FIRST
                continue
            pos = self._line_bytes(data, view, pos, end, out)
        return bytes(out)

    def flush(self) -> bytes:
        """Whatever is held back (the capture ended inside a line), redacted as far as it goes."""
        if self._h2 is not None:
            return self._h2.flush()
        out = (redact_head(bytes(self._line)) if not self._skip else b"") + self._held
        self._line, self._held = bytearray(), b""
        self._state = _PASS
        return out

    # -- lines ------------------------------------------------------------------------------------
    def _line_bytes(self, data: bytes, view: memoryview, pos: int, end: int, out: bytearray) -> int:
        """Take bytes up to the end of the current line; handle the line when it is whole."""
        nl = data.find(b"\n", pos, end)
        stop = end if nl < 0 else nl + 1
        piece = view[pos:stop]
        if self._skip or self._pass_line:
            if self._pass_line:
                out += piece
            elif nl >= 0:
                out += b"\r\n" if (stop - pos >= 2 and piece[-2] == 0x0D) or self._line[-1:] == b"\r" else b"\n"
            if nl >= 0:
                self._skip = self._pass_line = False
                self._line = bytearray()
            elif self._skip:
                self._line = bytearray(piece[-1:])  # remember a trailing CR for the line ending
            return stop
        self._line += piece
        if nl < 0:
            if self._state == _FIRST and not _could_be_http1(self._line):
                out += self._line
                self._line = bytearray()
                self._state = _PASS
            elif len(self._line) > MAX_LINE:
                self._long_line(out)
            return stop
        line, self._line = bytes(self._line), bytearray()
        self._whole_line(line, out)
        return stop

    def _long_line(self, out: bytearray) -> None:
        """A line past MAX_LINE: decide on its start, then let the rest stream (a secret's rest is dropped)."""
        held = bytes(self._line)
        self._line = bytearray()
        name = _header_name(held)
        if self._state in (_HEADERS, _TRAILERS) and (is_secret(name) or (self._secret and held[:1] in b" \t")):
            if held[:1] not in b" \t":
                out += held[:len(name)] + b": " + REDACTED.encode()
            self._skip = True
            self._secret = True
            return
        self._secret = False
        out += held
        self._pass_line = True
        if self._state == _FIRST:
            self._state = _PASS  # a request or status line this long is no head we can follow
        elif self._state == _CHUNK_SIZE:
            self._state = _PASS

    def _whole_line(self, line: bytes, out: bytearray) -> None:
        state = self._state
        body = line.rstrip(b"\r\n")
        if state == _FIRST:
            if not body:  # an empty line between messages
                out += line
                return
            if not _HTTP1_START.match(body):
                out += line
                self._state = _PASS
                return
            self._start_head(body)
            out += line
            self._state = _HEADERS
            return
        if state == _CHUNK_SIZE:
            out += line
            try:
                size = int(body.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self._state = _PASS  # not chunked after all: stop interpreting, never hold
                return
            if size:
                self._left, self._state = size + 2, _CHUNK_DATA  # the data and its CRLF
            else:
                self._state = _TRAILERS
            return
        # a header or trailer line
        if not body:
            out += line
            self._secret = False
            self._state = self._after_head() if state == _HEADERS else _FIRST
            return
        if body[:1] in b" \t":  # obs-fold: continues the previous field
            if not self._secret:
                out += line
            return
        name = _header_name(body)
        self._secret = is_secret(name)
        if self._secret:
            out += body[:len(name)] + b": " + REDACTED.encode() + line[len(body):]
            return
        out += line
        if state == _HEADERS:
            self._note_header(name.lower(), body[len(name) + 1:].strip())

    # -- message framing (RFC 9112 §6) ------------------------------------------------------------
    def _start_head(self, first: bytes) -> None:
        self._response = first.startswith(b"HTTP/")
        parts = first.split(b" ", 2)
        status = parts[1] if self._response and len(parts) > 1 else b""
        self._status = int(status) if len(status) == 3 and is_digits(status) else 0
        self._length, self._chunked, self._upgrade, self._upgrade_h2c = None, False, False, False
        self._upgrading = False

    def _note_header(self, name: bytes, value: bytes) -> None:
        if name == b"content-length":
            self._length = int(value) if is_digits(value, 18) else None
        elif name == b"transfer-encoding":
            self._chunked = value.lower().rsplit(b",", 1)[-1].strip() == b"chunked"
        elif name == b"upgrade":
            self._upgrade = True
            self._upgrade_h2c = self._upgrade_h2c or b"h2c" in value.lower()

    def _after_head(self) -> int:
        """Where the bytes after a head's blank line belong: a body of known length, chunks, the next head, or
        no longer HTTP/1 at all."""
        if self._response:
            if self._status == 101:
                return _H2 if self._upgrade_h2c else _PASS
            if 100 <= self._status < 200 or self._status in (204, 304):
                return _FIRST
        elif self._upgrade and not self._chunked:
            self._upgrading = True
            if self._length:
                self._left = self._length
                return _BODY
            return _UPGRADED
        if self._chunked:
            return _CHUNK_SIZE
        if self._length is not None:
            self._left = self._length
            return _BODY if self._length else _FIRST
        return _PASS if self._response else _FIRST


    def _after_upgrade(self, data: bytes) -> bytes:
        """The client's first bytes after asking to upgrade: the h2 preface (h2c), another request (the
        server refused), or anything else (WebSocket frames), which streams through from here on."""
        held = self._held + data
        if len(held) < len(H2_PREFACE) and H2_PREFACE.startswith(held):
            self._held = held
            return b""
        self._held = b""
        self._upgrading = False
        if held.startswith(H2_PREFACE):
            return self._to_h2(held)
        if _could_be_http1(bytearray(held[:40])):
            self._state = _FIRST
            return self.feed(held)
        self._state = _PASS
        return held

    def _to_h2(self, data: bytes) -> bytes:
        self._state = _H2
        self._h2 = H2Redactor()
        return self._h2.feed(data)


def _header_name(line: bytes) -> bytes:
    """The field name of a header line (what comes before ':', without trailing blanks), or the whole line."""
    colon = line.find(b":")
    return (line[:colon] if colon >= 0 else line).rstrip(b" \t")


def _could_be_http1(held: bytearray) -> bool:
    """Can the bytes so far still begin an HTTP/1 request or status line? (Frames, a preface: no.)"""
    if not held:
        return True
    if held[:1] in (b"\r", b"\n"):
        return True
    if not 65 <= held[0] <= 90:
        return False
    probe = bytes(held[:40])
    if probe.startswith(b"HTTP/1."[:len(probe)]) or probe.startswith(b"HTTP/1."):
        return True
    space = probe.find(b" ")
    if space < 0:
        return len(probe) <= 20 and probe.isalpha() and probe.isupper()
    return 0 < space <= 20 and probe[:space].isalpha() and probe[:space].isupper()


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
