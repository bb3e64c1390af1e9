"""TCP reassembly of one direction of one connection: segments in any order in, the byte stream out.

Retransmitted bytes are dropped, overlapping segments trimmed to what is new (the first copy of a byte
wins, as in most stacks and in Wireshark's default), out-of-order segments held until the hole before them
fills. Memory is bounded: at most :data:`WINDOW` bytes wait for a hole to fill, and a segment more than
``WINDOW`` beyond the stream's position (a 4 GiB sequence jump, a lost capture buffer) is a *gap*, named
with its size, never an allocation. Sequence numbers are compared modulo 2**32 (RFC 9293 §3.4).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

WINDOW = 4 << 20
"""Out-of-order bytes held per direction while waiting for a hole, and the furthest a segment may lie ahead."""


@dataclass(slots=True)
class Piece:
    """Contiguous stream bytes (``gap_before`` bytes are missing just before them) and when they completed."""

    t: float
    data: bytes
    gap_before: int = 0


@dataclass
class Direction:
    """One direction's reassembly state: where the stream is, what waits, what was seen wrong."""

    isn: int | None = None
    """The first sequence number of the stream's bytes (SYN + 1), or of the first segment seen."""
    started_mid: bool = False
    """No SYN was seen: the capture began after this direction started."""
    pos: int = 0
    """Stream offset of the next byte expected (64-bit, unwrapped)."""
    next_seq: int = 0
    held: list[tuple[int, int, bytes, float]] = field(default_factory=list)
    held_bytes: int = 0
    retransmitted: int = 0
    overlapping: int = 0
    out_of_order: int = 0
    gaps: list[tuple[int, int]] = field(default_factory=list)
    """``(stream offset, bytes missing)`` of every gap."""
    fin: bool = False
    copy: bool = True
    """Pieces own their bytes; False: a piece in order is a view of the packet (the survey only measures)."""
    _order: int = 0
    _missing_at: dict[int, int] = field(default_factory=dict)
    """Where a held segment that the capture cut ends, and how many bytes it lacked (a gap when reached)."""

    def syn(self, seq: int) -> None:
        """A SYN: the stream's bytes start at ``seq + 1`` (a repeated SYN changes nothing)."""
        if self.isn is None:
            self.isn = self.next_seq = (seq + 1) & 0xFFFFFFFF

    def segment(self, seq: int, data: bytes, t: float, missing: int = 0) -> list[Piece]:
        """Take one segment's payload (``missing`` bytes of it cut by the capture); return what became contiguous."""
        if seq == self.next_seq and not missing and not self.held and self.isn is not None:
            if not data:  # the common case, in order with nothing waiting: what the general path does, shorter
                return []
            self.pos += len(data)
            self.next_seq = (seq + len(data)) & 0xFFFFFFFF
            return [Piece(t, bytes(data) if self.copy else data)]
        if self.isn is None:
            self.isn = self.next_seq = seq
            self.started_mid = True
        delta = ((seq - self.next_seq + (1 << 31)) & 0xFFFFFFFF) - (1 << 31)
        start = self.pos + delta
        size = len(data) + missing
        if start + size <= self.pos:
            if size:
                self.retransmitted += 1
            return []
        if start > self.pos + WINDOW:  # too far ahead to hold: what waits comes out, then a gap to it
            out = self._release_all()
            out += self._gap_to(start, t)
            return out + self._take(start, data, missing, t)
        if start > self.pos:
            self.out_of_order += 1
            self._hold(start, data, missing, t)
            out: list[Piece] = []
            while self.held_bytes > WINDOW and self.held:
                out += self._gap_to(self.held[0][0], t)
                out += self._drain()
            return out
        return self._take(start, data, missing, t) + self._drain()

    def finish(self, t: float) -> list[Piece]:
        """The capture ended: what still waits behind a hole comes out, each hole named as a gap."""
        return self._release_all()

    # -- inside --------------------------------------------------------------------------------------------
    def _take(self, start: int, data: bytes, missing: int, t: float) -> list[Piece]:
        if start < self.pos:  # overlaps what was already delivered: only the new part counts
            self.overlapping += 1
            cut = self.pos - start
            if cut >= len(data):
                missing -= cut - len(data)
                data = b""
            else:
                data = data[cut:]
            start = self.pos
        out = [Piece(t, bytes(data) if self.copy else data)] if data else []
        self._advance(start + len(data))
        if missing > 0:
            self.gaps.append((self.pos, missing))
            out.append(Piece(t, b"", missing))
            self._advance(self.pos + missing)
        return out

    def _advance(self, pos: int) -> None:
        self.next_seq = (self.next_seq + pos - self.pos) & 0xFFFFFFFF
        self.pos = pos

    def _hold(self, start: int, data: bytes, missing: int, t: float) -> None:
        self._order += 1
        heapq.heappush(self.held, (start, self._order, bytes(data), t))
        self.held_bytes += len(data)
        if missing:
            heapq.heappush(self.held, (start + len(data), self._order, b"", t))
            self._missing_at[start + len(data)] = missing

    def _drain(self) -> list[Piece]:
        out: list[Piece] = []
        while self.held and self.held[0][0] <= self.pos:
            start, _, data, t = heapq.heappop(self.held)
            self.held_bytes -= len(data)
            missing = self._missing_at.pop(start, 0) if not data else 0
            out += self._take(start, data, missing, t)
        return out

    def _gap_to(self, start: int, t: float) -> list[Piece]:
        if start <= self.pos:
            return []
        size = start - self.pos
        self.gaps.append((self.pos, size))
        self._advance(start)
        return [Piece(t, b"", size)]

    def _release_all(self) -> list[Piece]:
        out: list[Piece] = []
        while self.held:
            out += self._gap_to(self.held[0][0], self.held[0][3])
            out += self._drain()
        return out
