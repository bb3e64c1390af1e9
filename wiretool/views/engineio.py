"""The Engine.IO v4 view: open/close/ping/pong/message/upgrade/noop packets over WebSocket.

Over WebSocket an Engine.IO packet is one message: a text frame starts with the packet type digit
(``0{"sid":...,"pingInterval":25000,...}`` opens, ``2``/``3`` are ping/pong, ``4...`` carries a message), a
binary frame is a binary ``message`` as it is. The open packet's ``pingInterval`` and ``pingTimeout`` are
kept in the connection's state, and each server ping is checked against them: the gap since the last one
(or since the open) is shown, and flagged ``late`` past interval + timeout, when a client would give up.

The parsing lives in :func:`parse_packet` so the Socket.IO view (``socketio.py``) decodes the same packets.
"""

from __future__ import annotations

import json
from typing import Any

from wiretool.views.base import Line, Payload, ViewContext, ViewResult

TYPES = {"0": "open", "1": "close", "2": "ping", "3": "pong", "4": "message", "5": "upgrade", "6": "noop"}
"""Engine.IO v4 packet types by their digit (the protocol's README, "Packet encoding")."""
MAX_SHOWN = 512
"""Characters of a message's data kept in the fields (the record keeps the payload whole)."""
_STATE_KEY = "engineio"


def parse_packet(payload: Payload) -> dict[str, Any]:
    """One Engine.IO packet as fields: ``type`` and, per type, ``data`` / the open packet's settings.

    Bytes are a binary message (a BINARY frame carries the data alone, no type digit, in v4); text
    that is no packet raises ValueError (the view's complaint, shown above the raw payload)."""
    if isinstance(payload, (bytes, bytearray)):
        return {"type": "message", "binary": True, "length": len(payload)}
    text = payload
    if not text:
        raise ValueError("empty Engine.IO packet (no type digit)")
    kind = TYPES.get(text[0])
    if kind is None:
        raise ValueError(f"not an Engine.IO v4 packet: type {text[0]!r} is not 0-6")
    fields: dict[str, Any] = {"type": kind}
    data = text[1:]
    if kind == "open":
        try:
            handshake = json.loads(data)
        except ValueError:
            raise ValueError("Engine.IO open packet: its data is not JSON") from None
        if not isinstance(handshake, dict):
            raise ValueError("Engine.IO open packet: its data is not a JSON object")
        for key in ("sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"):
            if key in handshake:
                fields[key] = handshake[key]
    elif data:
        fields["data"] = data if len(data) <= MAX_SHOWN else data[:MAX_SHOWN] + "..."
    return fields


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0 else None


def check_timing(fields: dict[str, Any], context: ViewContext) -> None:
    """Keep the open packet's ping settings; on a server ping, add the gap seen and whether it was late."""
    state = context.state.setdefault(_STATE_KEY, {})
    kind = fields["type"]
    if kind == "open":
        state["interval"] = _number(fields.get("pingInterval"))
        state["timeout"] = _number(fields.get("pingTimeout"))
        state["last_ping"] = context.t
    elif kind == "ping" and context.dir in ("recv", "s2c", ""):
        last = state.get("last_ping")
        state["last_ping"] = context.t
        interval = state.get("interval")
        if last is None or interval is None:
            return
        gap = round((context.t - last) * 1000)
        fields["gap_ms"] = gap
        fields["ping_interval_ms"] = int(interval)
        grace = interval + (state.get("timeout") or 0)
        fields["late"] = gap > grace


def lines_of(fields: dict[str, Any]) -> list[Line]:
    """The Engine.IO part of the terminal tree: one line per packet."""
    kind = fields["type"]
    if kind == "open":
        settings = ", ".join(f"{k}={json.dumps(fields[k])}" for k in
                             ("sid", "pingInterval", "pingTimeout", "maxPayload", "upgrades") if k in fields)
        return [(f"engine.io open {settings}", "bold")]
    if kind == "ping" and "gap_ms" in fields:
        verdict = ("LATE", "bold red") if fields["late"] else ("on time", "green")
        return [(f"engine.io ping  {fields['gap_ms']} ms since the last (pingInterval "
                 f"{fields['ping_interval_ms']} ms): {verdict[0]}", verdict[1] if fields["late"] else "")]
    if fields.get("binary"):
        return [(f"engine.io message (binary, {fields['length']} bytes)", "")]
    data = fields.get("data")
    return [(f"engine.io {kind}" + (f" {json.dumps(data, ensure_ascii=False)}" if data is not None else ""), "")]


def looks_like_engineio(payload: Payload, context: ViewContext) -> bool:
    """The URL says Engine.IO (``EIO=4``, ``/socket.io/``), or the payload is an open packet."""
    url = context.url
    if "EIO=4" in url or "/engine.io/" in url or "/socket.io/" in url:
        return True
    head = payload[:8]
    return head in ('0{"sid":', b'0{"sid":')


class EngineIOView:
    """Engine.IO v4 packets, the ping interval checked against the pings that arrive."""

    name = "engineio"
    subprotocols: tuple[str, ...] = ()
    sticky = True
    """Once picked, it decodes every message of the connection (pings and pongs are no JSON)."""
    summary = "Engine.IO v4 packets (open, close, ping, pong, message, upgrade, noop; ping interval checked)"
    samples: tuple[Payload, ...] = (
        '0{"sid":"a1","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}',
        "2", "3", "4hello", "1", "5", "6", b"\x01\x02\xff")
    """Valid packets, for the fuzz test (tests/views/test_views_fuzz.py mutates them)."""

    def render_priority(self, payload: Payload, context: ViewContext) -> float:
        # below socketio's, which also decodes every Engine.IO packet and the Socket.IO packet inside
        return 0.5 if looks_like_engineio(payload, context) else 0.0

    def decode(self, payload: Payload, context: ViewContext) -> ViewResult:
        fields = parse_packet(payload)
        check_timing(fields, context)
        return ViewResult(self.name, tuple(lines_of(fields)), fields=fields)


VIEW = EngineIOView()
