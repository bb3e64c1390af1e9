"""The tap: every byte one side of a WebSocket writes or reads, also fed to the frame codec for the view.

One :class:`Tap` per direction. It owns a :class:`~wiretool.codec.wsframe.WsFrameParser`, emits the
records the run asked to see (frames, or reassembled messages) and remembers the violations found in
them, so the caller can close with the right code and exit 5 even when the record was not shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wiretool.output.ndjson_ws import dumps, frame_json_line
from wiretool.records import Violation

if TYPE_CHECKING:
    from wiretool.output.sink import Output

UTF8_CODES = frozenset({"invalid-utf8", "invalid_utf8", "bad-utf8", "utf8"})


def close_code_for(violations: list[Violation]) -> int:
    """The close code RFC 6455 asks for: 1007 for bad UTF-8, 1009 for too big, 1002 for the rest."""
    for v in violations:
        code = v.code.lower()
        if "utf" in code:
            return 1007
        if "too-big" in code or "too_big" in code or "max-size" in code:
            return 1009
    return 1002


class Tap:
    """Feed one direction's wire bytes to the codec; emit frames or messages; collect violations.

    ``show`` is ``frames`` (frame records, plus the inflated message after compressed frames),
    ``messages`` (message records only) or ``none`` (parsed for violations, not shown). Under ``--json`` the lines of one read are
    written together and flushed once: every record of a read is out before the next read.
    """

    __slots__ = ("_dir_json", "_emit", "_now", "_out", "_stdout", "close_seen", "count", "dir", "frames", "parser",
                 "show", "violations")

    def __init__(self, out: Output, *, sender: str, dir: str, show: str = "frames", deflate: bool = False,
                 no_context_takeover: bool = False, fast: bool = True, max_size: int | None = None) -> None:
        from wiretool.codec.wsframe import WsFrameParser

        self.parser = WsFrameParser(sender=sender, dir=dir, rsv1_allowed=deflate, deflate=deflate,
                                    no_context_takeover=no_context_takeover, messages=True, max_inflated=max_size)
        self.dir = dir
        self._dir_json = dumps(dir)
        self.show = show
        self._out = out
        self._emit = out.emit
        self._now = out.now
        self._stdout = out.env.stdout if out.env.json and fast else None
        self.violations: list[Violation] = []
        self.close_seen: tuple[int, str] | None = None
        """Code and reason of the first CLOSE frame seen (also when the state machine had stopped reading)."""
        self.frames = 0
        self.count = 0

    def feed(self, data: bytes | bytearray | memoryview) -> list[Violation]:
        """Parse ``data``; emit what is shown; return the violations found in it (also kept in ``violations``)."""
        return self._handle(self.parser.feed(data, self._now()))

    def finish(self) -> list[Violation]:
        """End of the stream: report a truncated frame or an unfinished message."""
        return self._handle(self.parser.finish(self._now()))

    def _handle(self, records: list) -> list[Violation]:
        found: list[Violation] = []
        show = self.show[:-1]  # "frames" -> "frame", "messages" -> "message"
        lines: list[str] | None = [] if self._stdout is not None else None
        for rec in records:
            kind = rec.type
            if kind == "frame":
                self.frames += 1
                if rec.head[0] & 0x0F == 8 and self.close_seen is None and not rec.missing:
                    self.close_seen = (rec.close_code or 1005, rec.close_reason or "")
            shown = kind == show or (kind == "message" and rec.compressed and show == "frame")
            if shown:
                self.count += 1
                if lines is None:
                    self._emit(rec)
                elif kind == "frame":
                    lines.append(frame_json_line(rec, self._dir_json))
                else:
                    lines.append(dumps(rec.to_json()) + "\n")
            violations = rec.violations
            if violations:
                found.extend(violations)
                if not shown and self.show != "none":
                    from wiretool.records.ws_session import WsProtocolError

                    extra = WsProtocolError(t=rec.t, dir=self.dir, violations=list(violations))
                    if lines is None:
                        self._emit(extra)
                    else:
                        lines.append(dumps(extra.to_json()) + "\n")
        if lines:
            assert self._stdout is not None
            self._stdout.write("".join(lines))
            self._stdout.flush()
        if found:
            self.violations.extend(found)
        return found


V_NON_MINIMAL = Violation("non-minimal-length", "RFC 6455 §5.2",
                          "payload length not encoded in the minimal number of bytes")


class LengthCheck:
    """``--show messages`` skips the frame codec; this walks the frame headers alone to catch the one rule
    websockets lets through (a length not minimally encoded), at a fraction of the codec's cost.
    """

    __slots__ = ("skip", "tail")

    def __init__(self) -> None:
        self.skip = 0  # payload bytes of the current frame still to come
        self.tail = b""  # a header cut by the end of the previous read

    def feed(self, data: bytes) -> Violation | None:
        if self.tail:
            data = self.tail + data
            self.tail = b""
        pos, n = self.skip, len(data)
        bad = None
        while pos + 2 <= n:
            b1 = data[pos + 1]
            length = b1 & 0x7F
            size = 2
            if length == 126:
                if pos + 4 > n:
                    break
                length = int.from_bytes(data[pos + 2:pos + 4], "big")
                size = 4
                if length < 126:
                    bad = V_NON_MINIMAL
            elif length == 127:
                if pos + 10 > n:
                    break
                length = int.from_bytes(data[pos + 2:pos + 10], "big")
                size = 10
                if length < 65536:
                    bad = V_NON_MINIMAL
            if b1 & 0x80:
                size += 4
            pos += size + length
        if pos >= n:
            self.skip = pos - n
        else:
            self.tail = data[pos:]
            self.skip = 0
        return bad
