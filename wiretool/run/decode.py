"""Decoding bytes that are already whole (``frame decode``, the demo): one direction → records → a summary.

These are runs without a connection: the codec is fed the input (in bounded chunks), every record goes
to the output, a summary ends it, and any violation is exit 5. The CLI and ``wiretool demo`` share them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from wiretool.exitcodes import ExitCode

if TYPE_CHECKING:
    from wiretool.output.sink import Output
    from wiretool.records import Record

CHUNK = 1 << 18
"""Bytes fed to the frame parser at a time by ``decode_ws`` (memory stays proportional to this, not the input)."""


def decode_ws(raw: bytes, out: Output, *, sender: str | None = None, deflate: bool = False,
              no_context_takeover: bool = False) -> int:
    """Decode ``raw`` as one direction of a WebSocket stream, emit every record and a summary; return the exit code."""
    from wiretool.codec.wsframe import WsFrameParser
    from wiretool.records.ws import WsFrame

    # ``dir`` as the contract has it for traffic, from the client's side as in ``decode_h2``: a client's bytes
    # were sent, anything else (a server's, or bytes of no stated sender) received.
    parser = WsFrameParser(sender=sender, dir="send" if sender == "client" else "recv", rsv1_allowed=deflate,
                           deflate=deflate, no_context_takeover=no_context_takeover, messages=True)
    frames = messages = violations = 0
    t = out.now()
    view = memoryview(raw)

    def batches() -> Iterator[list[Record]]:
        """The records a chunk at a time: a large input never holds all of its records at once."""
        for start in range(0, len(raw), CHUNK):
            yield parser.feed(view[start:start + CHUNK], t)
        yield parser.finish(t)

    with out.batched():
        for records in batches():
            for record in records:
                if isinstance(record, WsFrame):
                    frames += 1
                    violations += len(record.violations)
                else:
                    messages += 1
                out.emit(record)
    code = ExitCode.PROTOCOL if violations else ExitCode.OK
    if violations:  # like every failing run: one stderr line, and an `error` record before the summary
        out.error(f"{violations} protocol violation(s) in the decoded bytes", int(code))
    out.summary(int(code), frames=frames, messages=messages, violations=violations, bytes=len(raw))
    return int(code)


def decode_h2(data: bytes, out: Output, *, hpack_entries: bool = False) -> int:
    """Emit a record per frame (and the preface), then a summary; return 5 if any violation, else 0.

    A capture that starts with the client connection preface is the client's side (``send``); anything
    else is read as the server's side (``recv``). HPACK state is rebuilt in wire order, so header blocks
    decode as long as the bytes start at the beginning of the connection; gRPC streams show their messages.
    """
    from wiretool.codec.h2frame import H2FrameView

    direction = "send" if data.startswith(b"PRI") else "recv"
    view = H2FrameView(hpack_entries=hpack_entries, offsets=True, preface={direction: "auto"}, grpc=True)
    codec = view.codec(direction)
    t = 0.0

    def batches() -> Iterator[list[Record]]:
        """The records ``CHUNK`` bytes at a time, as ``decode_ws`` does: a large input never holds them all."""
        for start in range(0, len(data), CHUNK):
            yield codec.feed(data[start:start + CHUNK], t)
        yield codec.finish(t)

    grpc_violations = frames = grpc_messages = grpc_statuses = 0
    preface = any_grpc = False
    emit = out.emit
    with out.batched():
        for records in batches():
            for rec in records:
                if rec.proto == "grpc":
                    any_grpc = True
                    grpc_violations += len(getattr(rec, "violations", ()))
                    if rec.type == "message":
                        grpc_messages += 1
                    elif rec.type == "status":
                        grpc_statuses += 1
                elif rec.type == "frame":
                    frames += 1
                elif rec.type == "preface":
                    preface = True
                emit(rec)
    violations = view.violations + grpc_violations
    code = ExitCode.PROTOCOL if violations else ExitCode.OK
    if violations:
        out.error(f"{violations} protocol violation(s) in the decoded bytes", code)
    grpc_counts = {}
    if any_grpc:
        grpc_counts = {"grpc_messages": grpc_messages, "grpc_statuses": grpc_statuses}
    out.summary(code, frames=frames, preface=preface, bytes=len(data), direction=direction,
                violations=violations, **grpc_counts)
    return code
