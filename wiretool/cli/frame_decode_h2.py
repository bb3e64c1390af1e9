"""``wiretool frame decode --proto h2``: captured bytes of one direction → the same frame view as ``h2 get``.

A capture that starts with the client connection preface is the client's side (``send``); anything
else is read as the server's side (``recv``). HPACK state is rebuilt in wire order, so header blocks
decode as long as the capture starts at the beginning of the connection.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wiretool.output.sink import Output


def decode_h2(data: bytes, out: Output, *, hpack_entries: bool = False) -> int:
    """Emit a record per frame (and the preface), then a summary; return 5 if any violation, else 0."""
    from wiretool.codec.h2frame import H2FrameView
    from wiretool.exitcodes import ExitCode

    direction = "send" if data.startswith(b"PRI") else "recv"
    view = H2FrameView(clock=lambda: 0.0, hpack_entries=hpack_entries, offsets=True,
                       preface={direction: "auto"})
    records = view.feed(direction, data) + view.finish(direction)
    for rec in records:
        out.emit(rec)
    code = ExitCode.PROTOCOL if view.violations else ExitCode.OK
    if view.violations:
        out.error(f"{view.violations} protocol violation(s) in the decoded bytes", code)
    out.summary(code, frames=sum(1 for r in records if r.type == "frame"),
                preface=any(r.type == "preface" for r in records), bytes=len(data), direction=direction,
                violations=view.violations)
    return code
