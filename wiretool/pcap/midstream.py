"""A connection the capture joined mid-stream, decoded from the first frame boundary of each direction.

The capture decoders need the start of a connection (the HTTP/1.1 heads of a WebSocket, the h2 preface);
here the frame codecs are fed directly from the boundary :mod:`wiretool.pcap.resync` finds. What came before
the capture is unknown and said so: permessage-deflate is not known (compressed frames are shown, not
inflated), nor the HPACK dynamic table the peers built: header blocks are decoded with what is known (the
static table, literals, the entries added since) and a reference to an entry from before is shown as
:data:`~wiretool.codec.h2hpack.LOST_NAME`, never guessed, and said once per direction in a note.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from wiretool.pcap.resync import SEARCH, boundary
from wiretool.records import Note

if TYPE_CHECKING:
    from wiretool.records import Record
    from wiretool.session import Chunk


def find(first: dict[str, bytes]) -> tuple[str, dict[str, int]] | None:
    """``(proto, {dir: offset of its first frame})`` for bytes that start mid-stream, or None."""
    h2 = {d: boundary(data, "h2") for d, data in first.items() if data}
    if h2 and all(v is not None for v in h2.values()):
        return "h2", {d: v for d, v in h2.items() if v is not None}
    ws = {d: boundary(data, "ws", masked=(d == "send"), rsv1=True) for d, data in first.items() if data}
    if ws and all(v is not None for v in ws.values()):
        return "ws", {d: v for d, v in ws.items() if v is not None}
    return None


class MidStream:
    """The frames of a connection (or of one direction's stretch after a gap) from each direction's boundary
    on, fed a chunk at a time (gap-free, in capture order); the directions not in ``starts`` are left out.

    :meth:`start` gives the notes that say what was skipped (``first_t``: when each direction's first bytes
    came), then :meth:`feed` each chunk, then :meth:`finish`."""

    def __init__(self, conn: int, proto: str, starts: dict[str, int], *, hpack_entries: bool = False,
                 show_secrets: bool = False, why: str = "the capture starts mid-connection") -> None:
        self.conn, self.proto, self.starts, self.why = conn, proto, dict(starts), why
        self.skip = dict(starts)
        self.last = 0.0
        self.view: Any = None
        self.parsers: dict[str, Any] = {}
        self.now = [0.0]
        if proto == "h2":
            from wiretool.codec.h2frame import H2FrameView

            now = self.now
            self.view = H2FrameView(clock=lambda: now[0], hpack_entries=hpack_entries, offsets=True, grpc=True,
                                    show_secrets=show_secrets, preface={"send": "none", "recv": "none"})
            for d in starts:
                self.view.lose_hpack_table(d)
        else:
            from wiretool.codec.wsframe import WsFrameParser

            self.parsers = {d: WsFrameParser(sender="client" if d == "send" else "server", dir=d, rsv1_allowed=True)
                            for d in starts}

    def start(self, first_t: dict[str, float]) -> list[Record]:
        """The notes of the bytes skipped before each direction's first boundary (said before any frame)."""
        out: list[Record] = []
        for d, n in self.starts.items():
            if not n:
                continue
            wire = "c2s" if d == "send" else "s2c"
            out.append(Note(t=first_t.get(d, 0.0), proto_name=self.proto, level="warn", text=(
                f"conn {self.conn} {wire}: {self.why}; {n} byte(s) before the first {self.proto} frame boundary "
                "skipped (resynchronised)")))
        return out

    def feed(self, c: Chunk) -> list[Record]:
        """The records of the next chunk (its bytes before the boundary passed over)."""
        skip = self.skip
        n = skip.get(c.dir)
        if n is None:
            return []  # a direction with no boundary found: nothing of it can be framed
        data = c.data
        if n:
            take = min(n, len(data))
            skip[c.dir] = n - take
            if take == len(data):
                return []
            data = data[take:]
        self.last = self.now[0] = c.t
        if self.view is not None:
            return self.view.feed(c.dir, data)
        return self.parsers[c.dir].feed(data, c.t)

    def finish(self) -> list[Record]:
        """What each direction left unfinished, and for HTTP/2 how many header fields the lost table hid."""
        out: list[Record] = []
        if self.view is None:
            for p in self.parsers.values():
                out += p.finish(self.last)
            return out
        view = self.view
        for d in ("send", "recv"):
            out += view.finish(d)
        for d in self.starts:
            lost = view.lost_hpack_refs(d)
            if lost:
                out.append(Note(t=self.now[0], proto_name=self.proto, level="warn", text=(
                    f"conn {self.conn} {'c2s' if d == 'send' else 's2c'}: {lost} header field(s) refer to HPACK "
                    f"dynamic table entries lost "
                    f"{'with the gap' if self.why == 'after the gap' else 'before the capture began'}"
                    ", shown as <lost: ...>, not guessed")))
        return out


def decode(conn: int, proto: str, starts: dict[str, int], chunks: list[Chunk], *, hpack_entries: bool = False,
           show_secrets: bool = False, why: str = "the capture starts mid-connection") -> Iterator[Record]:
    """The records of ``chunks`` (gap-free, in capture order) from each direction's boundary on (the
    directions not in ``starts`` are left out); ``why`` the bytes before a boundary are skipped."""
    mid = MidStream(conn, proto, starts, hpack_entries=hpack_entries, show_secrets=show_secrets, why=why)
    first: dict[str, float] = {}
    for c in chunks:
        first.setdefault(c.dir, c.t)
    yield from mid.start(first)
    for c in chunks:
        yield from mid.feed(c)
    yield from mid.finish()


__all__ = ["SEARCH", "MidStream", "decode", "find"]
