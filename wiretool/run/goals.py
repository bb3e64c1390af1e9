"""What a run is waiting for, per protocol: the only protocol-specific part of the run layer.

A :class:`Goals` object sees every record a session emits and may end the run (a ``--count`` reached, an
``--expect`` matched: exit 0; a rule broken: the protocol's code). When the session ends, or a timeout
passes, it turns what happened into the final :class:`~wiretool.session.Outcome` (an ``--expect`` that was
never met is exit 7 whether the stream ended or the clock ran out). Goals are pure: no I/O, no clock.
"""

from __future__ import annotations

from typing import Protocol

from wiretool.exitcodes import ExitCode
from wiretool.records import Record
from wiretool.session import Outcome


class Goals(Protocol):
    """The per-protocol part of a run; see the module docstring.

    A goals object may also have ``quiet_types``, record types its ``on_record`` ignores anyway: the run
    layer then skips the call for them on its batched path (a flood of frames with nothing to count); and
    ``shown_after_end(record) -> bool``, whether a record that arrives once its ``on_record`` has ended the run
    (the session is closing) is still shown. Without it every record is.
    """

    def on_record(self, record: Record) -> Outcome | None:
        """A record was shown: return an outcome to end the run now, or None to go on."""
        ...

    def on_timeout(self, timeout: float) -> Outcome:
        """``--timeout`` passed: what that means given what is still awaited (6, or 7 for an unmet expectation)."""
        ...

    def on_end(self, outcome: Outcome) -> Outcome:
        """The run is over with ``outcome``: the final word (e.g. an unmet ``--expect`` turns an end into 7)."""
        ...


class NoGoals:
    """A run that waits for nothing but its session's own end."""

    def on_record(self, record: Record) -> Outcome | None:
        return None

    def on_timeout(self, timeout: float) -> Outcome:
        return Outcome(ExitCode.TIMEOUT, f"--timeout {timeout:g}s passed")

    def on_end(self, outcome: Outcome) -> Outcome:
        return outcome
