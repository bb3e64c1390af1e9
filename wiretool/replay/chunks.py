"""An HTTP replay (sse, h2) as a :class:`~wiretool.session.Session`: send the recorded requests again, keep the
chunks both ways, and end with the answers' verdict.

ws replay drives its client step by step (``replay/ws.py``); the sse and h2 replays send every request and
then read what came back, so one session shape serves both. A protocol module gives three pure or async
parts, and this class is the rest (the run layer's limits, Ctrl-C, error, summary and capture come with it):

- ``replay(cap, opts, sink) -> list[Chunk]``: send the requests; every tapped chunk goes to ``sink.chunk``
  (the capture) and is returned; notes and records go to ``sink.emit``;
- ``answers(chunks) -> list[Answer]``: what a recording or a replay answered;
- optionally ``answers_pair(recorded, replayed)``: both sides at once, when the replay reads less than it got.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from wiretool.capture.file import Capture, Chunk
from wiretool.exitcodes import ExitCode
from wiretool.records import Note
from wiretool.records.replay import ReplayCheck
from wiretool.replay.compare import Answer, Rules, compare
from wiretool.replay.options import ReplayOptions
from wiretool.session import Chunk as TapChunk
from wiretool.session import Outcome, Sink

Replay = Callable[[Capture, ReplayOptions, "ReplaySink"], Awaitable[Sequence[Chunk]]]
Answers = Callable[[Sequence[Chunk]], list[Answer]]
AnswersPair = Callable[[Sequence[Chunk], Sequence[Chunk]], tuple[list[Answer], list[Answer]]]


class ReplaySink:
    """The run's sink as a replay's transport sees it: records and chunks pass through, every chunk is kept.

    A transport's own verdict (``finish``: an h2 RST_STREAM, a reset connection) is not the replay's: a replay
    ends when its requests are answered, and ``--check`` judges the answers. ``note`` is the replay's remark.
    """

    def __init__(self, sink: Sink, proto: str) -> None:
        self._sink = sink
        self._proto = proto
        self.now = sink.now
        self.emit = sink.emit
        self.emit_many = sink.emit_many
        self.chunks: list[Chunk] = []

    outcome = None

    def chunk(self, chunk: TapChunk) -> None:
        self.chunks.append(Chunk(chunk.dir, chunk.t, chunk.data, chunk.conn))
        self._sink.chunk(chunk)

    def finish(self, outcome: Outcome) -> None:
        pass

    def note(self, text: str, *, level: str = "info") -> None:
        self._sink.emit(Note(t=self._sink.now(), proto_name=self._proto, text=text, level=level))


class ChunkReplaySession:
    """One HTTP replay run: the requests again, then (``--check``) the comparison as the outcome (0 or 7).

    The summary counts are the replay's own, as before it ran on the run layer: ``bytes_out``, ``bytes_in``
    and ``answers``, or ``compared`` under ``--check`` (no ``elapsed_s``).
    """

    summary_elapsed = False

    def __init__(self, proto: str, cap: Capture, opts: ReplayOptions, *, check: bool, rules: Rules,
                 replay: Replay, answers: Answers, answers_pair: AnswersPair | None = None) -> None:
        self.proto = proto
        self.cap = cap
        self.opts = opts
        self.check = check
        self.rules = rules
        self._replay = replay
        self._answers = answers
        self._answers_pair = answers_pair
        self._counts: dict[str, Any] = {}
        self._task: asyncio.Task[Any] | None = None
        self._stopped = False

    async def run(self, sink: Sink) -> Outcome:
        self._task = asyncio.current_task()
        chunks = await self._replay(self.cap, self.opts, ReplaySink(sink, self.proto))
        if self._stopped:
            return Outcome(ExitCode.INTERRUPTED, "interrupted")
        sent = sum(len(c.data) for c in chunks if c.dir == "send")
        got = sum(len(c.data) for c in chunks if c.dir == "recv")
        if not self.check:
            self._counts = {"bytes_out": sent, "bytes_in": got, "answers": len(self._answers(chunks))}
            return Outcome(ExitCode.OK)
        if self._answers_pair is not None:
            recorded, replayed = self._answers_pair(self.cap.chunks, chunks)
        else:
            recorded, replayed = self._answers(self.cap.chunks), self._answers(chunks)
        result = compare(recorded, replayed, self.rules)
        self._counts = {"compared": result.compared, "bytes_out": sent, "bytes_in": got}
        diff = result.difference
        sink.emit(ReplayCheck(t=sink.now(), proto_name=self.proto, ok=result.ok, compared=result.compared,
                              difference=diff.to_json() if diff else None, diff=diff.lines() if diff else []))
        if diff is None:
            return Outcome(ExitCode.OK)
        return Outcome(ExitCode.EXPECTATION, f"replay check failed: {diff.what} differs"
                                             + (f" at {diff.path}" if diff.path else ""))

    def stop(self, outcome: Outcome) -> None:
        """``--timeout``, Ctrl-C or a closed stdout: the requests are not finished, so there is no verdict."""
        self._stopped = True
        self.abort()

    def abort(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def counts(self) -> dict[str, Any]:
        return self._counts
