"""Pretty view of gRPC records: each message right under the DATA frame that completed it, then the status.

A message shows its 5-byte prefix (length, compressed flag) and either its JSON (with a schema) or the
schema-less field tree (the ``protobuf`` payload view in ``wiretool/views/``). Everything the peer
sent goes through :func:`safe_text`; the tree is capped so a hostile message cannot flood the terminal.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from wiretool.output.sanitize import safe_text
from wiretool.records import Record
from wiretool.records.grpc import GrpcMessage, GrpcStatus

if TYPE_CHECKING:
    from rich.text import Text

    from wiretool.output.sink import Output

_DIR_STYLE = {"send": "cyan", "recv": "green"}
_INDENT = "          "
_MAX_LINES = 200


def render(record: Record, out: Output) -> None:
    """Draw one gRPC record; anything else goes to the common view."""
    if isinstance(record, GrpcMessage):
        out.console.print(_message(record))
    elif isinstance(record, GrpcStatus):
        out.console.print(_status(record))
    else:
        from wiretool.output.view_common import render as common

        common(record, out)


def _message(rec: GrpcMessage) -> Text:
    from rich.text import Text

    text = Text(f"[{rec.t:8.3f}] ", style="dim")
    text.append(f"{rec.dir} ", style=_DIR_STYLE.get(rec.dir, ""))
    text.append("gRPC MESSAGE", style="bold magenta")
    text.append(f" <length={rec.length}, compressed={'yes' if rec.compressed else 'no'}, stream_id={rec.stream_id}>")
    lines: list[tuple[str, str]] = []
    if rec.message_type is not None and rec.decode_error is None:
        lines.append((rec.message_type, "dim"))
        body = json.dumps(rec.decoded, indent=2, ensure_ascii=False)
        lines += [(safe_text(line), "") for line in body.split("\n")]
    else:
        if rec.decode_error:
            lines.append((f"schema: {safe_text(rec.decode_error)}", "yellow"))
        if rec.fields is not None:
            from wiretool import views

            context = views.ViewContext(proto="grpc", fields=rec.fields, max_lines=_MAX_LINES - len(lines))
            lines += views.render(rec.payload, context).lines
    if len(lines) > _MAX_LINES:
        lines = [*lines[:_MAX_LINES], (f"... {len(lines) - _MAX_LINES} more lines", "dim")]
    for line, style in lines:
        text.append("\n" + _INDENT + line, style=style)
    for v in rec.violations:
        text.append(f"\n{_INDENT}! {v.code} ({v.rfc}): {safe_text(v.message)}", style="bold red")
    return text


def _status(rec: GrpcStatus) -> Text:
    from rich.text import Text

    text = Text(f"[{rec.t:8.3f}] ", style="dim")
    style = "bold green" if rec.code == 0 else "bold red"
    text.append(f"gRPC STATUS {rec.code} {rec.name}", style=style)
    if rec.message:
        text.append(f": {safe_text(rec.message)}")
    text.append(f" <{rec.source}, stream_id={rec.stream_id}>", style="dim")
    return text
