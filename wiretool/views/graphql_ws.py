"""The legacy ``graphql-ws`` view: Apollo's subscriptions-transport-ws protocol (subprotocol ``graphql-ws``).

Not the ``graphql-ws`` npm library (that one speaks ``graphql-transport-ws``, the other view): this is the
older protocol many servers still run, with ``start``/``data``/``stop`` for operations, ``ka`` keep-alives
and ``connection_terminate``. Operation ids are matched to their ``start`` as in the newer view.
Protocol: github.com/apollographql/subscriptions-transport-ws PROTOCOL.md.
"""

from __future__ import annotations

from wiretool.views.base import Payload, ViewContext, ViewResult
from wiretool.views.graphql_transport_ws import GraphqlMessage, SubprotocolOnlyView
from wiretool.views.subproto import (
    compact,
)

TYPES = ("connection_init", "connection_ack", "connection_error", "ka", "start", "data", "error", "complete",
         "stop", "connection_terminate")
_OPERATION_TYPES = ("start", "data", "error", "complete", "stop")


class GraphqlWsView(SubprotocolOnlyView):
    """subscriptions-transport-ws messages, with operation ids matched to their start."""

    name = "graphql-ws"
    summary = "legacy subscriptions-transport-ws: start/data/stop matched by id, ka keep-alives"
    subprotocols: tuple[str, ...] = ("graphql-ws",)

    def decode(self, payload: Payload, context: ViewContext) -> ViewResult:
        m = GraphqlMessage(self.name, payload, context)
        kind = m.kind
        if kind not in TYPES:
            m.complaints.append(f"unknown message type {compact(kind)} (graphql-ws has {', '.join(TYPES)})")
        elif kind in _OPERATION_TYPES and m.op_id is None:
            m.complaints.append(f"a {kind} message needs an id")
        if kind == "start":
            m.opened("start", "is already running")
        elif kind in ("data", "error", "complete", "stop"):
            entry = m.ops.get(m.key)
            if entry is not None:
                m.fields["operation"] = entry["label"]
            elif kind in ("data", "error"):
                m.complaints.append(f"{kind} for id {m.fields.get('id')}, which no start opened")
            if kind == "data":
                m.result(entry)
            else:
                if kind == "error":
                    m.errors(m.body)
                m.head = f"{kind} {m.fields.get('id')}" + (f" {entry['label']}" if entry else "")
                if entry is not None and kind in ("error", "complete"):
                    m.closed(entry)
        elif kind == "connection_error":
            m.errors(m.body)
        elif kind == "connection_init":
            m.payload_keys()
        return m.view_result("dim" if kind == "ka" else "bold")


VIEW = GraphqlWsView()
