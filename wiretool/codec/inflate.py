"""Content-Encoding undone a bounded piece at a time: a decompression bomb never lands in memory at once.

``sse tail`` asks for ``Accept-Encoding: identity``, yet a server may answer ``gzip`` or ``deflate`` anyway.
httpx would inflate each read whole (one 64 KiB read of a bomb is 64 MiB, which the parser then splits into
millions of events in one list). :class:`Inflater` instead yields the decoded bytes in pieces of at most
``piece`` bytes, so the caller parses and emits one piece before the next is inflated: memory stays bounded
by the piece, whatever the ratio. Codings are undone in reverse order of the header (``gzip, deflate`` is
deflate inside gzip); ``identity`` and codings this module does not know pass the bytes through unchanged, as
httpx does. Pure: no I/O; errors are :class:`InflateError` (a ValueError), never zlib's own.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

PIECE = 64 * 1024
"""The most decoded bytes handed on at once."""

_PROBE = 1024
"""A deflate body is tried as zlib-wrapped first; until this much input gave output it may still be raw."""


class InflateError(ValueError):
    """The body is not valid data of its Content-Encoding."""


class _Stage:
    """One coding undone (``gzip``/``x-gzip``/``deflate``), in bounded pieces."""

    def __init__(self, coding: str, piece: int) -> None:
        self.coding = coding
        self.piece = piece
        self.raw_fallback = coding == "deflate"
        self.seen = bytearray()
        self.produced = False
        self.obj = zlib.decompressobj(zlib.MAX_WBITS | 16 if coding != "deflate" else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self.raw_fallback and not self.produced:
            self.seen += data
            if len(self.seen) > _PROBE:
                self.raw_fallback = False
        try:
            yield from self._run(data)
        except zlib.error as exc:
            if not (self.raw_fallback and not self.produced):
                raise InflateError(f"invalid {self.coding} data: {exc}") from None
            # Some servers send raw deflate (no zlib header) as "deflate": start again that way, as httpx does.
            self.raw_fallback = False
            self.obj = zlib.decompressobj(-zlib.MAX_WBITS)
            seen, self.seen = bytes(self.seen), bytearray()
            try:
                yield from self._run(seen)
            except zlib.error as exc2:
                raise InflateError(f"invalid {self.coding} data: {exc2}") from None

    def _run(self, data: bytes) -> Iterator[bytes]:
        obj, piece = self.obj, self.piece
        tail = data
        while True:
            if obj.eof:
                return  # what follows the end of the compressed stream is ignored, as httpx ignores it
            out = obj.decompress(tail, piece)
            tail = obj.unconsumed_tail
            if out:
                self.produced = True
                self.seen = bytearray()
                yield out
            if not tail and len(out) < piece:
                return

    def finish(self) -> Iterator[bytes]:
        try:
            while not self.obj.eof:
                out = self.obj.decompress(b"", self.piece)
                if not out:
                    break
                yield out
            rest = self.obj.flush()
        except zlib.error as exc:
            raise InflateError(f"invalid {self.coding} data: {exc}") from None
        if rest:
            yield rest


class Inflater:
    """Undo the ``Content-Encoding`` header's codings; :meth:`feed` and :meth:`finish` yield bounded pieces."""

    def __init__(self, content_encoding: str, piece: int = PIECE) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",")]
        self.stages = [_Stage(c, piece) for c in reversed(codings) if c in ("gzip", "x-gzip", "deflate")]

    @property
    def identity(self) -> bool:
        """Nothing to undo: the body bytes are the stream."""
        return not self.stages

    def feed(self, data: bytes) -> Iterator[bytes]:
        """The decoded bytes of ``data``, at most ``piece`` at a time."""
        return self._through(0, iter((data,)))

    def finish(self) -> Iterator[bytes]:
        """What the decoders still hold once the body has ended."""
        for i, stage in enumerate(self.stages):
            yield from self._through(i + 1, stage.finish())

    def _through(self, start: int, pieces: Iterator[bytes]) -> Iterator[bytes]:
        for stage in self.stages[start:]:
            pieces = _chain(stage, pieces)
        return pieces


def _chain(stage: _Stage, pieces: Iterator[bytes]) -> Iterator[bytes]:
    for data in pieces:
        yield from stage.feed(data)
