"""The ws entry points of :mod:`wiretool.replay.run`: replay a capture, decode answers, map the outcome."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from wiretool.capture.file import Capture, Chunk
from wiretool.exitcodes import ExitCode
from wiretool.output.sink import Output
from wiretool.replay.compare import Answer
from wiretool.replay.options import ReplayOptions
from wiretool.replay.ws import WsReplay
from wiretool.replay.ws_session import answers as _answers


async def replay(cap: Capture, opts: ReplayOptions, out: Output,
                 on_chunk: Callable[[str, float, bytes], Any] | None = None) -> list[Chunk]:
    """Replay a ws capture on a new connection; return every chunk both ways."""
    if opts.same_mask and not opts.exact:
        from wiretool.errors import UsageError

        raise UsageError("--same-mask needs --exact (message mode builds new frames)")
    session = WsReplay(cap, opts, out)
    session.on_chunk = on_chunk
    if session.rec.skipped and not opts.exact:
        out.note(f"{session.rec.skipped} recorded frame(s) are not re-sent as messages (pongs, invalid or "
                 "unfinished ones); --exact sends every frame", level="info")
    return await session.run()


def answers(chunks: list[Chunk]) -> list[Answer]:
    return _answers(chunks)


def outcome(replayed: list[Answer]) -> int:
    """Without --check: 4 when the handshake was refused, else 0."""
    status = replayed[0].value if replayed else None
    return ExitCode.OK if status == 101 else ExitCode.REFUSED
