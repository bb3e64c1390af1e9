"""An HTTP/2 (or gRPC) capture's bytes decoded again, connection by connection, with today's frame view."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wiretool.capture.file import Capture
    from wiretool.records import Record
    from wiretool.session import Chunk


def decode_h2(cap: Capture, hpack_entries: bool = False, show_secrets: bool = False) -> Iterator[Record]:
    """Every frame of every connection, each direction through its own HPACK state; then what each left."""
    feed = H2Feed(hpack_entries, show_secrets)
    for c in cap.chunks:
        yield from feed.feed(c)
    yield from feed.finish()


class H2Feed:
    """The decoder of HTTP/2 connections' bytes, a chunk at a time (one frame view per ``conn``): what a
    pcap's connection is fed through while it is reassembled, and what :func:`decode_h2` runs over a
    capture's chunks."""

    def __init__(self, hpack_entries: bool = False, show_secrets: bool = False) -> None:
        from wiretool.capture.exchanges import SIDE

        self.side = SIDE
        self.hpack_entries = hpack_entries
        self.show_secrets = show_secrets
        self.views: dict[int, Any] = {}
        self.now = [0.0]

    def feed(self, c: Chunk) -> list[Record]:
        """The records chunk ``c`` completes."""
        side = self.side.get(c.dir)
        if side is None:
            return []
        view = self.views.get(c.conn)
        if view is None:
            from wiretool.codec.h2frame import H2FrameView

            now = self.now
            view = self.views[c.conn] = H2FrameView(clock=lambda: now[0], hpack_entries=self.hpack_entries,
                                                    offsets=True, grpc=True, show_secrets=self.show_secrets)
        self.now[0] = c.t
        return view.feed(side, c.data)

    def finish(self) -> Iterator[Record]:
        """What each connection's directions left unfinished (a frame cut short is said so)."""
        for view in self.views.values():
            for d in ("send", "recv"):
                yield from cut_short(view.finish(d))


def cut_short(records: list[Record]) -> Iterator[Record]:
    """A frame cut short at the end of a capture is where the recording stopped, not the peer's fault: shown
    as far as it got without the ``truncated_frame`` violation, and followed by a warning."""
    import msgspec

    from wiretool.capture.decode_ws import CUT_SHORT
    from wiretool.records import Note

    for rec in records:
        codes = {v.code for v in getattr(rec, "violations", ())}
        if rec.type == "frame" and "truncated_frame" in codes:
            yield msgspec.structs.replace(rec, violations=tuple(v for v in rec.violations  # type: ignore[attr-defined]
                                                                if v.code != "truncated_frame"))
            yield Note(t=rec.t, proto_name="h2", text=CUT_SHORT, level="warn")
        else:
            yield rec
