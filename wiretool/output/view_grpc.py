"""Pretty view of gRPC records: each message right under the DATA frame that completed it, then the status.

A message shows its 5-byte prefix (length, compressed flag) and either its JSON (with a schema) or the
schema-less field tree (the ``protobuf`` payload view in ``wiretool/views/``). Every line is built with
:class:`~wiretool.output.safe_line.SafeLine`, which escapes each piece, so nothing the peer sent reaches the
terminal raw; the tree is capped so a hostile message cannot flood the terminal.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from wiretool.output.safe_line import SafeLine
from wiretool.records import Record
from wiretool.records.grpc import GrpcMessage, GrpcStatus

if TYPE_CHECKING:
    from wiretool.output.sink import Output

_DIR_STYLE = {"send": "cyan", "recv": "green", "c2s": "cyan", "s2c": "green"}
_MAX_LINES = 200


def render(record: Record, out: Output) -> None:
    """Draw one gRPC record; anything else goes to the common view."""
    if isinstance(record, GrpcMessage):
        out.console.print(_message(record).text)
    elif isinstance(record, GrpcStatus):
        out.console.print(_status(record).text)
    else:
        from wiretool.output.view_common import render as common

        common(record, out)


def _message(rec: GrpcMessage) -> SafeLine:
    line = SafeLine(f"[{rec.t:8.3f}] ", "dim").add(f"{rec.dir} ", _DIR_STYLE.get(rec.dir, ""))
    line.add("gRPC MESSAGE", "bold magenta")
    line.add(f" <length={rec.length}, compressed={'yes' if rec.compressed else 'no'}, stream_id={rec.stream_id}>")
    lines: list[tuple[str, str]] = []
    if rec.message_type is not None and rec.decode_error is None:
        lines.append((rec.message_type, "dim"))
        body = json.dumps(rec.decoded, indent=2, ensure_ascii=False)
        lines += [(text, "") for text in body.split("\n")]
    else:
        if rec.decode_error:
            lines.append((f"schema: {rec.decode_error}", "yellow"))
        if rec.fields is not None:
            from wiretool import views

            context = views.ViewContext(proto="grpc", fields=rec.fields, max_lines=_MAX_LINES - len(lines))
            lines += views.render(rec.payload, context).lines
    if len(lines) > _MAX_LINES:
        lines = [*lines[:_MAX_LINES], (f"... {len(lines) - _MAX_LINES} more lines", "dim")]
    for text, style in lines:
        line.under(text, style)
    for v in rec.violations:
        line.under(f"! {v.code} ({v.rfc}): {v.message}", "bold red")
    return line


def _status(rec: GrpcStatus) -> SafeLine:
    line = SafeLine(f"[{rec.t:8.3f}] ", "dim")
    line.add(f"gRPC STATUS {rec.code} {rec.name}", "bold green" if rec.code == 0 else "bold red")
    if rec.message:
        line.add(f": {rec.message}")
    line.add(f" <{rec.source}, stream_id={rec.stream_id}>", "dim")
    return line
