"""The tap: every byte one side of a WebSocket writes or reads, also fed to the frame codec for the view.

One :class:`Tap` per direction. It owns a :class:`~wiretool.codec.wsframe.WsFrameParser`, emits the
records the run asked to see (frames, or reassembled messages) and remembers the violations found in
them, so the caller can close with the right code and exit 5 even when the record was not shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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

    ``show`` is ``frames`` (frame records only), ``messages`` (message records only) or ``none``
    (records are parsed for violations but not shown).
    """

    __slots__ = ("_emit", "_now", "count", "dir", "frames", "parser", "show", "violations")

    def __init__(self, out: Output, *, sender: str, dir: str, show: str = "frames", deflate: bool = False,
                 no_context_takeover: bool = False) -> None:
        from wiretool.codec.wsframe import WsFrameParser

        self.parser = WsFrameParser(sender=sender, dir=dir, rsv1_allowed=deflate, deflate=deflate,
                                    no_context_takeover=no_context_takeover, messages=True)
        self.dir = dir
        self.show = show
        self._emit = out.emit
        self._now = out.now
        self.violations: list[Violation] = []
        self.frames = 0
        self.count = 0

    def feed(self, data: bytes | bytearray | memoryview) -> list[Violation]:
        """Parse ``data``; emit what is shown; return the violations found in it (also kept in ``violations``)."""
        return self._handle(self.parser.feed(bytes(data), self._now()))

    def finish(self) -> list[Violation]:
        """End of the stream: report a truncated frame or an unfinished message."""
        return self._handle(self.parser.finish(self._now()))

    def _handle(self, records: list) -> list[Violation]:
        found: list[Violation] = []
        show = self.show
        for rec in records:
            kind = rec.type
            if kind == "frame":
                self.frames += 1
            if kind == show[:-1]:  # "frames" -> "frame", "messages" -> "message"
                self._emit(rec)
                self.count += 1
                shown = True
            else:
                shown = False
            violations = getattr(rec, "violations", None)
            if violations:
                found.extend(violations)
                if not shown and show != "none":
                    from wiretool.records.ws_session import WsProtocolError

                    self._emit(WsProtocolError(t=rec.t, dir=self.dir, violations=list(violations)))
        if found:
            self.violations.extend(found)
        return found
