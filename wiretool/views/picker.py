"""One connection's views: which view decodes its messages, and the state that view keeps between them.

A connection gets one :class:`ConnectionViews` and so one :class:`~wiretool.views.base.ViewContext`
whose ``state`` dict lives as long as the connection. The view is chosen, in order:

1. ``--view NAME`` (``forced``): that view for every message (``--view raw`` means no view at all);
2. the negotiated ``Sec-WebSocket-Protocol``: the view that lists it in ``subprotocols``;
3. per message, :func:`wiretool.views.pick` with the URL and the payload in the context: the first
   *sticky* view it picks (Engine.IO from ``/socket.io/?EIO=4`` or its open packet, SignalR from its
   handshake, any subprotocol view) then decodes the rest of the connection; payload-shape views (JSON)
   are picked again for each message.

Payload-shape views that only pretty-print (JSON) give no ``fields``; :meth:`ConnectionViews.view`
still returns their lines for the terminal.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from wiretool import views
from wiretool.views.base import Payload, View, ViewContext, ViewResult


@dataclasses.dataclass(frozen=True, slots=True)
class Decoded:
    """What a view made of one payload: the view's name, the result, and the document for ``--expect``."""

    name: str
    result: ViewResult

    @property
    def fields(self) -> Any:
        return self.result.fields

    def json(self) -> dict[str, Any]:
        """The NDJSON ``view`` object: ``{"name", "fields"}``, plus ``error`` when the view complained."""
        out: dict[str, Any] = {"name": self.name, "fields": self.result.fields}
        if self.result.error is not None:
            out["error"] = self.result.error
        return out

    @property
    def in_json(self) -> bool:
        """Whether the NDJSON record carries it: a decoded tree or a complaint (pretty-printing alone does not)."""
        return self.result.fields is not None or self.result.error is not None


class ConnectionViews:
    """The views of one connection (``proto`` ws or sse), picked once and kept with their state."""

    def __init__(self, *, proto: str = "ws", url: str = "", subprotocol: str | None = None,
                 forced: View | None = None) -> None:
        self.context = ViewContext(proto=proto, url=url, subprotocol=subprotocol)
        self.forced = forced
        self.locked: View | None = forced or views.for_subprotocol(subprotocol)

    def set_subprotocol(self, subprotocol: str | None) -> None:
        """The handshake's answer: a known subprotocol picks its view (unless ``--view`` forced one)."""
        self.context = dataclasses.replace(self.context, subprotocol=subprotocol)
        if self.forced is None:
            found = views.for_subprotocol(subprotocol)
            if found is not None:
                self.locked = found

    def view(self, payload: Payload, *, dir: str, t: float) -> Decoded | None:
        """The view of one message (None: shown raw, nothing to add). Never raises."""
        context = dataclasses.replace(self.context, dir=dir, t=t)  # the state dict is shared, not copied
        chosen = self.locked
        if chosen is None:
            chosen = views.pick(payload, context)
            if views.is_sticky(chosen):
                self.locked = chosen
        if chosen is views.RAW:
            return None
        result = views.render(payload, context, view=chosen)
        return Decoded(chosen.name, result)
