"""One connection of a pcap decoded as it is reassembled: its pieces in, its records out, nothing of it kept.

Given the connection's :class:`~wiretool.pcap.survey.Summary` (said at its first packet), each piece goes,
decrypted first for TLS with keys, through what the whole-connection decode did at the end:

- each direction up to its first gap (its warning is in the summary's notes), minus the bytes the detection
  says to pass over (an h2c upgrade's heads), feeds the protocol's push decoder (or, for a connection the
  capture joined mid-stream, :class:`~wiretool.pcap.midstream.MidStream` from the boundaries found);
- for WebSocket and HTTP/2, each stretch after a gap is buffered up to :data:`~wiretool.pcap.resync.SEARCH`
  bytes, its first frame boundary searched there, and from it decoded by its own ``MidStream``; its
  records come as decoded (interleaved with the other direction's), and a stretch ends at the next gap;
- a frame cut short in a direction the capture left unfinished is where the recording stopped: the
  ``truncated`` violation is taken off and a warning follows.

What is held is the decoders' own state (an incomplete frame or head, HPACK tables, inflaters) and a stretch's
first bytes until its boundary is found.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec

from wiretool.records import Note, Record
from wiretool.session import Chunk

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from wiretool.pcap.flows import Endpoint
    from wiretool.pcap.survey import Summary
    from wiretool.pcap.tcp import Piece

_TRUNCATED = frozenset({"truncated-frame", "truncated_frame", "truncated_preface"})
CUT_SHORT = "the capture ends inside a frame: the capture was cut short (no FIN, or a gap, before it)"
WIRE = {"send": "c2s", "recv": "s2c"}
_BACK = {"c2s": "send", "s2c": "recv"}


class _Stretch:
    """One direction's bytes between a gap and the next: buffered until a frame boundary is found in them."""

    __slots__ = ("chunks", "dead", "dir", "mid", "order", "size")

    def __init__(self, d: str, order: int) -> None:
        self.dir = d
        self.order = order
        self.chunks: list[Chunk] | None = []
        self.size = 0
        self.mid: Any = None
        self.dead = False


class ConnStream:
    """``piece(endpoint, piece)`` as reassembly completes them, then ``finish(t_end)``; records go to ``emit``."""

    def __init__(self, conn: int, summary: Summary, emit: Callable[[int, Record], None], decoder: Any,
                 *, keylog: Any = None, hpack_entries: bool = False, show_secrets: bool = False) -> None:
        self.conn = conn
        self._emit = emit
        self.hpack_entries, self.show_secrets = hpack_entries, show_secrets
        det = summary.det
        self.proto = det.proto
        self.client = summary.client
        self.cut = summary.cut
        self.resync_after = det.proto in ("ws", "h2")
        self.skip = dict(det.skip)
        self.stopped: dict[str, None] = {}
        """The directions past their first gap (a dict: smaller than a set, and 20000 connections may be open)."""
        self.stretches: dict[str, _Stretch] = {}
        """Each direction's current stretch (since its last gap)."""
        self.gaps = 0
        self.last_t = 0.0
        """The time of the last chunk the main decoder was fed (where a WebSocket frame cut short ends)."""
        self.tls: Any = None
        if summary.decrypt:
            from wiretool.tls import TlsConnection

            self.tls = TlsConnection(keylog)
        emit(conn, summary.record)
        for note in summary.notes:
            emit(conn, note)
        self.feed: Any = None
        self.main: Any = None
        if decoder is None:
            return
        if summary.resync is not None:
            from wiretool.pcap.midstream import MidStream

            self.main = MidStream(conn, summary.resync[0], summary.resync[1], hpack_entries=hpack_entries,
                                  show_secrets=show_secrets)
            self.records(self.main.start(summary.first_t))
        else:
            self.main = decoder(det, hpack_entries, show_secrets)
        self.feed = self.main.feed

    # -- in -----------------------------------------------------------------------------------------------
    def piece(self, ep: Endpoint, piece: Piece) -> None:
        """One contiguous piece (or a gap) of the client's (``ep == client``) or the server's bytes."""
        if self.feed is None:
            return  # listed, not decoded: nothing of its bytes is needed
        wire = "c2s" if ep == self.client else "s2c"
        tls = self.tls
        if tls is None:
            self.chunk(Chunk(_BACK[wire], piece.t, piece.data, self.conn))
            return
        if piece.gap_before:
            tls.gap(wire, piece.gap_before, piece.t)
        if piece.data:
            for p in tls.feed(wire, piece.data, piece.t):
                self.chunk(Chunk(_BACK[p.dir], p.t, p.data, self.conn))

    def chunk(self, c: Chunk) -> None:
        d = c.dir
        if not c.data:  # a gap: the decoder cannot know where the next frame starts
            self.stopped[d] = None
            if self.resync_after:
                old = self.stretches.get(d)
                if old is not None:
                    self._end_stretch(old)
                self.gaps += 1
                self.stretches[d] = _Stretch(d, self.gaps)
            return
        if d in self.stopped:
            st = self.stretches.get(d)
            if st is not None:
                self._stretch_chunk(st, c)
            return
        n = self.skip.get(d, 0)
        if n:
            take = min(n, len(c.data))
            self.skip[d] = n - take
            if take == len(c.data):
                return
            c = Chunk(d, c.t, c.data[take:], c.conn)
        self.last_t = c.t
        self.records(self.feed(c))

    def finish(self, t_end: float) -> None:
        """The connection ended (or the capture did): what the decoders hold comes out."""
        if self.feed is None:
            return
        if self.tls is not None:
            for p in self.tls.finish(t_end):
                self.chunk(Chunk(_BACK[p.dir], p.t, p.data, self.conn))
        main = self.main
        self.records(main.finish(self.last_t) if _takes_t(main) else main.finish())
        for st in sorted(self.stretches.values(), key=lambda s: s.order):  # in the order their gaps came
            self._end_stretch(st)
        self.feed = None

    # -- out ----------------------------------------------------------------------------------------------
    def records(self, records: Iterable[Record]) -> None:
        conn, emit, cut = self.conn, self._emit, self.cut
        for rec in records:
            if cut and getattr(rec, "violations", None) and getattr(rec, "dir", None) in cut:
                kept = tuple(v for v in rec.violations if v.code not in _TRUNCATED)  # type: ignore[attr-defined]
                if len(kept) < len(rec.violations):  # type: ignore[attr-defined]
                    emit(conn, msgspec.structs.replace(rec, violations=kept))  # type: ignore[attr-defined]
                    emit(conn, Note(t=rec.t, proto_name=self.proto, level="warn", text=(
                        f"conn {conn} {WIRE[rec.dir]}: {CUT_SHORT}")))  # type: ignore[attr-defined]
                    continue
            emit(conn, rec)

    # -- after a gap ----------------------------------------------------------------------------------------
    def _stretch_chunk(self, st: _Stretch, c: Chunk) -> None:
        from wiretool.pcap.resync import SEARCH

        if st.dead:
            return
        if st.mid is not None:
            self.records(st.mid.feed(c))
            return
        assert st.chunks is not None
        st.chunks.append(c)
        st.size += len(c.data)
        if st.size >= SEARCH:
            self._start_stretch(st)

    def _start_stretch(self, st: _Stretch) -> None:
        """Search the stretch's first :data:`SEARCH` bytes for a frame boundary; decode from it."""
        from wiretool.pcap.midstream import SEARCH, MidStream
        from wiretool.pcap.resync import boundary

        chunks, st.chunks = st.chunks or [], None
        if not chunks:
            return
        head = b"".join(c.data for c in chunks)[:SEARCH]
        d = st.dir
        start = boundary(head, "h2") if self.proto == "h2" else boundary(head, "ws", masked=(d == "send"), rsv1=True)
        if start is None:
            st.dead = True
            self.records([Note(t=chunks[0].t, proto_name=self.proto, level="warn", text=(
                f"conn {self.conn} {WIRE[d]}: no frame boundary found after the gap; the rest is not decoded"))])
            return
        kw = {"hpack_entries": self.hpack_entries, "show_secrets": self.show_secrets} if self.proto == "h2" else {}
        st.mid = MidStream(self.conn, self.proto, {d: start}, why="after the gap", **kw)
        self.records(st.mid.start({d: chunks[0].t}))
        for c in chunks:
            self.records(st.mid.feed(c))

    def _end_stretch(self, st: _Stretch) -> None:
        if st.chunks is not None:
            self._start_stretch(st)
        if st.mid is not None:
            self.records(st.mid.finish())
            st.mid = None
        st.dead = True


def _takes_t(main: Any) -> bool:
    """WebSocket's push decoder is told when its input ended (a frame cut short is stamped then)."""
    from wiretool.capture.decode_ws import WsFeed

    return type(main) is WsFeed
