"""What a WebSocket connection shows of its frame codec's records, and the checks beside the codec.

The bytes reach the codec through :class:`wiretool.session.Tap`, one per direction (the client's and the
server's alike). :func:`frame_parser` makes that codec for a direction, and a :class:`WsView` picks what the
run asked to see of its records (frames, or reassembled messages, or nothing) and remembers the violations
found in them, so the connection can close with the right code and exit 5 even when the record was not shown.
Nothing here writes anywhere: the connection hands what :meth:`WsView.select` picked to its sink.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from wiretool.records import Record, Violation

if TYPE_CHECKING:
    from wiretool.codec.wsframe import WsFrameParser

UTF8_CODES = frozenset({"invalid-utf8", "invalid_utf8", "bad-utf8", "utf8"})


def close_code_for(violations: Sequence[Violation]) -> int:
    """The close code RFC 6455 asks for: 1007 for bad UTF-8, 1009 for too big, 1002 for the rest."""
    for v in violations:
        code = v.code.lower()
        if "utf" in code:
            return 1007
        if "too-big" in code or "too_big" in code or "max-size" in code or "too-many-frames" in code:
            return 1009
    return 1002


def frame_parser(*, sender: str, dir: str, deflate: bool = False, no_context_takeover: bool = False,
                 max_size: int | None = None, frames: bool = True, whole_messages: bool = True) -> WsFrameParser:
    """The frame codec of one direction of a connection (messages reassembled, inflated under deflate);
    ``frames=False`` leaves out the frame record of a plain whole message (``--show messages``),
    ``whole_messages=False`` the message record of a plain whole frame (the frames view)."""
    from wiretool.codec.wsframe import WsFrameParser

    return WsFrameParser(sender=sender, dir=dir, rsv1_allowed=deflate, deflate=deflate,
                         no_context_takeover=no_context_takeover, messages=True, max_inflated=max_size,
                         frames=frames, whole_messages=whole_messages)


class WsView:
    """Of one direction's records, pick what is shown; count frames; keep violations and the first close.

    ``show`` is ``frames`` (frame records, plus the inflated message after compressed frames),
    ``messages`` (message records only), ``frames+messages`` (both, every message) or ``none`` (parsed for
    violations, not shown). A violation in a
    record that is not shown becomes a ``violation`` record of its own, so it is never silent.
    """

    __slots__ = ("close_seen", "count", "dir", "frames", "show", "violations")

    def __init__(self, *, dir: str, show: str = "frames") -> None:
        self.dir = dir
        self.show = show
        self.violations: list[Violation] = []
        self.close_seen: tuple[int, str] | None = None
        """Code and reason of the first CLOSE frame seen (also when the state machine had stopped reading)."""
        self.frames = 0
        self.count = 0

    def select(self, records: Sequence[Record]) -> tuple[list[Record], list[Violation]]:
        """The records to show, in order, and the violations found in ``records`` (also kept here)."""
        found: list[Violation] = []
        shown_out: list[Record] = []
        show = self.show[:-1]  # "frames" -> "frame", "messages" -> "message"
        both = show == "frames+message"
        for rec in records:
            kind = rec.type
            if kind == "frame":
                self.frames += 1
                if rec.head[0] & 0x0F == 8 and self.close_seen is None and not rec.missing:  # type: ignore[attr-defined]
                    self.close_seen = (rec.close_code or 1005, rec.close_reason or "")  # type: ignore[attr-defined]
            shown = (kind == show or both or  # type: ignore[attr-defined]
                     (kind == "message" and rec.compressed and show == "frame"))  # type: ignore[attr-defined]
            if shown:
                self.count += 1
                shown_out.append(rec)
            violations = rec.violations  # type: ignore[attr-defined]
            if violations and kind == "message" and show == "message":
                # --show messages: a message that broke the protocol is not shown as one; its violations are
                # its frames', and those frames (not shown either) report them
                shown_out.pop()
                self.count -= 1
                found.extend(violations)
                continue
            if violations:
                found.extend(violations)
                if not shown and self.show != "none":
                    from wiretool.records.ws_session import WsProtocolError

                    shown_out.append(WsProtocolError(t=rec.t, dir=self.dir, violations=list(violations)))
        if found:
            self.violations.extend(found)
        return shown_out, found
