"""An HTTP/2 (or gRPC) capture's bytes decoded again, connection by connection, with today's frame view."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wiretool.capture.file import Capture
    from wiretool.records import Record


def decode_h2(cap: Capture, hpack_entries: bool = False, show_secrets: bool = False) -> Iterator[Record]:
    """Every frame of every connection, each direction through its own HPACK state; then what each left."""
    from wiretool.capture.exchanges import SIDE
    from wiretool.codec.h2frame import H2FrameView

    views: dict[int, Any] = {}
    now = [0.0]
    for c in cap.chunks:
        side = SIDE.get(c.dir)
        if side is None:
            continue
        view = views.get(c.conn)
        if view is None:
            view = views[c.conn] = H2FrameView(clock=lambda: now[0], hpack_entries=hpack_entries, offsets=True,
                                               grpc=True, show_secrets=show_secrets)
        now[0] = c.t
        yield from view.feed(side, c.data)
    for view in views.values():
        for d in ("send", "recv"):
            yield from cut_short(view.finish(d))


def cut_short(records: list[Record]) -> Iterator[Record]:
    """A frame cut short at the end of a capture is where the recording stopped, not the peer's fault: shown
    as far as it got without the ``truncated_frame`` violation, and followed by a warning."""
    import dataclasses

    from wiretool.capture.decode_ws import CUT_SHORT
    from wiretool.records import Note

    for rec in records:
        codes = {v.code for v in getattr(rec, "violations", ())}
        if rec.type == "frame" and "truncated_frame" in codes:
            yield dataclasses.replace(rec, violations=tuple(v for v in rec.violations  # type: ignore[attr-defined]
                                                            if v.code != "truncated_frame"))
            yield Note(t=rec.t, proto_name="h2", text=CUT_SHORT, level="warn")
        else:
            yield rec
