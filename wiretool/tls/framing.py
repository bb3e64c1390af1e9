"""The TLS record layer and handshake-message framing, one direction at a time, bounded and lenient.

A record is ``type(1) version(2) length(2) fragment`` (RFC 8446 section 5.1, RFC 5246 section 6.2); its
fragment is at most 2^14 + 256 bytes (a protected record). A length above that, or a type or version that no
TLS peer sends, means the stream is not TLS (or not where we think): it is named once and the direction
stops, because nothing after it can be framed with confidence. Bytes are parsed in place by offset; at most
one partial record is buffered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

CHANGE_CIPHER_SPEC, ALERT, HANDSHAKE, APPLICATION_DATA, HEARTBEAT = 20, 21, 22, 23, 24
CONTENT_TYPES = {CHANGE_CIPHER_SPEC: "change_cipher_spec", ALERT: "alert", HANDSHAKE: "handshake",
                 APPLICATION_DATA: "application_data", HEARTBEAT: "heartbeat"}
#: The largest fragment a peer may send: 2^14 of plaintext plus 256 of protection (RFC 8446 section 5.2).
MAX_FRAGMENT = 2**14 + 256
HEADER = 5


@dataclass(frozen=True)
class TlsRecord:
    """One record as framed on the wire (its fragment still protected when the connection is encrypted)."""

    content_type: int
    version: int
    fragment: bytes


def looks_like_tls(data: bytes) -> bool:
    """True when ``data`` starts like a TLS handshake record (a ClientHello's first bytes): for protocol detection."""
    return len(data) >= 3 and data[0] == HANDSHAKE and data[1] == 3 and data[2] <= 4


class RecordReader:
    """Frames records of one direction from its byte stream, fed in any chunking.

    ``error`` is set (and every later byte ignored) when the stream stops being TLS; ``ignored`` counts those
    bytes. :meth:`finish` names a record cut short by the end of the stream.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.error: str | None = None
        self.ignored = 0
        self.offset = 0  # stream offset of the first buffered byte
        self._probe: Callable[[TlsRecord], bool] | None = None  # set while searching for a record after a gap
        self._searched = 0

    def resync(self, probe: Callable[[TlsRecord], bool]) -> None:
        """After a gap: drop the partial record and look for the next application data record that ``probe``
        accepts (it decrypts); framing goes on from there. Gives up (``error``) after :data:`RESYNC_LIMIT`."""
        self.ignored += len(self._buf)
        self.offset += len(self._buf)
        self._buf.clear()
        self._probe = probe
        self._searched = 0

    def feed(self, data: bytes) -> list[TlsRecord]:
        """Add bytes; return the records they complete, in order."""
        if self.error:
            self.ignored += len(data)
            return []
        buf = self._buf
        buf += data
        out: list[TlsRecord] = []
        pos, end = 0, len(buf)
        view = memoryview(buf)
        if self._probe is not None:
            pos = self._search(buf, view, end)
        while end - pos >= HEADER and self._probe is None:
            ctype, major, minor = buf[pos], buf[pos + 1], buf[pos + 2]
            length = (buf[pos + 3] << 8) | buf[pos + 4]
            problem = _header_problem(ctype, major, minor, length)
            if problem:
                self.error = f"{problem} at stream offset {self.offset + pos}: not TLS from here on"
                self.ignored += end - pos
                pos = end
                break
            if end - pos < HEADER + length:
                break
            out.append(TlsRecord(ctype, (major << 8) | minor, bytes(view[pos + HEADER:pos + HEADER + length])))
            pos += HEADER + length
        view.release()  # before the buffer is resized
        if pos:
            del buf[:pos]
            self.offset += pos
        return out

    def _search(self, buf: bytearray, view: memoryview, end: int) -> int:
        """Scan for a record header the probe confirms; return where framing resumes (or how far was scanned)."""
        pos = 0
        while True:
            i = buf.find(RESYNC_HEADER, pos)
            if i < 0:
                pos = max(pos, end - HEADER + 1)  # a header may straddle this feed and the next
                break
            if end - i < HEADER:
                pos = i
                break
            length = (buf[i + 3] << 8) | buf[i + 4]
            if not 17 <= length <= MAX_FRAGMENT:  # the smallest protected record: 1 byte and a 16-byte tag
                pos = i + 1
                continue
            if end - i < HEADER + length:
                pos = i
                break
            if self._probe is not None and self._probe(TlsRecord(APPLICATION_DATA, 0x0303,
                                                                bytes(view[i + HEADER:i + HEADER + length]))):
                self._probe = None
                pos = i
                break
            pos = i + 1
        self._searched += pos
        self.ignored += pos
        if self._probe is not None and self._searched > RESYNC_LIMIT:
            self._probe = None
            self.error = f"no record decrypted in the {RESYNC_LIMIT >> 20} MiB after the gap: not read further"
            self.ignored += end - pos
            return end
        return pos

    def stop(self, reason: str) -> None:
        """Stop framing this direction (a gap it cannot cross): later bytes are counted, not read."""
        self._probe = None
        if not self.error:
            self.error = reason
            self.ignored += len(self._buf)
            self._buf.clear()

    def finish(self) -> str | None:
        """Why the stream ended badly (inside a record), or None when it ended on a record boundary."""
        if self.error or not self._buf:
            return None
        have = len(self._buf)
        if have < HEADER:
            return f"the stream ends inside a record header ({have} of 5 bytes)"
        want = HEADER + ((self._buf[3] << 8) | self._buf[4])
        return f"the stream ends inside a record ({have} of {want} bytes)"


#: Application data records after a gap start with these bytes (TLS 1.3 always, TLS 1.2 in practice).
RESYNC_HEADER = bytes([APPLICATION_DATA, 3, 3])
#: Bytes scanned after a gap for a record that decrypts, before giving up.
RESYNC_LIMIT = 1 << 20


def _header_problem(ctype: int, major: int, minor: int, length: int) -> str | None:
    if ctype not in CONTENT_TYPES:
        return f"record type {ctype} is not a TLS content type"
    if major != 3 or minor > 4:
        return f"record version 0x{major:02X}{minor:02X} is not a TLS version"
    if length > MAX_FRAGMENT:
        return f"a record length of {length} bytes exceeds the {MAX_FRAGMENT} TLS allows"
    return None


#: Handshake messages kept whole (ClientHello, ServerHello, EncryptedExtensions, KeyUpdate); others are skipped.
#: Post-quantum key shares make a ClientHello a few KiB; 64 KiB is far above any real one.
MAX_KEPT_MESSAGE = 1 << 16


@dataclass(frozen=True)
class HandshakeMessage:
    """One handshake message: its type, its declared length, and its body when it is one we keep."""

    msg_type: int
    length: int
    body: bytes | None


class HandshakeReader:
    """Reassembles handshake messages across records (one reader per direction and key epoch).

    Only the bodies of ``keep`` types are buffered (up to :data:`MAX_KEPT_MESSAGE`); other messages, such as a
    large Certificate, are counted through without being stored.
    """

    def __init__(self, keep: frozenset[int]) -> None:
        self.keep = keep
        self._header = bytearray()
        self._body: bytearray | None = None
        self._type = 0
        self._length = 0
        self._left = 0
        self.error: str | None = None

    def feed(self, fragment: bytes) -> list[HandshakeMessage]:
        """Add one handshake record's plaintext; return the messages it completes."""
        out: list[HandshakeMessage] = []
        pos, end = 0, len(fragment)
        while pos < end and not self.error:
            if self._left == 0 and self._body is None and len(self._header) < 4:
                take = min(4 - len(self._header), end - pos)
                self._header += fragment[pos:pos + take]
                pos += take
                if len(self._header) < 4:
                    break
                self._type = self._header[0]
                self._length = int.from_bytes(self._header[1:4], "big")
                self._left = self._length
                if self._type in self.keep:
                    if self._length > MAX_KEPT_MESSAGE:
                        self.error = f"a {self._length}-byte handshake message of type {self._type} is too large"
                        break
                    self._body = bytearray()
                if self._left == 0:
                    out.append(self._complete())
                    continue
            take = min(self._left, end - pos)
            if self._body is not None:
                self._body += fragment[pos:pos + take]
            self._left -= take
            pos += take
            if self._left == 0:
                out.append(self._complete())
        return out

    def _complete(self) -> HandshakeMessage:
        body = bytes(self._body) if self._body is not None else None
        message = HandshakeMessage(self._type, self._length, body)
        self._header.clear()
        self._body = None
        self._left = 0
        return message
