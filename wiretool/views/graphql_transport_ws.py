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


class GraphqlMessage:
    """One message of either GraphQL-over-WebSocket protocol, read the way both views start: the JSON object,
    the connection's open operations, and the fields, complaints and lines the view then adds to."""

    def __init__(self, view: str, payload: Payload, context: ViewContext) -> None:
        value = parse_json(payload)
        if value is NOT_JSON or not isinstance(value, dict):
            raise ValueError(f"not a JSON object: a {view} message is one")
        self.view = view
        self.context = context
        self.ops: Bounded = state(context, view, Bounded)
        self.kind = value.get("type")
        self.fields: dict[str, Any] = {"type": self.kind}
        self.complaints: list[str] = []
        self.detail: list[str] = []
        self.op_id = value.get("id")
        if self.op_id is not None:
            self.fields["id"] = self.op_id if isinstance(self.op_id, str) else compact(self.op_id)
        self.key = (self.fields.get("id"),)
        self.body = value.get("payload")
        self.head = str(self.kind)

    def opened(self, verb: str, duplicate: str) -> None:
        """A subscribe/start: remember the operation under its id, to name and time what answers it."""
        op = operation(self.body)
        self.fields["operation"] = op
        if self.key in self.ops:
            self.complaints.append(f"id {self.fields.get('id')} {duplicate}")
        self.ops[self.key] = {"t": self.context.t, "label": label(op), "results": 0}
        self.head = f"{verb} {self.fields.get('id')}: {label(op)}"
        if "variables" in op:
            self.detail.append(f"variables {compact(op['variables'])}")

    def result(self, entry: dict[str, Any] | None) -> None:
        """A next/data message: count it for its operation, show its data and errors."""
        if entry is not None:
            entry["results"] += 1
            self.fields["n"] = entry["results"]
        if isinstance(self.body, dict):
            if "data" in self.body:
                self.fields["data"] = small(self.body["data"])
                self.detail.append(compact(self.body["data"]))
            if self.body.get("errors"):
                self.errors(self.body["errors"])
        self.head = f"{self.kind} {self.fields.get('id')}" + (f" #{self.fields['n']} of {entry['label']}"
                                                             if entry else "")

    def errors(self, errors: Any) -> None:
        self.fields["errors"] = error_messages(errors)
        self.detail.extend(f"error: {m}" for m in self.fields["errors"])

    def closed(self, entry: dict[str, Any]) -> None:
        """The operation ended: forget it, and say how many results it had and how long it ran."""
        self.ops.pop(self.key, None)
        self.fields["results"] = entry["results"]
        self.fields["elapsed_ms"] = round((self.context.t - entry["t"]) * 1000, 3)
        self.head += f" after {entry['results']} result(s), {self.fields['elapsed_ms']:g} ms"

    def payload_keys(self) -> None:
        """Only the keys of a connection payload: it often carries a token."""
        if isinstance(self.body, dict):
            self.fields["payload_keys"] = sorted(str(k) for k in self.body)[:50]
            if self.fields["payload_keys"]:
                self.detail.append("payload keys: " + ", ".join(self.fields["payload_keys"]))

    def view_result(self, head_style: str = "bold") -> ViewResult:
        if self.complaints:
            self.fields["complaints"] = self.complaints
        lines: list[Line] = [(self.head, head_style)]
        lines += [(d, "") for d in self.detail]
        lines += [(c, "yellow") for c in self.complaints]
        return ViewResult(self.view, tuple(lines), fields=self.fields)


class SubprotocolOnlyView:
    """The priority of both GraphQL views: only the negotiated subprotocol (or --view) picks them. Servers of
    both protocols insist on theirs, and {"type": "ping"}-shaped JSON is far too common elsewhere to claim by
    shape."""

    subprotocols: tuple[str, ...] = ()

    def render_priority(self, payload: Payload, context: ViewContext) -> float:
        if not subprotocol_is(context, self.subprotocols):
            return 0.0
        return BY_SUBPROTOCOL if isinstance(parse_json(payload), dict) else 0.0


class GraphqlTransportWsView(SubprotocolOnlyView):
    """graphql-transport-ws messages, with operation ids matched to their subscribe."""

    name = "graphql-transport-ws"
    summary = "GraphQL over WebSocket (graphql-ws library): subscribe/next/error/complete matched by id, timed"
    subprotocols: tuple[str, ...] = ("graphql-transport-ws",)

    def decode(self, payload: Payload, context: ViewContext) -> ViewResult:
        m = GraphqlMessage(self.name, payload, context)
        kind = m.kind
        if kind not in TYPES:
            m.complaints.append(f"unknown message type {compact(kind)} (graphql-transport-ws has {', '.join(TYPES)})")
        elif kind in ("subscribe", "next", "error", "complete") and not isinstance(m.op_id, str):
            m.complaints.append(f"a {kind} message needs a string id")
        if kind == "subscribe":
            m.opened("subscribe", "is already in use (the server closes with 4409)")
        elif kind in ("next", "error", "complete"):
            entry = m.ops.get(m.key)
            if entry is None:
                if kind != "complete" or context.dir not in ("send", "c2s"):
                    m.complaints.append(f"{kind} for id {m.fields.get('id')}, which no subscribe opened")
            else:
                m.fields["operation"] = entry["label"]
            if kind == "next":
                m.result(entry)
            elif kind == "error":
                m.errors(m.body)
                m.head = f"error {m.fields.get('id')}" + (f" in {entry['label']}" if entry else "")
            else:
                m.head = f"complete {m.fields.get('id')}" + (f" {entry['label']}" if entry else "")
            if kind != "next" and entry is not None:
                m.closed(entry)
        elif kind in ("connection_init", "connection_ack", "ping", "pong"):
            m.payload_keys()
            if kind == "connection_ack":
                m.fields["open_operations"] = len(m.ops)
        return m.view_result()


VIEW = GraphqlTransportWsView()
