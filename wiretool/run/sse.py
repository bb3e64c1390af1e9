"""``sse tail``'s part of the run: what it waits for (``--max-events``, ``--expect``), what it shows
(``--event``, ``--raw``), and how an unmet expectation turns an end into exit 7. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from wiretool.exitcodes import ExitCode
from wiretool.records import Record
from wiretool.records.sse import SseChunk, SseComment, SseEvent
from wiretool.records.viewed import Viewed
from wiretool.run import field_expect
from wiretool.session import Outcome

if TYPE_CHECKING:
    from wiretool.output.sink import Output


class SseGoals:
    """Stop after ``max_events`` shown events or at the first whose data matches ``pattern``.

    Only events that pass the ``--event`` filter (``types``; empty: all) count, as only they are shown
    (``shown`` counts them only while there is a goal: the summary's figure is the session's).
    An ``--expect`` never met makes a clean end, an ``--idle-timeout`` or a ``--timeout`` exit 7. It is a
    regex on the data, or the field form (``$.choices[0].delta.content~hi``) on the data's view (``--view``)
    or, without one, on the data parsed as JSON.
    """

    def __init__(self, *, types: frozenset[str] = frozenset(), max_events: int | None = None,
                 pattern: re.Pattern[str] | field_expect.FieldExpect | None = None) -> None:
        self.types = types
        self.max_events = max_events
        self.pattern = pattern
        self.shown = 0
        self.matched = False
        self._waiting = max_events is not None or pattern is not None

    def on_record(self, record: Record) -> Outcome | None:
        if not self._waiting:  # the hot path of a plain tail: nothing to count towards
            return None
        fields = None
        if type(record) is Viewed:
            fields = record.view.fields  # type: ignore[attr-defined]
            record = record.record  # type: ignore[attr-defined]
        if type(record) is not SseEvent or (self.types and record.event not in self.types):  # type: ignore[attr-defined]
            return None
        self.shown += 1
        if self.pattern is not None and self._hit(record.data, fields):  # type: ignore[attr-defined]
            self.matched = True
            return Outcome(ExitCode.OK, "--expect met")
        if self.max_events is not None and self.shown >= self.max_events:
            return Outcome(ExitCode.OK, f"--max-events {self.max_events} reached")
        return None

    def _hit(self, data: str, fields: object) -> bool:
        pattern = self.pattern
        if isinstance(pattern, field_expect.FieldExpect):
            return pattern.matches(field_expect.document_of(fields, data.encode("utf-8", "surrogatepass"), 1))
        assert pattern is not None
        return pattern.search(data) is not None

    def on_timeout(self, timeout: float) -> Outcome:
        return Outcome(ExitCode.TIMEOUT, f"--timeout {timeout:g} s reached")

    def on_end(self, outcome: Outcome) -> Outcome:
        if self.pattern is not None and not self.matched and outcome.code in (ExitCode.OK, ExitCode.TIMEOUT):
            reason = outcome.message or "stream ended"
            return Outcome(ExitCode.EXPECTATION, f"--expect {self.pattern.pattern!r} not met ({reason})")
        return outcome


def sse_show(out: Output, meta: Output, *, raw: bool, types: frozenset[str]) -> Callable[[Record], None]:
    """The run's ``show``: events (of the ``--event`` types) and comments to ``out``; with ``--raw`` only the
    body chunks there. Connections, notes (and the run's error and summary) go to ``meta``, which is stderr
    under ``--raw`` on a terminal so that stdout carries the body bytes alone.
    """
    emit, meta_emit = out.emit, meta.emit
    if not raw and not types and meta is out:
        return emit  # everything is shown, in one place: no routing layer on the hot path

    def show(record: Record) -> None:
        kind = type(record)
        if kind is Viewed:
            event = record.record  # type: ignore[attr-defined]
            if not raw and (not types or event.event in types):
                emit(record)
        elif kind is SseEvent:
            if not raw and (not types or record.event in types):  # type: ignore[attr-defined]
                emit(record)
        elif kind is SseComment:
            if not raw:
                emit(record)
        elif kind is SseChunk:
            if raw:
                emit(record)
        else:
            meta_emit(record)

    return show
