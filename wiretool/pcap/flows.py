"""Packets into TCP connections: each connection's two directions reassembled, its client and server named.

A connection is keyed by its two endpoints; a SYN on a key whose connection has ended starts a new one.
The client is the side that sent the SYN (without ACK); a connection whose handshake the capture missed is
*started mid-connection*, and its client is the side whose first bytes look like a client's (an HTTP
request, the h2 preface, a ClientHello), else the side talking to the lower port.

A connection is handed on (``on_done``) as soon as both directions have ended (FIN or RST) and otherwise at
the end of the file, so memory holds only the connections still open: at most :data:`MAX_OPEN`, past which
the oldest is handed on early, said in a warning. Each contiguous piece of a direction goes to ``on_piece``
as soon as reassembly completes it (``on_open`` is told of a connection at its first packet), so a
connection's bytes are never held here: what each consumer keeps of them is its own affair (see
:mod:`wiretool.pcap.decode`). Numbering is deterministic: two tables fed the same packets number and hand
on their connections the same way, which the two passes of the decoder rely on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wiretool.pcap.link import ACK, FIN, RST, SYN, Segment
from wiretool.pcap.tcp import Direction, Piece

MAX_OPEN = 20000
"""Connections held open at once; a capture of more long-lived ones than this hands the oldest on early."""

HELD_BUDGET = 64 << 20
"""Out-of-order bytes held across every open connection: each direction holds at most
:data:`~wiretool.pcap.tcp.WINDOW`, and past this total the direction that just grew lets what it holds go
(its holes become gaps, named like any gap), so 20000 connections with holes stay bounded too."""

Endpoint = tuple[str, int]


@dataclass
class Connection:
    """One TCP connection of the capture, its two directions keyed by the endpoint that sends them."""

    conn: int
    a: Endpoint
    """The endpoint of the first packet seen (the sender)."""
    b: Endpoint
    t0: float
    dirs: dict[Endpoint, Direction] = field(default_factory=dict)
    state: Any = None
    """What the consumer keeps for this connection (set by ``on_open``)."""
    client: Endpoint | None = None
    """Known from the handshake (the SYN's sender); else decided when the connection is handed on."""
    t1: float = 0.0
    reset: bool = False
    packets: int = 0
    cut_early: bool = False

    def server_of(self, client: Endpoint) -> Endpoint:
        return self.b if client == self.a else self.a

    @property
    def ended(self) -> bool:
        return self.reset or (len(self.dirs) == 2 and all(d.fin for d in self.dirs.values()))

    @property
    def started_mid(self) -> bool:
        """The capture missed this connection's handshake: no SYN was seen."""
        return self.client is None


class Flows:
    """The connection table: feed it segments in capture order; finished connections go to ``on_done``."""

    def __init__(self, on_done: Callable[[Connection], None], on_warning: Callable[[str], None],
                 on_piece: Callable[[Connection, Endpoint, Piece], None],
                 on_open: Callable[[Connection], None] | None = None, *, copy: bool = True) -> None:
        self.open: dict[tuple[Endpoint, Endpoint], Connection] = {}
        self._piece = on_piece
        self._copy = copy
        """Whether pieces own their bytes (see :attr:`Direction.copy`)."""
        self._open = on_open
        self.count = 0
        self._done = on_done
        self._warn = on_warning
        self._warned_full = False
        self.closed: dict[tuple[Endpoint, Endpoint], None] = {}
        """Keys of connections handed on (the latest :data:`MAX_OPEN`): their stray packets start nothing."""
        self.after_close = 0
        self.held = 0
        """Out-of-order bytes held by every open direction (at most :data:`HELD_BUDGET`)."""
        self._warned_held = False

    def segment(self, seg: Segment, t: float) -> None:
        """One TCP segment at time ``t`` (seconds since the capture's first packet)."""
        src, dst = seg.src, seg.dst
        key = (src, dst) if src <= dst else (dst, src)
        conn = self.open.get(key)
        flags = seg.flags
        if conn is not None and flags & SYN and not flags & ACK and conn.dirs[src].isn is not None \
                and conn.dirs[src].isn != ((seg.seq + 1) & 0xFFFFFFFF):
            self._hand_on(key)  # the same ports reused for a new connection
            conn = None
        if conn is None:
            if key in self.closed:
                if not flags & SYN:
                    self.after_close += 1  # the last ACK of a close, a late retransmission: nothing to show
                    return
                del self.closed[key]
            if len(self.open) >= MAX_OPEN:
                oldest = next(iter(self.open))
                if not self._warned_full:
                    self._warned_full = True
                    self._warn(f"more than {MAX_OPEN} connections open at once: the oldest are decoded early "
                               "(a later packet of one starts a new connection)")
                self.open[oldest].cut_early = True
                self._hand_on(oldest)
            self.count += 1
            conn = self.open[key] = Connection(self.count, src, dst, t)
            if self._open is not None:
                self._open(conn)
        conn.packets += 1
        conn.t1 = t
        d = conn.dirs.get(src)
        if d is None:
            d = conn.dirs[src] = Direction(copy=self._copy)
            conn.dirs.setdefault(dst, Direction(copy=self._copy))
        if flags & SYN:
            d.syn(seg.seq)
            if not flags & ACK:
                conn.client = src
            elif conn.client is None:
                conn.client = dst
        if seg.payload or seg.missing:
            before = d.held_bytes
            for piece in d.segment(seg.seq + (1 if flags & SYN else 0), seg.payload, t, seg.missing):
                self._piece(conn, src, piece)
            if d.held_bytes != before:
                self.held += d.held_bytes - before
                if self.held > HELD_BUDGET:
                    self._over_budget(conn, src, d, t)
        if flags & FIN:
            d.fin = True
        if flags & RST:
            conn.reset = True
        if flags & (FIN | RST) and conn.ended:
            self._hand_on(key)

    def _over_budget(self, conn: Connection, src: Endpoint, d: Direction, t: float) -> None:
        if not self._warned_held:
            self._warned_held = True
            self._warn(f"more than {HELD_BUDGET >> 20} MiB of out-of-order segments wait across the open "
                       "connections: holes are declared gaps early (named with each connection)")
        self.held -= d.held_bytes
        for piece in d.finish(t):
            self._piece(conn, src, piece)

    def finish(self) -> None:
        """The capture ended: every connection still open is handed on."""
        for key in list(self.open):
            self._hand_on(key)

    def _hand_on(self, key: tuple[Endpoint, Endpoint]) -> None:
        conn = self.open.pop(key)
        self.closed[key] = None
        if len(self.closed) > MAX_OPEN:
            del self.closed[next(iter(self.closed))]
        for ep, d in conn.dirs.items():
            self.held -= d.held_bytes
            for piece in d.finish(conn.t1):
                self._piece(conn, ep, piece)
        self._done(conn)
