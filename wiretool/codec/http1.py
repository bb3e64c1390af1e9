"""HTTP/1.1 heads and bodies in captured bytes: the handshake of ``ws`` captures and the requests of ``sse`` ones.

Pure helpers (no I/O), shared by replay and ``frame decode --capture``: split a head from what follows,
read its start line and headers, undo chunked transfer coding leniently (a capture may end mid-chunk).
"""

from __future__ import annotations

from dataclasses import dataclass, field


def is_digits(text: str | bytes, most: int | None = None) -> bool:
    """ASCII digits only (at most ``most`` of them): ``'²'.isdigit()`` is true, but ``int()`` refuses it, and a
    5000-digit length is no length. The one check for numbers a peer sends, in every layer."""
    return 0 < len(text) and (most is None or len(text) <= most) and text.isascii() and text.isdigit()


@dataclass
class Head:
    """A request or response head: its start line and headers in order (names as sent)."""

    start_line: str
    headers: list[tuple[str, str]] = field(default_factory=list)

    def get(self, name: str, default: str | None = None) -> str | None:
        low = name.lower()
        for n, v in self.headers:
            if n.lower() == low:
                return v
        return default

    @property
    def status(self) -> int | None:
        """The status code of a response head (None for a request or a broken line)."""
        parts = self.start_line.split(" ", 2)
        if len(parts) >= 2 and parts[0].startswith("HTTP/") and is_digits(parts[1], 3):
            return int(parts[1])
        return None

    @property
    def method(self) -> str:
        return self.start_line.split(" ", 1)[0]

    @property
    def target(self) -> str:
        parts = self.start_line.split(" ")
        return parts[1] if len(parts) > 1 else "/"


def split_head(data: bytes) -> tuple[Head | None, bytes]:
    """``(head, rest)`` when ``data`` holds a whole head, else ``(None, data)``."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return None, data
    return parse_head(data[:end]), data[end + 4:]


def parse_head(raw: bytes) -> Head:
    """Parse head bytes (without the blank line); lenient about bad lines (they are kept as best can be)."""
    lines = raw.decode("latin-1").split("\r\n")
    head = Head(lines[0])
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            head.headers.append((name.strip(), value.strip()))
    return head


def build_head(start_line: str, headers: list[tuple[str, str]]) -> bytes:
    """The bytes of a head, blank line included."""
    text = start_line + "\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers) + "\r\n"
    return text.encode("latin-1", "replace")


def dechunk(data: bytes) -> bytes:
    """Undo ``Transfer-Encoding: chunked``; a body cut short gives what arrived whole."""
    out = bytearray()
    pos = 0
    n = len(data)
    while pos < n:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            break
        size_text = data[pos:eol].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            break
        if size == 0:
            break
        start = eol + 2
        out += data[start:start + size]
        pos = start + size + 2
    return bytes(out)


def body_of(head: Head, rest: bytes) -> bytes:
    """The body after a response head, transfer coding undone."""
    if (head.get("transfer-encoding") or "").lower().endswith("chunked"):
        return dechunk(rest)
    length = head.get("content-length")
    if length and is_digits(length, 18):
        return rest[:int(length)]
    return rest


class MessageStream:
    """HTTP/1.1 messages one after another on one connection (keep-alive), parsed as bytes arrive.

    :meth:`feed` returns events: ``("head", Head)``, ``("body", bytes)`` (transfer coding undone) and
    ``("end", None)`` when a message's body is complete. A body with neither length nor chunking runs
    to the end of the connection (:meth:`close`). Lenient: a broken chunk size ends the message.
    """

    def __init__(self, *, requests: bool = False, stop_at_upgrade: bool = False) -> None:
        self.requests = requests
        self.stop_at_upgrade = stop_at_upgrade
        """Stop after a message that switches protocols (a request with ``Upgrade``, a 101 response): what
        follows it is another protocol, held for :meth:`take_rest` (a proxy sniffing both legs)."""
        self.bodiless: list[bool] = []
        """Responses only: one entry per request still unanswered, True when its answer has no body whatever
        its headers say (a response to HEAD, RFC 9110 §9.3.2); the caller appends as it sees requests."""
        self.upgrade: Head | None = None
        """The head of the message that stopped the stream (``stop_at_upgrade``), until :meth:`resume`."""
        self._buf = bytearray()
        self._head: Head | None = None
        self._left = 0  # content-length bytes still to come
        self._mode = ""  # "length" | "chunked" | "close"
        self._chunk_left = 0
        self._trailers = False

    @property
    def pending(self) -> int:
        """Bytes held and not yet reported (a head still incomplete, or what follows an upgrade)."""
        return len(self._buf)

    @property
    def in_head(self) -> bool:
        """Waiting for (the rest of) a head, not inside a body."""
        return self._head is None

    def take_rest(self) -> bytes:
        """What followed the upgrade (``stop_at_upgrade``): the first bytes of the other protocol."""
        rest = bytes(self._buf)
        self._buf.clear()
        return rest

    def resume(self) -> list[tuple[str, object]]:
        """The upgrade was refused: go on parsing HTTP/1.1 with the bytes held since."""
        self.upgrade = None
        return self.feed(b"")

    def feed(self, data: bytes) -> list[tuple[str, object]]:
        self._buf += data
        out: list[tuple[str, object]] = []
        if self.upgrade is not None:
            return out
        last = self._head
        while True:
            if self._head is None:
                end = self._buf.find(b"\r\n\r\n")
                if end < 0:
                    return out
                head = parse_head(bytes(self._buf[:end]))
                del self._buf[:end + 4]
                self._head = head
                out.append(("head", head))
                te = (head.get("transfer-encoding") or "").lower()
                length = head.get("content-length")
                status = head.status
                no_body = False
                if not self.requests and self.bodiless and status is not None and status >= 200:
                    no_body = self.bodiless.pop(0)
                if no_body:
                    self._mode, self._left = "length", 0
                elif te.endswith("chunked"):
                    self._mode, self._chunk_left, self._trailers = "chunked", 0, False
                elif length and is_digits(length.strip(), 18):
                    self._mode, self._left = "length", int(length)
                elif self.requests or status in (204, 304) or (status is not None and status < 200):
                    self._mode, self._left = "length", 0
                else:
                    self._mode = "close"
                last = head
            if not self._body(out):
                return out
            if self.stop_at_upgrade and _switches(last, self.requests):
                self.upgrade = last
                return out

    def close(self) -> list[tuple[str, object]]:
        """End of the connection: a body that runs to the close is complete."""
        if self._head is not None and self._mode == "close":
            self._head = None
            return [("end", None)]
        return []

    def _body(self, out: list[tuple[str, object]]) -> bool:
        """Consume body bytes; True when the message ended and another may follow in the buffer."""
        buf = self._buf
        if self._mode == "close":
            if buf:
                out.append(("body", bytes(buf)))
                buf.clear()
            return False
        if self._mode == "length":
            take = min(self._left, len(buf))
            if take:
                out.append(("body", bytes(buf[:take])))
                del buf[:take]
                self._left -= take
            if self._left == 0:
                self._head = None
                out.append(("end", None))
                return True
            return False
        while True:  # chunked
            if self._trailers:
                end = buf.find(b"\r\n\r\n") if not buf.startswith(b"\r\n") else -2
                if end == -1:
                    return False
                del buf[:2 if end == -2 else end + 4]
                self._head = None
                out.append(("end", None))
                return True
            if self._chunk_left > 0:
                take = min(self._chunk_left, len(buf))
                if take:
                    out.append(("body", bytes(buf[:take])))
                    del buf[:take]
                    self._chunk_left -= take
                if self._chunk_left:
                    return False
                self._chunk_left = -1  # the CRLF after the data
            if self._chunk_left == -1:
                if len(buf) < 2:
                    return False
                del buf[:2]
                self._chunk_left = 0
            eol = buf.find(b"\r\n")
            if eol < 0:
                return False
            try:
                size = int(bytes(buf[:eol]).split(b";", 1)[0].strip() or b"x", 16)
            except ValueError:
                self._head = None
                out.append(("end", None))
                buf.clear()
                return False
            del buf[:eol + 2]
            if size == 0:
                self._trailers = True
            else:
                self._chunk_left = size


def _switches(head: Head | None, request: bool) -> bool:
    """A request asking to switch protocols, or a response switching them (RFC 9110 §7.8)."""
    if head is None:
        return False
    if not request:
        return head.status == 101
    return head.get("upgrade") is not None and "upgrade" in (head.get("connection") or "").lower()
