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
from typing import TYPE_CHECKING

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


def decode(conn: int, proto: str, starts: dict[str, int], chunks: list[Chunk], *, hpack_entries: bool = False,
           show_secrets: bool = False, why: str = "the capture starts mid-connection") -> Iterator[Record]:
    """The records of ``chunks`` (gap-free, in capture order) from each direction's boundary on (the
    directions not in ``starts`` are left out); ``why`` the bytes before a boundary are skipped."""
    skip = dict(starts)
    for d, n in starts.items():
        if not n:
            continue
        wire = "c2s" if d == "send" else "s2c"
        t = next((c.t for c in chunks if c.dir == d), 0.0)
        yield Note(t=t, proto_name=proto, level="warn", text=(
            f"conn {conn} {wire}: {why}; {n} byte(s) before the first {proto} frame boundary skipped "
            "(resynchronised)"))
    if proto == "h2":
        from wiretool.codec.h2frame import H2FrameView

        now = [0.0]
        view = H2FrameView(clock=lambda: now[0], hpack_entries=hpack_entries, offsets=True, grpc=True,
                           show_secrets=show_secrets, preface={"send": "none", "recv": "none"})
        for d in starts:
            view.lose_hpack_table(d)
        for c in _after(chunks, skip):
            now[0] = c.t
            yield from view.feed(c.dir, c.data)
        for d in ("send", "recv"):
            yield from view.finish(d)
        for d in starts:
            lost = view.lost_hpack_refs(d)
            if lost:
                yield Note(t=now[0], proto_name=proto, level="warn", text=(
                    f"conn {conn} {'c2s' if d == 'send' else 's2c'}: {lost} header field(s) refer to HPACK "
                    f"dynamic table entries lost {'with the gap' if why == 'after the gap' else 'before the capture began'}"
                    ", shown as <lost: ...>, not guessed"))
        return
    from wiretool.codec.wsframe import WsFrameParser

    parsers = {d: WsFrameParser(sender="client" if d == "send" else "server", dir=d, rsv1_allowed=True)
               for d in starts}
    last = 0.0
    for c in _after(chunks, skip):
        last = c.t
        if c.dir in parsers:
            yield from parsers[c.dir].feed(c.data, c.t)
    for p in parsers.values():
        yield from p.finish(last)


def _after(chunks: list[Chunk], skip: dict[str, int]) -> Iterator[Chunk]:
    from wiretool.session import Chunk as _Chunk

    for c in chunks:
        n = skip.get(c.dir, 0)
        if c.dir not in skip and not n:
            continue  # a direction with no boundary found: nothing of it can be framed
        if n:
            take = min(n, len(c.data))
            skip[c.dir] = n - take
            if take == len(c.data):
                continue
            c = _Chunk(c.dir, c.t, c.data[take:], c.conn)
        yield c


__all__ = ["SEARCH", "decode", "find"]
