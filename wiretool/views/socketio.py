"""The Socket.IO v5 view: the Socket.IO packet inside each Engine.IO ``message``, acks matched, attachments joined.

A Socket.IO packet is ``<type>[<attachments>-][<namespace>,][<ack id>][JSON]`` (socket.io-protocol v5):
CONNECT, DISCONNECT, EVENT, ACK, CONNECT_ERROR, BINARY_EVENT, BINARY_ACK. An EVENT with an ack id is
remembered (namespace and id, per direction) until the ACK comes back the other way, which then names the
event it answers and the round-trip time. A BINARY_EVENT announces N attachments that follow as binary
Engine.IO messages; the last one shows the event with its ``{"_placeholder": true, "num": i}`` arguments
replaced by the attachments (their length and first bytes). Both kinds of state are bounded.

The Engine.IO layer (open, ping, pong...) is shown by :mod:`wiretool.views.engineio`, reused here.
"""

from __future__ import annotations

import json
from typing import Any

from wiretool.views import engineio
from wiretool.views.base import Line, Payload, ViewContext, ViewResult

TYPES = ("CONNECT", "DISCONNECT", "EVENT", "ACK", "CONNECT_ERROR", "BINARY_EVENT", "BINARY_ACK")
MAX_PENDING_ACKS = 1024
"""Ack ids remembered per connection; past that the oldest is forgotten (its ACK is then shown unmatched)."""
MAX_ATTACHMENTS = 64
"""Attachments a binary packet may announce and still be joined (more: shown, not waited for)."""
ATTACHMENT_PREVIEW = 32
"""Bytes of each attachment shown as hex in the joined event."""
SHOWN_CHARS = 400
"""Characters of an event's arguments on its terminal line."""
_STATE_KEY = "socketio"
_OTHER_SIDE = {"send": "recv", "recv": "send", "c2s": "s2c", "s2c": "c2s"}


def parse_socketio(text: str) -> dict[str, Any]:
    """One Socket.IO v5 packet as fields (``packet``, ``namespace``, ``id``, ``event``, ``args``/``data``,
    ``attachments``); ValueError says what is wrong with one that does not parse."""
    if not text or not "0" <= text[0] <= "6":
        raise ValueError(f"not a Socket.IO v5 packet: type {text[:1]!r} is not 0-6")
    kind = TYPES[int(text[0])]
    fields: dict[str, Any] = {"packet": kind}
    pos = 1
    if kind in ("BINARY_EVENT", "BINARY_ACK"):
        dash = text.find("-", pos, pos + 12)
        if dash < 0 or not text[pos:dash].isdigit() or not text[pos:dash].isascii():
            raise ValueError(f"Socket.IO {kind}: no attachment count ('<n>-') after the type")
        fields["attachments"] = int(text[pos:dash])
        pos = dash + 1
    namespace = "/"
    if text.startswith("/", pos):
        comma = text.find(",", pos)
        end = comma if comma >= 0 else len(text)
        namespace = text[pos:end]
        pos = end + 1 if comma >= 0 else end
    fields["namespace"] = namespace
    start = pos
    while pos < len(text) and pos - start < 16 and "0" <= text[pos] <= "9":
        pos += 1
    if pos > start:
        fields["id"] = int(text[start:pos])
    rest = text[pos:]
    if rest:
        try:
            data = json.loads(rest)
        except ValueError as exc:
            raise ValueError(f"Socket.IO {kind}: its data is not JSON ({exc.msg} at {exc.pos})") from None
        if kind in ("EVENT", "BINARY_EVENT"):
            if not isinstance(data, list) or not data or not isinstance(data[0], str):
                raise ValueError(f"Socket.IO {kind}: the data is not an array starting with the event name")
            fields["event"] = data[0]
            fields["args"] = data[1:]
        elif kind in ("ACK", "BINARY_ACK"):
            if not isinstance(data, list):
                raise ValueError(f"Socket.IO {kind}: the data is not an array of arguments")
            fields["args"] = data
        else:
            fields["data"] = data
    elif kind in ("EVENT", "BINARY_EVENT"):
        raise ValueError(f"Socket.IO {kind}: no data (an event carries [name, ...args])")
    return fields


def _state(context: ViewContext) -> dict[str, Any]:
    state = context.state.setdefault(_STATE_KEY, {})
    state.setdefault("acks", {})
    state.setdefault("binary", {})
    return state


def _match_acks(fields: dict[str, Any], context: ViewContext, state: dict[str, Any]) -> None:
    """Remember an event's ack id; name the event an ACK answers, with the round-trip time."""
    acks: dict[tuple[str, str, int], tuple[str, float]] = state["acks"]
    ack_id = fields.get("id")
    if ack_id is None:
        return
    namespace = fields["namespace"]
    if fields["packet"] in ("EVENT", "BINARY_EVENT"):
        acks.pop((context.dir, namespace, ack_id), None)
        acks[(context.dir, namespace, ack_id)] = (str(fields.get("event")), context.t)
        while len(acks) > MAX_PENDING_ACKS:
            acks.pop(next(iter(acks)))
    elif fields["packet"] in ("ACK", "BINARY_ACK"):
        asked = acks.pop((_OTHER_SIDE.get(context.dir, context.dir), namespace, ack_id), None)
        if asked is not None:
            fields["ack_of"] = asked[0]
            fields["rtt_ms"] = round((context.t - asked[1]) * 1000, 3)


def _attachment(payload: bytes, context: ViewContext, state: dict[str, Any]) -> dict[str, Any] | None:
    """A binary message while a binary packet of this direction awaits attachments: join it."""
    pending = state["binary"].get(context.dir)
    if pending is None:
        return None
    fields, got = pending
    got.append({"length": len(payload), "hex": payload[:ATTACHMENT_PREVIEW].hex(),
                "truncated": len(payload) > ATTACHMENT_PREVIEW})
    if len(got) < fields["attachments"]:
        return {"packet": "ATTACHMENT", "of": fields["packet"], "num": len(got) - 1,
                "attachments": fields["attachments"], "length": len(payload)}
    del state["binary"][context.dir]
    joined = dict(fields, attached=got)
    if "args" in joined:
        joined["args"] = _replace_placeholders(joined["args"], got, 0)
    _match_acks(joined, context, state)
    return joined


def _replace_placeholders(value: Any, got: list[dict[str, Any]], depth: int) -> Any:
    if depth > 32:
        return value
    if isinstance(value, dict):
        num = value.get("num")
        if value.get("_placeholder") is True and isinstance(num, int) and 0 <= num < len(got):
            return {"binary": got[num]}
        return {k: _replace_placeholders(v, got, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_placeholders(v, got, depth + 1) for v in value]
    return value


def decode_fields(payload: Payload, context: ViewContext) -> dict[str, Any]:
    """The fields of one message: the Engine.IO packet, with the Socket.IO packet of a ``message`` merged in."""
    state = _state(context)
    if isinstance(payload, (bytes, bytearray)):  # a binary message: an attachment, when one is awaited
        joined = _attachment(bytes(payload), context, state)
        if joined is not None:
            return {"type": "message", **joined}
    fields = engineio.parse_packet(payload)
    engineio.check_timing(fields, context)
    if fields["type"] != "message" or "data" not in fields:
        return fields
    sio = parse_socketio(payload[1:])  # type: ignore[index]  # text: bytes were a binary message above
    fields.pop("data")
    fields.update(sio)
    count = sio.get("attachments")
    if count:
        if count <= MAX_ATTACHMENTS:
            state["binary"][context.dir] = (sio, [])
        else:
            fields["complaint"] = f"{count} attachments announced: more than {MAX_ATTACHMENTS}, not joined"
    else:
        _match_acks(fields, context, state)
    return fields


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "..."


def lines_of(fields: dict[str, Any]) -> list[Line]:
    """The terminal tree: the Engine.IO line, or the Socket.IO packet line with its namespace, id, ack."""
    packet = fields.get("packet")
    if packet is None:
        return engineio.lines_of(fields)
    if packet == "ATTACHMENT":
        return [(f"socket.io attachment {fields['num'] + 1}/{fields['attachments']} of {fields['of']} "
                 f"({fields['length']} bytes)", "dim")]
    head = f"socket.io {packet} {fields['namespace']}"
    if "id" in fields:
        head += f" id={fields['id']}"
    style = "bold red" if packet == "CONNECT_ERROR" else "bold"
    out: list[Line] = []
    if "event" in fields:
        head += f" {json.dumps(fields['event'], ensure_ascii=False)}"
    out.append((head, style))
    if "args" in fields:
        out.append((f"  args {_short(fields['args'])}", ""))
    if "data" in fields:
        out.append((f"  data {_short(fields['data'])}", ""))
    if "ack_of" in fields:
        out.append((f"  ack of {json.dumps(fields['ack_of'], ensure_ascii=False)} after {fields['rtt_ms']} ms",
                    "green"))
    if "attached" in fields:
        out.append((f"  {len(fields['attached'])} attachment(s) joined", "dim"))
    elif fields.get("attachments"):
        out.append((f"  waiting for {fields['attachments']} binary attachment(s)", "dim"))
    if "complaint" in fields:
        out.append((f"  {fields['complaint']}", "yellow"))
    return out


class SocketIOView:
    """Socket.IO v5 over Engine.IO v4: events, acks matched to their events, binary attachments joined."""

    name = "socketio"
    subprotocols: tuple[str, ...] = ()
    sticky = True
    summary = "Socket.IO v5 packets over Engine.IO v4 (events, acks matched, binary attachments joined, namespaces)"
    samples: tuple[Payload, ...] = (
        '0{"sid":"a1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}',
        "40", '40{"sid":"x"}', '40/admin,{"sid":"y"}', '42["chat message","hi"]', '421["chat",{"a":[1]}]',
        '431["ok"]', '42/admin,7["whoami"]', '43/admin,7["admin"]', '44{"message":"no"}', "41",
        '451-["up",{"_placeholder":true,"num":0}]', b"\xde\xad\xbe\xef", '461-[{"_placeholder":true,"num":0}]',
        "2", "3")
    """Valid packets, in a plausible order, for the fuzz test (it mutates them)."""

    def render_priority(self, payload: Payload, context: ViewContext) -> float:
        return 0.6 if engineio.looks_like_engineio(payload, context) else 0.0

    def decode(self, payload: Payload, context: ViewContext) -> ViewResult:
        fields = decode_fields(payload, context)
        return ViewResult(self.name, tuple(lines_of(fields)), fields=fields)


VIEW = SocketIOView()
