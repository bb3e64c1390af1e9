"""The SignalR view: the JSON hub protocol, records ended by the 0x1E record separator.

The first message each way is the handshake (``{"protocol":"json","version":1}`` asked, ``{}`` or
``{"error": ...}`` answered); then every record is a JSON object whose ``type`` says what it is: 1
Invocation, 2 StreamItem, 3 Completion, 4 StreamInvocation, 5 CancelInvocation, 6 Ping, 7 Close
(ASP.NET Core's HubProtocol spec). An invocation's ``invocationId`` is remembered until its Completion comes
back the other way, which then names the target it answers and the round-trip time (bounded state).
A message may hold several records: one is shown flat, several under ``records``.
"""

from __future__ import annotations

import json
from typing import Any

from wiretool.views.base import Line, Payload, ViewContext, ViewResult

RS = "\x1e"
"""The record separator that ends every JSON hub protocol record."""
TYPES = {1: "Invocation", 2: "StreamItem", 3: "Completion", 4: "StreamInvocation", 5: "CancelInvocation",
         6: "Ping", 7: "Close", 8: "Ack", 9: "Sequence"}
MAX_RECORDS = 256
"""Records of one message decoded (the rest are counted, not parsed)."""
MAX_PENDING = 1024
"""Invocation ids remembered per connection waiting for their Completion."""
SHOWN_CHARS = 400
_STATE_KEY = "signalr"
_OTHER_SIDE = {"send": "recv", "recv": "send", "c2s": "s2c", "s2c": "c2s"}


def _records(payload: Payload) -> list[str]:
    text = payload if isinstance(payload, str) else bytes(payload).decode("utf-8")
    if not text.endswith(RS):
        raise ValueError("SignalR JSON hub record not ended by the 0x1E record separator")
    return text[:-1].split(RS)


def _record(text: str, context: ViewContext, state: dict[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"SignalR record is not JSON ({exc.msg} at {exc.pos})") from None
    if not isinstance(value, dict):
        raise ValueError("SignalR record is not a JSON object")
    kind = value.get("type")
    if kind is None:  # only the handshake has no type
        fields: dict[str, Any] = {"type": "handshake", **value}
        if "protocol" in value:
            fields["type"] = "handshake_request"
        elif "error" in value:
            fields["type"] = "handshake_error"
        else:
            fields["type"] = "handshake_response"
        return fields
    if not isinstance(kind, int) or isinstance(kind, bool) or kind not in TYPES:
        raise ValueError(f"SignalR record type {kind!r} is not one of 1-9")
    fields = {"type": TYPES[kind], **{k: v for k, v in value.items() if k != "type"}}
    _match(fields, context, state)
    return fields


def _match(fields: dict[str, Any], context: ViewContext, state: dict[str, Any]) -> None:
    """Remember an invocation's id; name the invocation a Completion (or StreamItem) answers."""
    pending: dict[tuple[str, str], tuple[str, float]] = state.setdefault("pending", {})
    ident = fields.get("invocationId")
    if not isinstance(ident, str):
        return
    if fields["type"] in ("Invocation", "StreamInvocation"):
        pending[(context.dir, ident)] = (str(fields.get("target")), context.t)
        while len(pending) > MAX_PENDING:
            pending.pop(next(iter(pending)))
    elif fields["type"] in ("Completion", "StreamItem", "CancelInvocation"):
        side = context.dir if fields["type"] == "CancelInvocation" else _OTHER_SIDE.get(context.dir, context.dir)
        key = (side, ident)
        asked = pending.get(key)
        if asked is not None:
            fields["answers"] = asked[0]
            fields["rtt_ms"] = round((context.t - asked[1]) * 1000, 3)
            if fields["type"] != "StreamItem":
                del pending[key]


def _line(fields: dict[str, Any]) -> list[Line]:
    kind = fields["type"]
    rest = {k: v for k, v in fields.items() if k not in ("type", "answers", "rtt_ms")}
    body = json.dumps(rest, ensure_ascii=False)
    if len(body) > SHOWN_CHARS:
        body = body[:SHOWN_CHARS] + "..."
    style = "bold red" if kind in ("handshake_error",) or (kind in ("Completion", "Close") and "error" in fields) \
        else "bold"
    out: list[Line] = [(f"signalr {kind} {body}" if rest else f"signalr {kind}", style)]
    if "answers" in fields:
        out.append((f"  answers {json.dumps(fields['answers'], ensure_ascii=False)} after {fields['rtt_ms']} ms",
                    "green"))
    return out


def looks_like_signalr(payload: Payload) -> bool:
    """The handshake request (``{"protocol":"json",...}`` then 0x1E), the first message of a hub connection."""
    tail = payload[-1:]
    if tail not in (RS, RS.encode()):
        return False
    head = payload[:40]
    if isinstance(head, (bytes, bytearray)):
        head = bytes(head).decode("utf-8", "replace")
    return head.startswith("{") and '"protocol"' in head


class SignalRView:
    """SignalR's JSON hub protocol: handshake, invocations matched to completions, pings, close."""

    name = "signalr"
    subprotocols: tuple[str, ...] = ()
    sticky = True
    summary = "SignalR JSON hub protocol (0x1E-separated records; invocations matched to completions)"
    samples: tuple[Payload, ...] = (
        '{"protocol":"json","version":1}\x1e', "{}\x1e",
        '{"type":1,"invocationId":"1","target":"Send","arguments":["a",1]}\x1e',
        '{"type":3,"invocationId":"1","result":2}\x1e{"type":6}\x1e',
        '{"type":4,"invocationId":"2","target":"Counter","arguments":[3]}\x1e',
        '{"type":2,"invocationId":"2","item":1}\x1e', '{"type":5,"invocationId":"2"}\x1e',
        '{"type":7,"error":"bye","allowReconnect":true}\x1e')
    """Valid records, for the fuzz test (it mutates them)."""

    def render_priority(self, payload: Payload, context: ViewContext) -> float:
        return 0.8 if looks_like_signalr(payload) else 0.0

    def decode(self, payload: Payload, context: ViewContext) -> ViewResult:
        state = context.state.setdefault(_STATE_KEY, {})
        texts = _records(payload)
        records = [_record(text, context, state) for text in texts[:MAX_RECORDS]]
        lines: list[Line] = []
        for fields in records:
            lines += _line(fields)
        if len(texts) > MAX_RECORDS:
            lines.append((f"... {len(texts) - MAX_RECORDS} more records not decoded", "dim"))
        result: dict[str, Any] = records[0] if len(records) == 1 else {"records": records}
        return ViewResult(self.name, tuple(lines), fields=result)


VIEW = SignalRView()
