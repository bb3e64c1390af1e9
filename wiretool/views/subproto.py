"""What the subprotocol views (GraphQL over WebSocket, JSON-RPC, MQTT, STOMP) share: bounded per-connection
memory, one cached JSON parse per payload, the answering direction, and short previews of peer data.

Each view keeps what it must remember between messages (ids to match, a packet split across frames) in
its own key of ``ViewContext.state``; :class:`Bounded` is how that memory stays bounded whatever a peer
sends: past ``limit`` entries the oldest is forgotten (and counted), never an error.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from wiretool.views.base import Payload, ViewContext

MAX_JSON = 1_000_000
"""Payloads this long or longer are not parsed as JSON by a view (the record keeps them whole)."""
MAX_ENTRIES = 4096
"""Ids (requests, subscriptions, receipts) one view remembers per connection before it forgets the oldest."""
PREVIEW = 200
"""Characters of a peer's string (a payload, a body) a view puts in its fields and lines."""
SMALL_JSON = 4096
"""A JSON value (params, result, variables) is put in the fields as it is when its JSON is this short."""

NOT_JSON = object()
_last: tuple[Payload, Any] | None = None
"""The last payload parsed, so that the priority of several views and the decode parse it once."""


class Bounded(OrderedDict):  # type: ignore[type-arg]
    """An insertion-ordered dict that forgets its oldest entry past ``limit`` (``dropped`` counts them)."""

    def __init__(self, limit: int = MAX_ENTRIES) -> None:
        super().__init__()
        self.limit = limit
        self.dropped = 0

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, value)
        while len(self) > self.limit:
            self.popitem(last=False)
            self.dropped += 1


def state(context: ViewContext, key: str, factory: type = dict) -> Any:
    """This view's own scratch in the connection's state (made on first use)."""
    mine = context.state.get(key)
    if not isinstance(mine, factory):
        mine = context.state[key] = factory()
    return mine


def parse_json(payload: Payload) -> Any:
    """The payload as a JSON object or array, or :data:`NOT_JSON` (not one, or too long to parse)."""
    global _last
    last = _last
    if last is not None and last[0] is payload:
        return last[1]
    value: Any = NOT_JSON
    if payload[:1] in ("{", "[", b"{", b"[") and len(payload) < MAX_JSON:
        try:
            value = json.loads(payload)
        except (ValueError, RecursionError):
            value = NOT_JSON
    _last = (payload, value)
    return value


def answering(direction: str) -> str:
    """The direction that answers a message sent in ``direction`` (``send``/``recv``, ``c2s``/``s2c``)."""
    return {"send": "recv", "recv": "send", "c2s": "s2c", "s2c": "c2s"}.get(direction, direction)


def preview(text: str, limit: int = PREVIEW) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was when cut."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"


def small(value: Any) -> Any:
    """``value`` itself when its JSON is short, else a note of its size (fields stay small)."""
    try:
        size = len(json.dumps(value, ensure_ascii=False))
    except (TypeError, ValueError, RecursionError):
        return "(not JSON-able)"
    return value if size <= SMALL_JSON else f"({size} bytes of JSON)"


def compact(value: Any, limit: int = PREVIEW) -> str:
    """``value`` as compact JSON for a line, cut to ``limit`` characters."""
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return preview(text, limit)


def subprotocol_is(context: ViewContext, names: tuple[str, ...]) -> bool:
    """The connection negotiated one of ``names`` (compared without case, as Wireshark does)."""
    return bool(context.subprotocol) and context.subprotocol.lower() in names  # type: ignore[union-attr]


BY_SUBPROTOCOL = 5.0
"""The priority of a view whose subprotocol the connection negotiated: it wins over any payload shape."""
BY_SHAPE = 1.5
"""The priority of a view that recognises its own packets without the subprotocol (above plain JSON's 1.0)."""
