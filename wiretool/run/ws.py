"""What a ``ws connect`` run waits for, and how the end of a WebSocket connection maps onto an exit status.

:class:`WsGoals` watches the records: the data messages received (``--count N``, the ``--expect``
regexes matched in order), the handshake, and the ``close`` record, which it turns into the run's outcome
with :func:`close_outcome`. Both are pure: no I/O, no clock. A violation seen on the wire ends the run
before the close (the connection reports it the moment it sees it), so it is not their concern.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from wiretool.exitcodes import ExitCode
from wiretool.records import Record
from wiretool.records.viewed import Viewed
from wiretool.records.ws import WsFrame, WsMessage
from wiretool.records.ws_session import WsClose, WsHandshake
from wiretool.run import field_expect
from wiretool.session import RECV, Outcome

_COMPRESSED = object()
"""Fragments of a compressed message: the codec's inflated ``message`` record stands for them."""


def close_outcome(close: WsClose, *, expect_close: int | None, pending: str | None) -> Outcome:
    """The exit status of a connection that ended with ``close`` (the run's goals not reached before).

    ``pending`` says what the run still waited for (an unmatched ``--expect``, a ``--count`` short):
    a peer that closes cleanly before it was given is exit 7; so is any other close code than the
    ``--expect-close`` one. A peer closing with 1002/1007 is exit 5, no close handshake exit 8.
    """
    if expect_close is not None:
        if close.code == expect_close:
            return Outcome(ExitCode.OK)
        return Outcome(ExitCode.EXPECTATION, f"--expect-close {expect_close}: connection closed with "
                                             f"{close.code} {close.code_name}")
    if close.code in (1002, 1007) and close.initiator == "server":
        return Outcome(ExitCode.PROTOCOL, f"server closed with {close.code} {close.code_name}: "
                                          f"{close.reason or 'no reason'}")
    if close.code == 1006 or not close.clean:
        return Outcome(ExitCode.ABNORMAL_CLOSE, "connection closed abnormally (1006): no close handshake")
    if pending and close.initiator == "server":
        return Outcome(ExitCode.EXPECTATION, f"stream ended first: {pending}")
    return Outcome(ExitCode.OK)


class WsGoals:
    """``--count``, ``--expect`` (in order) and ``--expect-close`` over the records of one connection.

    Data messages are counted from ``message`` records (``--show messages``, compressed messages) or,
    when frames are shown, from the received data frames (fragments joined), whichever the view shows.
    An ``--expect`` in the field form (``$.event=chat``, :mod:`wiretool.run.field_expect`) is matched
    against the message's decoded view (a :class:`~wiretool.records.viewed.Viewed` record), any other
    is a regex on its text.
    """

    def __init__(self, *, count: int | None = None, expects: Sequence[str] = (),
                 expect_close: int | None = None) -> None:
        self.count = count
        self.expects: list[re.Pattern[str] | field_expect.FieldExpect] = [
            field_expect.parse(p) if field_expect.is_field_form(p) else re.compile(p) for p in expects]
        self.expect_close = expect_close
        self.matched = 0
        self.received = 0
        self.opened = False
        self._fragments: bytearray | object | None = None
        """The fragmented message being counted: one buffer (a list would grow with every empty fragment)."""
        self._fragment_opcode = 1
        self._counts = count is not None or bool(self.expects)
        """Whether data messages matter at all (else the hot path skips them)."""
        self._waits = expect_close is None and self._counts
        self.quiet_types: frozenset[type] = frozenset() if self._counts else frozenset({WsFrame, WsMessage,
                                                                                                     Viewed})
        """Record types :meth:`on_record` ignores (the run layer skips the call for them)."""

    # -- Goals -------------------------------------------------------------------------------------
    def on_record(self, record: Record) -> Outcome | None:
        kind = type(record)
        fields = None
        if kind is Viewed:
            fields = record.view.fields  # type: ignore[attr-defined]
            record = record.record  # type: ignore[attr-defined]
            kind = type(record)
        if kind is WsMessage:
            if (self._counts and record.dir == RECV and record.complete  # type: ignore[attr-defined]
                    and not record.violations):  # type: ignore[attr-defined]
                return self._message(record.opcode, record.payload, fields)  # type: ignore[attr-defined]
        elif kind is WsFrame:
            if self._counts and record.dir == RECV:  # type: ignore[attr-defined]
                return self._frame(record, fields)  # type: ignore[arg-type]
        elif kind is WsClose:
            return close_outcome(record, expect_close=self.expect_close, pending=self.pending())  # type: ignore[arg-type]
        elif kind is WsHandshake:
            if record.dir == RECV and record.status == 101 and not record.error:  # type: ignore[attr-defined]
                self.opened = True
        return None

    def shown_after_end(self, record: Record) -> bool:
        """Once ``--count N`` has ended the run, the clean data messages still arriving while the connection
        closes are not shown, so it shows N; the closing handshake, a message with a violation and everything
        else is. An ``--expect`` alone hides nothing: what it matched may still be completing (a Socket.IO
        binary event's attachments come after the event that names it)."""
        if self.count is None:
            return True
        if type(record) is Viewed:
            record = record.record  # type: ignore[attr-defined]
        if isinstance(record, WsMessage):
            return record.dir != RECV or record.opcode not in (1, 2) or bool(record.violations)
        if isinstance(record, WsFrame):
            return record.dir != RECV or record.opcode not in (0, 1, 2) or bool(record.violations)
        return True

    def on_timeout(self, timeout: float) -> Outcome:
        pending = self.pending() if self.opened else None
        if pending and (self.expects or self.expect_close is not None):
            return Outcome(ExitCode.EXPECTATION, f"--timeout {timeout:g}s passed: {pending}")
        return Outcome(ExitCode.TIMEOUT, f"--timeout {timeout:g}s passed")

    def on_end(self, outcome: Outcome) -> Outcome:
        return outcome

    # -- what is still awaited ---------------------------------------------------------------------
    def pending(self) -> str | None:
        """What the run still waits for, in words; None when nothing."""
        if self.matched < len(self.expects):
            return f"--expect {self.expects[self.matched].pattern!r} not matched"
        if self.count is not None and self.received < self.count:
            return f"--count {self.count}: only {self.received} messages received"
        if self.expect_close is not None:
            return f"--expect-close {self.expect_close}: no close received"
        return None

    def _message(self, opcode: int, data: bytes, fields: object = None) -> Outcome | None:
        self.received += 1
        if self.matched < len(self.expects):
            expect = self.expects[self.matched]
            if isinstance(expect, field_expect.FieldExpect):
                hit = expect.matches(field_expect.document_of(fields, data, opcode))
            else:
                hit = expect.search(data.decode("utf-8", "replace") if opcode == 1 else data.hex()) is not None
            if hit:
                self.matched += 1
        if self._waits and (self.count is None or self.received >= self.count) and self.matched >= len(self.expects):
            return Outcome(ExitCode.OK)
        return None

    def _frame(self, frame: WsFrame, fields: object = None) -> Outcome | None:
        if frame.violations or frame.missing:
            return None
        opcode = frame.opcode
        if opcode == 1 or opcode == 2:
            if frame.rsv1:  # compressed: the inflated message record follows the last frame
                self._fragments = None if frame.fin else _COMPRESSED
                return None
            if frame.fin:
                self._fragments = None
                return self._message(opcode, frame.payload, fields)
            self._fragments = bytearray(frame.payload)
            self._fragment_opcode = opcode
        elif opcode == 0:
            fragments = self._fragments
            if fragments is _COMPRESSED:
                if frame.fin:
                    self._fragments = None
            elif isinstance(fragments, bytearray):
                fragments += frame.payload
                if frame.fin:
                    self._fragments = None
                    return self._message(self._fragment_opcode, bytes(fragments), fields)
        return None

