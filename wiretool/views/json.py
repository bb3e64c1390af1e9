"""The JSON view: a JSON document on one line when short (80 characters), else indented by two.

Chosen only when the payload really parses as JSON (an object or array under 1 MB); anything else is
left to the next view, so ``{not json`` shows raw without an error.
"""

from __future__ import annotations

import json
from typing import Any

from wiretool.views.base import Payload, ViewContext, ViewResult

MAX_SIZE = 1_000_000
"""Payloads this long or longer are not parsed for the view (the NDJSON record has them whole)."""
COMPACT_WIDTH = 80

_NOT_JSON = object()
_last: tuple[Payload, Any] | None = None
"""The last payload parsed by render_priority, so decode does not parse it again."""


def _parse(payload: Payload) -> Any:
    global _last
    last = _last
    if last is not None and last[0] is payload:
        return last[1]
    value: Any = _NOT_JSON
    if payload[:1] in ("{", "[", b"{", b"[") and len(payload) < MAX_SIZE:
        try:
            value = json.loads(payload)
        except ValueError:
            value = _NOT_JSON
    _last = (payload, value)
    return value


class JsonView:
    """Pretty JSON, compact when it fits on a line."""

    name = "json"
    subprotocols: tuple[str, ...] = ()
    pretty_only = True
    """No ``fields``: nothing for an NDJSON run, which then skips it."""
    summary = "JSON text pretty-printed (compact when short); the expect field form reads the document"
    samples: tuple[Payload, ...] = ('{"a": [1, 2.5, null, true]}', "[]", '{"k": {"n": "\\u00e9"}}')
    """Valid documents, for the fuzz test."""

    def render_priority(self, payload: Payload, context: ViewContext) -> float:
        return 0.0 if _parse(payload) is _NOT_JSON else 1.0

    def decode(self, payload: Payload, context: ViewContext) -> ViewResult:
        value = _parse(payload)
        if value is _NOT_JSON:
            raise ValueError("not a JSON object or array")
        compact = json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
        text = compact if len(compact) <= COMPACT_WIDTH else json.dumps(value, ensure_ascii=False, indent=2)
        return ViewResult(self.name, tuple((line, "") for line in text.split("\n")))


VIEW = JsonView()
