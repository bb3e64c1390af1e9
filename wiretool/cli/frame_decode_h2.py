"""``wiretool frame decode --proto h2``: captured bytes of one direction → the same frame view as ``h2 get``.

A capture that starts with the client connection preface is the client's side (``send``); anything
else is read as the server's side (``recv``). HPACK state is rebuilt in wire order, so header blocks
decode as long as the capture starts at the beginning of the connection. Streams whose HEADERS say
``content-type: application/grpc`` also show their gRPC messages and status (``codec/grpcview.py``).
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
                       preface={direction: "auto"}, grpc=True)
    records = view.feed(direction, data) + view.finish(direction)
    grpc_violations = 0
    for rec in records:
        if rec.proto == "grpc":
            grpc_violations += len(getattr(rec, "violations", ()))
        out.emit(rec)
    violations = view.violations + grpc_violations
    code = ExitCode.PROTOCOL if violations else ExitCode.OK
    if violations:
        out.error(f"{violations} protocol violation(s) in the decoded bytes", code)
    grpc_counts = {}
    if any(r.proto == "grpc" for r in records):
        grpc_counts = {"grpc_messages": sum(1 for r in records if r.proto == "grpc" and r.type == "message"),
                       "grpc_statuses": sum(1 for r in records if r.proto == "grpc" and r.type == "status")}
    out.summary(code, frames=sum(1 for r in records if r.type == "frame"),
                preface=any(r.type == "preface" for r in records), bytes=len(data), direction=direction,
                violations=violations, **grpc_counts)
    return code
