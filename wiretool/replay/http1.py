"""HTTP/1.1 heads and bodies in captured bytes: the handshake of ``ws`` captures and the requests of ``sse`` ones.

Pure helpers (no I/O), shared by replay and ``frame decode --capture``: split a head from what follows,
read its start line and headers, undo chunked transfer coding leniently (a capture may end mid-chunk).
"""

from __future__ import annotations

from dataclasses import dataclass, field


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
        if len(parts) >= 2 and parts[0].startswith("HTTP/") and parts[1].isdigit():
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
    if length and length.isdigit():
        return rest[:int(length)]
    return rest
