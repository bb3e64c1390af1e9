"""permessage-deflate (RFC 7692): inflate compressed messages frame by frame, and compress for crafting.

A compressed message is one raw DEFLATE stream cut at a sync flush, with the trailing ``00 00 ff ff``
removed (§7.2.1). The receiver appends those four bytes back at the end of the message. With context
takeover the LZ77 window carries over to the next message, so one decompressor lives for the whole
stream; with ``no_context_takeover`` every message starts fresh.
"""

from __future__ import annotations

import zlib

TAIL = b"\x00\x00\xff\xff"

MAX_INFLATED = 256 * 1024 * 1024
"""Refuse to inflate one message beyond this size (a decompression bomb is reported, not obeyed)."""


class InflateLimit(ValueError):
    """The message inflated fine but past the limit (a local bound, not broken DEFLATE data)."""

    def __init__(self, limit: int, inflated: int, consumed: int) -> None:
        super().__init__(f"inflated message exceeds {limit} bytes")
        self.limit = limit
        self.inflated = inflated
        """Bytes inflated when inflation stopped (more than ``limit``, or ``limit`` with input left)."""
        self.consumed = consumed
        """Compressed bytes of the message read by then."""


class Inflater:
    """Inflate the frames of compressed messages, one message at a time."""

    def __init__(self, *, no_context_takeover: bool = False, max_size: int = MAX_INFLATED) -> None:
        self.no_context_takeover = no_context_takeover
        self.max_size = max_size
        self._d: zlib._Decompress | None = None
        self._size = 0
        self._consumed = 0

    def start(self) -> None:
        """A new compressed message begins."""
        if self._d is None or self.no_context_takeover:
            self._d = zlib.decompressobj(wbits=-15)
        self._size = 0
        self._consumed = 0

    def feed(self, data: bytes, final: bool) -> bytes:
        """Inflate one frame's payload; ``final`` on the message's last frame. Raises ``ValueError`` for bad
        DEFLATE data, :class:`InflateLimit` (a ``ValueError``) when the message grows past ``max_size``."""
        if self._d is None:
            self.start()
        assert self._d is not None
        if final:
            data = bytes(data) + TAIL
        try:
            out = self._d.decompress(data, self.max_size - self._size + 1)
        except zlib.error as exc:
            self._d = None  # the shared window is lost: start over with the next message
            raise ValueError(f"invalid DEFLATE data: {exc}") from None
        self._size += len(out)
        if self._size > self.max_size or self._d.unconsumed_tail:
            consumed = self._consumed + len(data) - len(self._d.unconsumed_tail)
            self._d = None
            raise InflateLimit(self.max_size, self._size, consumed)
        self._consumed += len(data)
        return out


def deflate_message(payload: bytes, *, level: int = 6, wbits: int = 15) -> bytes:
    """Compress one message as permessage-deflate sends it (no context takeover; tail removed).

    ``wbits`` is the LZ77 window (9-15) a negotiated ``client_max_window_bits`` allows."""
    c = zlib.compressobj(level, zlib.DEFLATED, -wbits)
    data = c.compress(payload) + c.flush(zlib.Z_SYNC_FLUSH)
    return data[:-4] if data.endswith(TAIL) else data
