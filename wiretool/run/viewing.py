"""The payload views of a run: each message's payload through its connection's view, before it is shown.

:class:`Viewing` sits between a session and the run's sink (``run(..., viewing=...)``): a ws data message
(a ``message`` record, or a ``frame`` that is a whole message by itself) or an SSE ``event`` whose payload a
view decodes is wrapped in :class:`~wiretool.records.viewed.Viewed`; everything else passes as it is. It
learns the negotiated subprotocol from the handshake. One :class:`~wiretool.views.picker.ConnectionViews`
per connection (``conn``), so each keeps its own state. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wiretool.records import Record
from wiretool.records.sse import SseEvent
from wiretool.records.viewed import Viewed
from wiretool.records.ws import WsFrame, WsMessage
from wiretool.records.ws_session import WsHandshake
from wiretool.views.base import View
from wiretool.views.picker import ConnectionViews, Decoded

MAX_CONNECTIONS = 4096
"""Connections whose view state is kept at once (a capture of many): the oldest is forgotten past that."""


class Viewing:
    """Wrap the records whose payload a view decodes; ``forced`` is ``--view NAME`` (never raw: that is off)."""

    def __init__(self, *, proto: str = "ws", url: str = "", forced: View | None = None, pretty: bool = True) -> None:
        self.proto = proto
        self.url = url
        self.forced = forced
        self.pretty = pretty
        """A terminal view (False under ``--json``: views that only pretty-print are skipped)."""
        self._conns: dict[int, ConnectionViews] = {}
        self._last: dict[Any, tuple[bytes, Decoded | None]] = {}
        """Per (conn, dir): the payload of the last single-frame message viewed, so its ``message`` record
        (shown beside the frames by ``replay``) reuses the decode instead of feeding the view twice."""

    def connection(self, conn: int = 0) -> ConnectionViews:
        views = self._conns.get(conn)
        if views is None:
            if len(self._conns) >= MAX_CONNECTIONS:
                oldest = next(iter(self._conns))
                del self._conns[oldest]
                for key in [k for k in self._last if k[0] == oldest]:
                    del self._last[key]
            views = self._conns[conn] = ConnectionViews(proto=self.proto, url=self.url, forced=self.forced,
                                                        pretty=self.pretty)
        return views

    def __call__(self, record: Record, conn: int | None = None) -> Record:
        """``record`` through its connection's views; ``conn`` names the connection when the record does not
        carry one itself (a capture's records come as ``(conn, record)`` pairs)."""
        if conn is None:
            conn = getattr(record, "conn", 0)
        kind = type(record)
        if kind is WsFrame:
            return self._frame(record, conn)  # type: ignore[arg-type]
        if kind is WsMessage:
            return self._message(record, conn)  # type: ignore[arg-type]
        if kind is SseEvent:
            decoded = self.connection(conn).view(record.data, dir="recv", t=record.t)  # type: ignore[attr-defined]
            return record if decoded is None else Viewed(t=record.t, record=record, view=decoded)
        if kind is WsHandshake and record.status is not None:  # type: ignore[attr-defined]
            self.connection(conn).set_subprotocol(record.subprotocol)  # type: ignore[attr-defined]
        return record

    def many(self, records: Sequence[Record]) -> Sequence[Record]:
        """The records of one read, each through :meth:`__call__` (the same list when none was wrapped)."""
        if len(self._conns) == 1 and self._conns.get(0) is not None and self._conns[0].idle:
            return records  # one connection no view applies to any more: the flood's fast path
        out = None
        for i, record in enumerate(records):
            viewed = self(record)
            if viewed is not record:
                if out is None:
                    out = list(records)
                out[i] = viewed
        return records if out is None else out

    def _frame(self, frame: WsFrame, conn: int) -> Record:
        head = frame.head
        op = head[0] & 0x0F
        if (op != 1 and op != 2) or not head[0] & 0x80 or head[0] & 0x40 or frame.violations or frame.missing:
            return frame
        return self._view(frame, op, frame.payload, frame.dir, conn, single=True)

    def _message(self, message: WsMessage, conn: int) -> Record:
        op = message.opcode
        if (op != 1 and op != 2) or not message.complete or (message.compressed and not message.inflated):
            return message
        if message.frames == 1:
            last = self._last.pop((conn, message.dir), None)
            if last is not None and last[0] == message.payload:
                return message if last[1] is None else Viewed(t=message.t, record=message, view=last[1])
        return self._view(message, op, message.payload, message.dir, conn, single=False)

    def _view(self, record: Record, op: int, payload: bytes, dir: str | None, conn: int, *, single: bool) -> Record:
        views = self.connection(conn)
        if views.idle:
            return record
        data: bytes | str = payload
        if op == 1:
            try:
                data = payload.decode("utf-8")
            except UnicodeDecodeError:  # the codec flags it; no view of broken text
                return record
        decoded = views.view(data, dir=dir or "", t=record.t)
        if single:
            self._last[(conn, dir)] = (payload, decoded)
        return record if decoded is None else Viewed(t=record.t, record=record, view=decoded)
