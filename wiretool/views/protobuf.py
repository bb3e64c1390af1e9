"""The schema-less protobuf view, like ``protoc --decode_raw``: field number, then the value and its kind.

It shows the fields the codec already decoded (``GrpcMessage.fields``); long strings and bytes are cut
and the tree stops at ``context.max_lines`` so a hostile message cannot flood the terminal.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from wiretool.views.base import Line, Payload, ViewContext, ViewResult

if TYPE_CHECKING:
    from wiretool.records.grpc import ProtoField

MAX_VALUE = 256
"""Characters of a string field (and twice the bytes of a bytes field) shown."""


class ProtobufView:
    """The field tree of a protobuf message decoded without its schema."""

    name = "protobuf"
    subprotocols: tuple[str, ...] = ()
    pretty_only = True
    """No ``fields`` (the gRPC record has them already): nothing for an NDJSON run."""
    summary = "schema-less protobuf field tree (gRPC messages)"

    def render_priority(self, payload: Payload, context: ViewContext) -> float:
        return 1.0 if context.fields is not None else 0.0

    def decode(self, payload: Payload, context: ViewContext) -> ViewResult:
        fields = context.fields
        if fields is None:
            from wiretool.codec.protobuf import decode_message

            fields = decode_message(payload.encode() if isinstance(payload, str) else payload)
        lines: list[Line] = [] if fields else [("(empty message)", "dim")]
        _tree(fields, 0, lines, context.max_lines)
        return ViewResult(self.name, tuple(lines))


def _tree(fields: tuple[ProtoField, ...], depth: int, lines: list[Line], limit: int | None) -> None:
    pad = "  " * depth
    for f in fields:
        if limit is not None and len(lines) > limit:
            return
        if f.kind == "message":
            lines.append((f"{pad}{f.number} {{", ""))
            _tree(f.value, depth + 1, lines, limit)
            lines.append((f"{pad}}}", ""))
        elif f.kind == "string":
            shown = f.value if len(f.value) <= MAX_VALUE else f.value[:MAX_VALUE] + "..."
            lines.append((f"{pad}{f.number}: {json.dumps(shown, ensure_ascii=False)}", ""))
        elif f.kind == "bytes":
            more = "..." if len(f.value) > MAX_VALUE // 2 else ""
            lines.append((f"{pad}{f.number}: bytes {f.value[:MAX_VALUE // 2].hex()}{more}", ""))
        elif f.kind == "invalid":
            lines.append((f"{pad}{f.number}: invalid: {f.value}", "yellow"))
        else:
            lines.append((f"{pad}{f.number}: {f.value} ({f.kind})", ""))


VIEW = ProtobufView()
