"""``ws connect --graphql-subscribe QUERY``: the GraphQL over WebSocket client steps, so one command subscribes.

A graphql-transport-ws server (the ``graphql-ws`` library) wants ``connection_init`` first and closes with
4401 on a ``subscribe`` sent before its ``connection_ack``; it may ``ping`` and wants a ``pong``. The
legacy ``graphql-ws`` protocol (subscriptions-transport-ws) has ``start`` instead of ``subscribe``. So
:class:`GraphqlScript`, a sink in front of the run's, sends ``connection_init`` once the handshake is
over, waits for the ack, then sends each operation with ids 1, 2, ... (``start`` when the server chose
``graphql-ws``), answers pings, and closes the connection (1000) when every operation has completed: exit
0, or 7 when ``--expect``/``--count`` are not met by then; an operation that ends with an error ends the
run with exit 7 and its message. Everything still reaches the run's sink, in order.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wiretool.exitcodes import ExitCode
from wiretool.records import Note, Record
from wiretool.records.ws import WsFrame, WsMessage
from wiretool.session import RECV, Outcome, Sink, WatchingSink

SUBPROTOCOLS = ("graphql-ws", "graphql-transport-ws")
"""Offered, in this order, when ``--graphql-subscribe`` is given without ``-s``. The legacy one first: its
servers (subscriptions-transport-ws on ``ws``) take the first offered and close 1002 on any other, while
the ``graphql-ws`` library picks ``graphql-transport-ws`` wherever it stands in the list."""


@dataclass(frozen=True)
class GraphqlPlan:
    """What ``--graphql-subscribe`` (and ``--graphql-init``) asked: the operations and the init payload."""

    operations: list[dict[str, Any]] = field(default_factory=list)
    init_payload: dict[str, Any] | None = None


def parse_operation(text: str) -> dict[str, Any]:
    """A ``--graphql-subscribe`` value as a subscribe payload: a query document, or a JSON object with
    ``query`` (and ``variables``, ``operationName``). ValueError, a usage error, when it is neither."""
    stripped = text.strip()
    if not stripped:
        raise ValueError("--graphql-subscribe: the query is empty")
    if stripped.startswith("{") and '"query"' in stripped:
        try:
            value = json.loads(stripped)
        except ValueError:
            value = None
        if isinstance(value, dict):
            if not isinstance(value.get("query"), str):
                raise ValueError("--graphql-subscribe: the JSON form needs a string \"query\"")
            return value
    return {"query": text}


def parse_init(text: str | None) -> dict[str, Any] | None:
    """``--graphql-init JSON``: the connection_init payload, a JSON object; ValueError when it is not one."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"--graphql-init: {text!r} is not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise ValueError("--graphql-init: the connection_init payload is a JSON object")
    return value


class GraphqlScript(WatchingSink):
    """A sink in front of the run's: connection_init, then the operations once acknowledged; pongs."""

    def __init__(self, sink: Sink, plan: GraphqlPlan) -> None:
        super().__init__(sink)
        self.plan = plan
        self.send: Callable[[str], None] | None = None
        """Sends a text message on the connection (set once the handshake is over)."""
        self.close: Callable[[], None] | None = None
        """Closes the connection normally (set with :attr:`send`)."""
        self.awaiting: Callable[[], str | None] | None = None
        self.legacy = False
        """The server chose the legacy ``graphql-ws`` subprotocol: ``start``/``stop``, no ping."""
        self.acked = False
        self.open: dict[str, str] = {}
        """Operation ids sent and not ended yet -> how they ended ("" while running)."""
        self.failed: list[str] = []

    # -- the script ------------------------------------------------------------------------------
    def start(self, send: Callable[[str], None], close: Callable[[], None], subprotocol: str | None, *,
              awaiting: Callable[[], str | None] | None = None) -> None:
        """The handshake is over: say hello (``connection_init``) in the protocol the server chose.
        ``awaiting`` tells what the run's ``--expect``/``--count`` still wait for when every operation is over."""
        self.send, self.close, self.awaiting = send, close, awaiting
        self.legacy = (subprotocol or "").lower() == "graphql-ws"
        init: dict[str, Any] = {"type": "connection_init"}
        if self.plan.init_payload is not None:
            init["payload"] = self.plan.init_payload
        try:
            send(_dump(init))
        except ConnectionError:
            pass  # closed already: its close decides the outcome

    def watch(self, record: Record) -> None:
        kind = type(record)
        if kind is WsFrame:
            if record.dir != RECV or record.head[:1] != b"\x81":  # type: ignore[attr-defined]  # FIN + TEXT only
                return
        elif kind is WsMessage:
            if record.dir != RECV or record.opcode != 1:  # type: ignore[attr-defined]
                return
        else:
            return
        payload = record.payload  # type: ignore[attr-defined]
        if payload[:1] != b"{" or len(payload) > 1_000_000:
            return
        try:
            value = json.loads(payload)
        except ValueError:
            return
        if isinstance(value, dict):
            self.on_message(value)

    def on_message(self, value: dict[str, Any]) -> None:
        """One JSON message from the server: the step it calls for, if any (none once the connection is
        closing: its close decides the outcome)."""
        try:
            self._step(value)
        except ConnectionError:
            pass

    def _step(self, value: dict[str, Any]) -> None:
        send, kind = self.send, value.get("type")
        if send is None:
            return
        if kind == "ping" and not self.legacy:
            send(_dump({"type": "pong"}))
        elif kind == "connection_ack" and not self.acked:
            self.acked = True
            for n, operation in enumerate(self.plan.operations, 1):
                self.open[str(n)] = ""
                send(_dump({"id": str(n), "type": "start" if self.legacy else "subscribe", "payload": operation}))
        elif kind == "connection_error":
            self._note("--graphql-subscribe: the server refused connection_init (connection_error)")
        elif kind in ("complete", "error") and value.get("id") in self.open:
            ident = value["id"]
            del self.open[ident]
            if kind == "error":
                self.failed.append(f"operation {ident} ended with an error: {_first_error(value.get('payload'))}")
            if self.failed:
                self.sink.finish(Outcome(ExitCode.EXPECTATION, self.failed[0]))
            elif not self.open and self.close is not None:
                pending = self.awaiting() if self.awaiting is not None else None
                if pending:
                    self.sink.finish(Outcome(ExitCode.EXPECTATION, f"every GraphQL operation ended first: {pending}"))
                self.close()

    def _note(self, text: str) -> None:
        self.sink.emit(Note(t=self.sink.now(), proto_name="ws", level="warn", text=text))


def _first_error(payload: Any) -> str:
    """The first GraphQL error's message, cut short (the view shows them all)."""
    first = payload[0] if isinstance(payload, list) and payload else payload
    message = first.get("message") if isinstance(first, dict) else first
    text = message if isinstance(message, str) else json.dumps(message)
    return text if len(text) <= 200 else text[:200] + "..."


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
