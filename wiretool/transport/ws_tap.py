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

from wiretool.codec.wsrules import V_AFTER_CLOSE
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
                 max_size: int | None = None) -> WsFrameParser:
    """The frame codec of one direction of a connection (messages reassembled, inflated under deflate)."""
    from wiretool.codec.wsframe import WsFrameParser

    return WsFrameParser(sender=sender, dir=dir, rsv1_allowed=deflate, deflate=deflate,
                         no_context_takeover=no_context_takeover, messages=True, max_inflated=max_size)


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
            if violations:
                found.extend(violations)
                if not shown and self.show != "none":
                    from wiretool.records.ws_session import WsProtocolError

                    shown_out.append(WsProtocolError(t=rec.t, dir=self.dir, violations=list(violations)))
        if found:
            self.violations.extend(found)
        return shown_out, found


V_NON_MINIMAL = Violation("non-minimal-length", "RFC 6455 §5.2",
                          "payload length not encoded in the minimal number of bytes")


class LengthCheck:
    """``--show messages`` skips the frame codec; this walks the frame headers alone to catch the rules
    websockets lets through (a length not minimally encoded; a frame after the peer's own CLOSE, which
    websockets discards unseen), at a fraction of the codec's cost. It also keeps the peer's first close
    code and reason, since websockets stops reading once it failed the connection.
    """

    __slots__ = ("close_seen", "closed", "skip", "tail")

    def __init__(self) -> None:
        self.skip = 0  # payload bytes of the current frame still to come
        self.tail = b""  # a header cut by the end of the previous read
        self.closed = False
        self.close_seen: tuple[int, str] | None = None
        """Code and reason of the peer's CLOSE frame (when its payload came in one read)."""

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
            if self.closed:
                if data[pos] & 0x08 == 0:  # a data frame (control frames may follow a close)
                    bad = bad or V_AFTER_CLOSE
            elif data[pos] & 0x0F == 8:
                self.closed = True
                self._close(data, pos + size, length, b1 & 0x80)
            pos += size + length
        if pos >= n:
            self.skip = pos - n
        else:
            self.tail = data[pos:]
            self.skip = 0
        return bad

    def _close(self, data: bytes, start: int, length: int, masked: int) -> None:
        if length == 0:
            self.close_seen = (1005, "")
        elif 2 <= length <= 125 and start + length <= len(data):
            payload = data[start:start + length]
            if masked:
                from wiretool.codec.wsmask import apply_mask

                payload = apply_mask(payload, data[start - 4:start])
            self.close_seen = (int.from_bytes(payload[:2], "big"), payload[2:].decode("utf-8", "replace"))
