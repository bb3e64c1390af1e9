"""The legacy ``graphql-ws`` view: Apollo's subscriptions-transport-ws protocol (subprotocol ``graphql-ws``).

Not the ``graphql-ws`` npm library (that one speaks ``graphql-transport-ws``, the other view): this is the
older protocol many servers still run, with ``start``/``data``/``stop`` for operations, ``ka`` keep-alives
and ``connection_terminate``. Operation ids are matched to their ``start`` as in the newer view.
Protocol: github.com/apollographql/subscriptions-transport-ws PROTOCOL.md.
"""

from __future__ import annotations

from typing import Any

from wiretool.views.base import Line, Payload, ViewContext, ViewResult
from wiretool.views.graphql_transport_ws import error_messages, label, operation
from wiretool.views.subproto import (
    BY_SUBPROTOCOL,
    NOT_JSON,
    Bounded,
    compact,
    parse_json,
    small,
    state,
    subprotocol_is,
)

TYPES = ("connection_init", "connection_ack", "connection_error", "ka", "start", "data", "error", "complete",
         "stop", "connection_terminate")
_OPERATION_TYPES = ("start", "data", "error", "complete", "stop")


class GraphqlWsView:
    """subscriptions-transport-ws messages, with operation ids matched to their start."""

    name = "graphql-ws"
    summary = "legacy subscriptions-transport-ws: start/data/stop matched by id, ka keep-alives"
    subprotocols: tuple[str, ...] = ("graphql-ws",)

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
            raise ValueError("not a JSON object: a graphql-ws message is one")
        ops: Bounded = state(context, self.name, Bounded)
        kind = value.get("type")
        fields: dict[str, Any] = {"type": kind}
        complaints: list[str] = []
        op_id = value.get("id")
        if op_id is not None:
            fields["id"] = op_id if isinstance(op_id, str) else compact(op_id)
        key = (fields.get("id"),)
        body = value.get("payload")
        head = str(kind)
        detail: list[str] = []
        if kind not in TYPES:
            complaints.append(f"unknown message type {compact(kind)} (graphql-ws has {', '.join(TYPES)})")
        elif kind in _OPERATION_TYPES and op_id is None:
            complaints.append(f"a {kind} message needs an id")
        if kind == "start":
            op = operation(body)
            fields["operation"] = op
            if key in ops:
                complaints.append(f"id {fields.get('id')} is already running")
            ops[key] = {"t": context.t, "label": label(op), "results": 0}
            head = f"start {fields.get('id')}: {label(op)}"
            if "variables" in op:
                detail.append(f"variables {compact(op['variables'])}")
        elif kind in ("data", "error", "complete", "stop"):
            entry = ops.get(key)
            if entry is not None:
                fields["operation"] = entry["label"]
            elif kind in ("data", "error"):
                complaints.append(f"{kind} for id {fields.get('id')}, which no start opened")
            if kind == "data":
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
                head = f"data {fields.get('id')}" + (f" #{fields['n']} of {entry['label']}" if entry else "")
            else:
                if kind == "error":
                    fields["errors"] = error_messages(body)
                    detail.extend(f"error: {m}" for m in fields["errors"])
                head = f"{kind} {fields.get('id')}" + (f" {entry['label']}" if entry else "")
                if entry is not None and kind in ("error", "complete"):
                    ops.pop(key, None)
                    fields["results"] = entry["results"]
                    fields["elapsed_ms"] = round((context.t - entry["t"]) * 1000, 3)
                    head += f" after {entry['results']} result(s), {fields['elapsed_ms']:g} ms"
        elif kind == "connection_error":
            fields["errors"] = error_messages(body)
            detail.extend(f"error: {m}" for m in fields["errors"])
        elif kind == "connection_init" and isinstance(body, dict):  # keys only: it often carries a token
            fields["payload_keys"] = sorted(str(k) for k in body)[:50]
            if fields["payload_keys"]:
                detail.append("payload keys: " + ", ".join(fields["payload_keys"]))
        if complaints:
            fields["complaints"] = complaints
        lines: list[Line] = [(head, "dim" if kind == "ka" else "bold")]
        lines += [(d, "") for d in detail]
        lines += [(c, "yellow") for c in complaints]
        return ViewResult(self.name, tuple(lines), fields=fields)


VIEW = GraphqlWsView()
