"""The graphql-transport-ws view: the GraphQL over WebSocket protocol of the ``graphql-ws`` library.

Messages are JSON objects with a ``type`` (connection_init, connection_ack, ping, pong, subscribe, next,
error, complete) and, for operations, an ``id``. The view names the operation each ``next``/``error``/
``complete`` belongs to by matching its id to the ``subscribe`` that opened it, counts the results, and
times the operation from subscribe to complete. Protocol: github.com/enisdenjo/graphql-ws PROTOCOL.md.
"""

from __future__ import annotations

import re
from typing import Any

from wiretool.views.base import Line, Payload, ViewContext, ViewResult
from wiretool.views.subproto import (
    BY_SUBPROTOCOL,
    NOT_JSON,
    Bounded,
    compact,
    parse_json,
    preview,
    small,
    state,
    subprotocol_is,
)

TYPES = ("connection_init", "connection_ack", "ping", "pong", "subscribe", "next", "error", "complete")

_OPERATION = re.compile(r"\s*(?:#[^\n]*\n\s*)*(query|mutation|subscription)?\s*([_A-Za-z]\w*)?[^{]*\{\s*([_A-Za-z]\w*)")


def operation(payload: Any) -> dict[str, Any]:
    """What a subscribe/start payload asks: the operation kind, its name and its first field."""
    out: dict[str, Any] = {}
    if not isinstance(payload, dict):
        return out
    query = payload.get("query")
    if isinstance(query, str):
        m = _OPERATION.match(query[:4096])
        if m:
            out["kind"] = m.group(1) or "query"
            if m.group(2):
                out["name"] = m.group(2)
            out["field"] = m.group(3)
        out["query"] = preview(" ".join(query.split()))
    if isinstance(payload.get("operationName"), str):
        out["name"] = payload["operationName"]
    if "variables" in payload and payload["variables"] is not None:
        out["variables"] = small(payload["variables"])
    return out


def label(op: dict[str, Any]) -> str:
    """``subscription OnGreet { greetings }`` shortened to what names it."""
    return " ".join(p for p in (op.get("kind", ""), op.get("name", ""), "{ " + op["field"] + " }"
                                if op.get("field") else "") if p) or "operation"


def error_messages(errors: Any) -> list[str]:
    """The ``message`` of each GraphQL error (a list of them, or one), cut short."""
    items = errors if isinstance(errors, list) else [errors]
    out = []
    for e in items[:20]:
        msg = e.get("message") if isinstance(e, dict) else e
        out.append(preview(msg if isinstance(msg, str) else compact(msg)))
    return out


class GraphqlTransportWsView:
    """graphql-transport-ws messages, with operation ids matched to their subscribe."""

    name = "graphql-transport-ws"
    summary = "GraphQL over WebSocket (graphql-ws library): subscribe/next/error/complete matched by id, timed"
    subprotocols: tuple[str, ...] = ("graphql-transport-ws",)

    def render_priority(self, payload: Payload, context: ViewContext) -> float:
        # Only the negotiated subprotocol (or --view) picks it: servers of both GraphQL protocols insist on
        # theirs, and {"type": "ping"}-shaped JSON is far too common in other protocols to claim by shape.
        if not subprotocol_is(context, self.subprotocols):
            return 0.0
        value = parse_json(payload)
        return BY_SUBPROTOCOL if isinstance(value, dict) else 0.0

    def decode(self, payload: Payload, context: ViewContext) -> ViewResult:
        value = parse_json(payload)
        if value is NOT_JSON or not isinstance(value, dict):
            raise ValueError("not a JSON object: a graphql-transport-ws message is one")
        ops: Bounded = state(context, self.name, Bounded)
        kind = value.get("type")
        fields: dict[str, Any] = {"type": kind}
        complaints: list[str] = []
        op_id = value.get("id")
        if op_id is not None:
            fields["id"] = op_id if isinstance(op_id, str) else compact(op_id)
        body = value.get("payload")
        key = (fields.get("id"),)
        head = f"{kind}"
        detail: list[str] = []
        if kind not in TYPES:
            complaints.append(f"unknown message type {compact(kind)} (graphql-transport-ws has {', '.join(TYPES)})")
        elif kind in ("subscribe", "next", "error", "complete") and not isinstance(op_id, str):
            complaints.append(f"a {kind} message needs a string id")
        if kind == "subscribe":
            op = operation(body)
            fields["operation"] = op
            if key in ops:
                complaints.append(f"id {fields.get('id')} is already in use (the server closes with 4409)")
            ops[key] = {"t": context.t, "label": label(op), "results": 0}
            head = f"subscribe {fields.get('id')}: {label(op)}"
            if "variables" in op:
                detail.append(f"variables {compact(op['variables'])}")
        elif kind in ("next", "error", "complete"):
            entry = ops.get(key)
            if entry is None:
                if kind != "complete" or context.dir not in ("send", "c2s"):
                    complaints.append(f"{kind} for id {fields.get('id')}, which no subscribe opened")
            else:
                fields["operation"] = entry["label"]
            if kind == "next":
                if entry is not None:
                    entry["results"] += 1
                    fields["n"] = entry["results"]
                if isinstance(body, dict):
                    if "data" in body:
                        fields["data"] = small(body["data"])
                        detail.append(compact(body["data"]))
                    if body.get("errors"):
                        fields["errors"] = error_messages(body["errors"])
                        detail.extend(f"error: {m}" for m in fields["errors"])
                head = f"next {fields.get('id')}" + (f" #{fields['n']} of {entry['label']}" if entry else "")
            elif kind == "error":
                fields["errors"] = error_messages(body)
                detail.extend(f"error: {m}" for m in fields["errors"])
                head = f"error {fields.get('id')}" + (f" in {entry['label']}" if entry else "")
            else:
                head = f"complete {fields.get('id')}" + (f" {entry['label']}" if entry else "")
            if kind != "next" and entry is not None:
                ops.pop(key, None)
                fields["results"] = entry["results"]
                fields["elapsed_ms"] = round((context.t - entry["t"]) * 1000, 3)
                head += f" after {entry['results']} result(s), {fields['elapsed_ms']:g} ms"
        elif kind in ("connection_init", "connection_ack", "ping", "pong"):
            if isinstance(body, dict):  # keys only: connection_init often carries a token
                fields["payload_keys"] = sorted(str(k) for k in body)[:50]
                if fields["payload_keys"]:
                    detail.append("payload keys: " + ", ".join(fields["payload_keys"]))
            if kind == "connection_ack":
                fields["open_operations"] = len(ops)
        if complaints:
            fields["complaints"] = complaints
        lines: list[Line] = [(head, "bold")]
        lines += [(d, "") for d in detail]
        lines += [(c, "yellow") for c in complaints]
        return ViewResult(self.name, tuple(lines), fields=fields)


VIEW = GraphqlTransportWsView()
