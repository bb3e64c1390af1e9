"""``ws connect --socketio-emit EVENT JSON``: the Engine.IO v4 / Socket.IO v5 client steps, so one command emits.

A Socket.IO server wants, after the WebSocket handshake: its Engine.IO ``open`` packet (``0{...}``) read,
a Socket.IO CONNECT (``40`` or ``40/ns,``) answered by its own CONNECT (``40{"sid":...}``), and every
Engine.IO ``ping`` (``2``) answered with a ``pong`` (``3``) within its ``pingTimeout``. Then the event goes
out as ``42[/ns,]<id>["EVENT", ...args]`` with an ack id, so the server's ACK shows matched to it.
:class:`SocketIOScript` watches the records the connection emits (it is a sink in front of the run's sink)
and sends those answers; everything still reaches the run's sink, in order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from wiretool.records import Note, Record
from wiretool.records.ws import WsFrame, WsMessage
from wiretool.session import RECV, Sink, WatchingSink

ACK_ID = 1
"""The ack id the emitted event carries (the first one; one event per run)."""


@dataclass(frozen=True)
class Emit:
    """One ``--socketio-emit``: the event name, its arguments (a JSON array, or one JSON value), the namespace."""

    event: str
    args: list[Any]
    namespace: str = "/"

    def packet(self) -> str:
        prefix = "" if self.namespace == "/" else f"{self.namespace},"
        data = json.dumps([self.event, *self.args], ensure_ascii=False, separators=(",", ":"))
        return f"42{prefix}{ACK_ID}{data}"

    def connect_packet(self) -> str:
        return "40" if self.namespace == "/" else f"40{self.namespace},"


def parse_emit(event: str, data: str, namespace: str = "/") -> Emit:
    """``--socketio-emit EVENT JSON`` into an :class:`Emit`; ValueError (a usage error) when JSON is not JSON."""
    try:
        value = json.loads(data)
    except ValueError as exc:
        raise ValueError(f"--socketio-emit {event!r}: {data!r} is not JSON ({exc})") from None
    if not namespace.startswith("/"):
        raise ValueError(f"--socketio-namespace {namespace!r}: a namespace starts with /")
    return Emit(event, value if isinstance(value, list) else [value], namespace)


class SocketIOScript(WatchingSink):
    """A sink in front of the run's: answers Engine.IO pings, connects the namespace, emits the events."""

    def __init__(self, sink: Sink, emits: Sequence[Emit]) -> None:
        super().__init__(sink)
        self.emits = list(emits)
        self.send: Callable[[str], None] | None = None
        """Sends a text message on the connection (set once the handshake is over)."""
        self.opened = False
        self.connected = False

    # -- the script ------------------------------------------------------------------------------
    def watch(self, record: Record) -> None:
        kind = type(record)
        if kind is WsFrame:
            head = record.head  # type: ignore[attr-defined]
            if record.dir != RECV or head[0] != 0x81:  # type: ignore[attr-defined]  # FIN + TEXT only
                return
        elif kind is WsMessage:
            if record.dir != RECV or record.opcode != 1:  # type: ignore[attr-defined]
                return
        else:
            return
        try:
            text = record.payload.decode("utf-8")  # type: ignore[attr-defined]
        except UnicodeDecodeError:
            return
        self.on_text(text)

    def on_text(self, text: str) -> None:
        """One text message from the server: the Engine.IO/Socket.IO step it calls for, if any."""
        send = self.send
        if send is None:
            return
        if text == "2":
            send("3")
        elif text.startswith("0{") and not self.opened:
            self.opened = True
            send(self.emits[0].connect_packet() if self.emits else "40")
        elif text.startswith("40") and not self.connected:
            self.connected = True
            for emit in self.emits:
                send(emit.packet())
        elif text.startswith("44") and not self.connected:
            self.sink.emit(Note(t=self.sink.now(), proto_name="ws", level="warn",
                                text="--socketio-emit: the server refused the Socket.IO CONNECT; nothing emitted"))
