"""``run()``: one session, to its end, with the limits, signals, output, summary and capture of every command."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any

from wiretool.errors import WiretoolError, output_failure
from wiretool.exitcodes import ExitCode
from wiretool.records import Note, Record, Summary
from wiretool.run.goals import Goals, NoGoals
from wiretool.session import RECV, S2C, Chunk, Outcome, Session

if TYPE_CHECKING:
    from wiretool.capture.file import CaptureWriter
    from wiretool.output.sink import Output
    from wiretool.run.viewing import Viewing

_INTERRUPTED = Outcome(ExitCode.INTERRUPTED, "interrupted")


@dataclasses.dataclass(frozen=True)
class Limits:
    """The clocks every network command shares (``--timeout``, ``--idle-timeout``) and the grace to stop."""

    timeout: float | None = None
    """The whole run, seconds."""
    idle_timeout: float | None = None
    """Nothing received for this long ends the run (exit 6)."""
    stop_grace: float = 5.0
    """After asking a session to stop, how long its graceful end (close handshake, GOAWAY) may take."""


class RunSink:
    """The sink every session writes to: records to the view and the capture, chunks to the capture.

    The first outcome given wins; later ones (the connection dropping after our own close) are ignored.
    A closed stdout ends the run quietly (``| head``): it is reported as ``broken_pipe`` and exit 0.
    With ``viewing``, records whose payload a view decodes are wrapped with their view before anything
    (capture, output, goals) sees them.
    """

    def __init__(self, out: Output, *, goals: Goals, capture: CaptureWriter | None = None,
                 show: Callable[[Record], None] | None = None, viewing: Viewing | None = None) -> None:
        self.out = out
        self.viewing = viewing
        self.goals = goals
        self.capture = capture
        if show is not None and show == out.emit:  # (a routing show that routes nothing: keep the batch path)
            show = None
        self.show = show or out.emit
        # A ``show`` that has its own ``emit_many`` (the proxy's view) keeps the batched path: one write per read.
        self._show_many: Callable[[Sequence[Record]], None] | None = (
            out.emit_many if show is None else getattr(show, "emit_many", None))
        self.now = out.now
        self.last_recv = time.monotonic()
        self.broken_pipe = False
        self.goal_reached = False
        """A goal ended the run (``--count`` reached, ``--expect`` matched...): see :meth:`_after_end`."""
        self._shown_after_end: Callable[[Record], bool] | None = getattr(goals, "shown_after_end", None)
        """The goals' word on a record that comes once a goal has ended the run (ws: the closing handshake is
        shown, more data messages are not); None: every record is. An end the session itself called (a
        violation, the peer's close) hides nothing."""
        self.stopped: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()

    @property
    def outcome(self) -> Outcome | None:
        return self.stopped.result() if self.stopped.done() else None

    def emit(self, record: Record) -> None:
        if self.viewing is not None:
            record = self.viewing(record)
        if self.capture is not None and type(record) is not Note:
            self.capture.record(record)
        if self.goal_reached and self._shown_after_end is not None and not self._shown_after_end(record):
            return
        try:
            self.show(record)
        except BrokenPipeError:
            self.broken_pipe = True
            self.finish(Outcome(ExitCode.OK))
            return
        if not self.stopped.done():
            reached = self.goals.on_record(record)
            if reached is not None:
                self.goal_reached = True
                self.finish(reached)

    def _reach(self, records: Sequence[Record]) -> tuple[int, Outcome | None]:
        """The goals see ``records`` in order up to the first that reaches one (records of their
        ``quiet_types`` skipped): how many they took, and that outcome (None: all taken, none reached)."""
        on_record = self.goals.on_record
        quiet = getattr(self.goals, "quiet_types", ())
        for i, record in enumerate(records):
            if type(record) in quiet:
                continue
            reached = on_record(record)
            if reached is not None:
                self.goal_reached = True
                return i + 1, reached
        return len(records), None

    def emit_many(self, records: Sequence[Record]) -> None:
        """The records of one read: the goals see each one, then they are written together (one flush).

        The record that reaches a goal (``--count N``'s Nth message) is the last one shown of them: the rest of
        the read is captured but not shown, as what comes after (:meth:`_after_end`), so ``--count 1``
        prints one message even when a flood brought a thousand in that read.
        """
        if self.viewing is not None:
            records = self.viewing.many(records)
        show_many = self._show_many
        if show_many is None:
            viewing, self.viewing = self.viewing, None  # already viewed above
            try:
                for record in records:
                    self.emit(record)
            finally:
                self.viewing = viewing
            return
        if self.capture is not None:
            for record in records:
                if type(record) is not Note:
                    self.capture.record(record)
        reached: Outcome | None = None
        shown = records
        if not self.stopped.done():
            taken, reached = self._reach(records)
            if taken < len(records):
                shown = [*records[:taken], *self._after_end(records[taken:])]
        elif self.goal_reached:
            shown = self._after_end(records)
        try:
            if shown:
                show_many(shown)
        except BrokenPipeError:
            self.broken_pipe = True
            self.finish(Outcome(ExitCode.OK))
            return
        if reached is not None:
            self.finish(reached)

    def _after_end(self, records: Sequence[Record]) -> Sequence[Record]:
        """Of records that come once a goal has ended the run, those still shown (see ``_shown_after_end``)."""
        keep = self._shown_after_end
        return records if keep is None else [record for record in records if keep(record)]

    def emit_until(self, records: Sequence[Record]) -> int:
        """The records of one read, written together (one write, one flush) up to the first one that ends the run
        (a goal reached: ``--max-events``, ``--expect``), where a loop of :meth:`emit` would have stopped; the
        rest are not shown. Returns how many were taken. SSE sessions use it (one chunk, many events)."""
        show_many = self._show_many
        if show_many is None or self.stopped.done():
            taken = 0
            for record in records:
                self.emit(record)
                taken += 1
                if self.stopped.done():
                    break
            return taken
        taken, reached = self._reach(records)
        batch = records if taken == len(records) else records[:taken]
        if self.capture is not None:
            for record in batch:
                if type(record) is not Note:
                    self.capture.record(record)
        try:
            show_many(batch)
        except BrokenPipeError:
            self.broken_pipe = True
            self.finish(Outcome(ExitCode.OK))
            return taken
        if reached is not None:
            self.finish(reached)
        return taken

    def chunk(self, chunk: Chunk) -> None:
        if chunk.dir in (RECV, S2C):
            self.last_recv = time.monotonic()
        if self.capture is not None:
            self.capture.chunk(chunk.dir, chunk.t, chunk.data, chunk.conn)

    def connection(self, conn: int, **meta: Any) -> None:
        """What connection ``conn`` is (addresses, TLS; :mod:`wiretool.transport.conninfo`): for the capture."""
        if self.capture is not None:
            self.capture.connection(conn, **meta)

    def finish(self, outcome: Outcome) -> None:
        if not self.stopped.done():
            self.stopped.set_result(outcome)


async def run(session: Session, out: Output, *, limits: Limits = Limits(), goals: Goals | None = None,
              capture: CaptureWriter | None = None, show: Callable[[Record], None] | None = None,
              viewing: Viewing | None = None) -> int:
    """Run ``session`` to its end and return the exit status; the summary record is always the last line.

    ``show`` replaces ``out.emit`` for commands that route records themselves (``sse tail --raw``);
    ``viewing`` gives each message's payload its view (``--view``, picked per connection).
    A closed stdout raises :class:`BrokenPipeError` at the end, which ``main`` turns into a quiet exit 0.
    """
    goals = goals or NoGoals()
    loop = asyncio.get_running_loop()
    sink = RunSink(out, goals=goals, capture=capture, show=show, viewing=viewing)
    started = time.monotonic()
    old_handler = loop.get_exception_handler()
    loop.set_exception_handler(_loop_errors(sink, session, out.env.debug))
    removers = _install_signals(loop, sink, session)
    timers: list[asyncio.TimerHandle] = []
    if limits.timeout:
        timers.append(loop.call_later(limits.timeout, lambda: sink.finish(goals.on_timeout(limits.timeout))))
    watchers = [asyncio.ensure_future(_idle_watch(sink, limits.idle_timeout))] if limits.idle_timeout else []
    task = asyncio.ensure_future(session.run(sink))
    try:
        await asyncio.wait([task, sink.stopped], return_when=asyncio.FIRST_COMPLETED)
        if not task.done():
            if sink.broken_pipe:  # nobody reads what a graceful end would show
                session.abort()
            else:
                session.stop(sink.stopped.result())
            done, _ = await asyncio.wait([task], timeout=limits.stop_grace)
            if not done:
                session.abort()
                task.cancel()
        own = await _result(task)
    except asyncio.CancelledError:  # Ctrl-C where no signal handler could be installed
        session.abort()
        task.cancel()
        own = _INTERRUPTED
    finally:
        for remove in removers:
            remove()
        for timer in timers:
            timer.cancel()
        for w in watchers:
            w.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
        loop.set_exception_handler(old_handler)
    outcome = goals.on_end(sink.outcome or own)
    try:
        if sink.broken_pipe:
            raise BrokenPipeError
        if outcome.code and outcome.message:
            out.error(outcome.message, outcome.code)
        elapsed = {"elapsed_s": round(time.monotonic() - started, 3)} if getattr(session, "summary_elapsed", True) else {}
        summary = Summary(t=out.now(), proto_name=out.proto, exit_code=outcome.code,
                          counts={**elapsed, **session.counts()})
        if capture is not None:  # the capture ends as the output does
            capture.record(summary)
        out.emit(summary)
    finally:
        if capture is not None:
            capture.close()
    return outcome.code


def run_sync(main: Coroutine[Any, Any, int]) -> int:
    """``asyncio.run`` for a command's main coroutine; Ctrl-C before the loop handles signals is exit 130.

    The loop is uvloop's when it is installed (``pip install wiretool[fast]``): its socket reads and callbacks
    cost less than asyncio's pure-Python selector loop, which a flood of small frames is bound by.
    ``WIRETOOL_LOOP=asyncio`` keeps the standard loop (to compare, or to rule uvloop out).
    """
    try:
        factory = _loop_factory()
        if factory is None or not hasattr(asyncio, "Runner"):  # (asyncio.Runner: Python 3.11)
            return asyncio.run(main)
        with asyncio.Runner(loop_factory=factory) as runner:
            return runner.run(main)
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's ``new_event_loop`` when installed and not turned off; else None (asyncio's default loop)."""
    import os

    if os.environ.get("WIRETOOL_LOOP", "").lower() == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def _result(task: asyncio.Future[Outcome]) -> Outcome:
    try:
        return await task
    except asyncio.CancelledError:
        return _INTERRUPTED
    except WiretoolError as exc:
        return Outcome(exc.exit_code, exc.message)


async def _idle_watch(sink: RunSink, idle: float) -> None:
    while True:
        left = sink.last_recv + idle - time.monotonic()
        if left <= 0:
            sink.finish(Outcome(ExitCode.TIMEOUT, f"--idle-timeout {idle:g}s: nothing received"))
            return
        await asyncio.sleep(left)


def _install_signals(loop: asyncio.AbstractEventLoop, sink: RunSink, session: Session) -> list[Callable[[], Any]]:
    """SIGINT and SIGTERM: the first stops the session gracefully (exit 130), the second aborts it."""

    def on_signal() -> None:
        if sink.stopped.done():
            session.abort()
        sink.finish(_INTERRUPTED)

    removers: list[Callable[[], Any]] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, on_signal)
        except (ValueError, RuntimeError, NotImplementedError):  # not the main thread, or no such signal here
            continue
        removers.append(lambda sig=sig: loop.remove_signal_handler(sig))
    return removers


def _loop_errors(sink: RunSink, session: Session, debug: bool) -> Callable[[asyncio.AbstractEventLoop, dict], None]:
    """An exception escaped an I/O callback: a closed stdout ends quietly; anything else is a bug (exit 1)."""

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, BrokenPipeError):
            sink.broken_pipe = True
            sink.finish(Outcome(ExitCode.OK))
            session.abort()
            return
        failure = output_failure(exc) if exc is not None else None
        if failure is not None:
            sink.finish(Outcome(failure.exit_code, failure.message))
            session.abort()
            return
        if debug:
            loop.default_exception_handler(context)
        message = f"internal error: {type(exc).__name__}: {exc}" if exc else f"internal error: {context.get('message')}"
        sink.finish(Outcome(ExitCode.INTERNAL, message))

    return handler
