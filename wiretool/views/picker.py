"""One connection's views: which view decodes its messages, and the state that view keeps between them.

A connection gets one :class:`ConnectionViews` and so one :class:`~wiretool.views.base.ViewContext`
whose ``state`` dict lives as long as the connection. The view is chosen, in order:

1. ``--view NAME`` (``forced``): that view for every message (``--view raw`` means no view at all);
2. the negotiated ``Sec-WebSocket-Protocol``: the view that lists it in ``subprotocols``;
3. per message, :func:`wiretool.views.pick` with the URL and the payload in the context: the first
   *sticky* view it picks (Engine.IO from ``/socket.io/?EIO=4`` or its open packet, SignalR from its
   handshake, any subprotocol view) then decodes the rest of the connection. Only the first
   :data:`FIRST_PACKETS` messages may pick a sticky view; after them only payload-shape views (JSON) are
   tried, message by message, and none at all under ``--json`` (``pretty=False``), where pretty-printing
   has no use: a flood of plain messages then costs next to nothing.

Payload-shape views that only pretty-print (JSON) give no ``fields``; :meth:`ConnectionViews.view`
still returns their lines for the terminal.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from wiretool import views
from wiretool.views.base import Payload, View, ViewContext, ViewResult

FIRST_PACKETS = 8
"""Messages of a connection (both ways) that may pick a sticky view by their content."""


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
                 forced: View | None = None, pretty: bool = True) -> None:
        self.context = ViewContext(proto=proto, url=url, subprotocol=subprotocol)
        self.forced = forced
        self.locked: View | None = forced or views.for_subprotocol(subprotocol)
        self.seen = 0
        """Messages viewed so far (the first :data:`FIRST_PACKETS` may pick a sticky view)."""
        self.shapes = [v for v in views.VIEWS if not views.is_sticky(v) and (pretty or not views.is_pretty_only(v))]
        """The views tried after the first packets: payload-shape ones (none that only pretty-print if not pretty)."""

    @property
    def idle(self) -> bool:
        """No view can apply to any further message (past the first packets, nothing sticky, no shape view)."""
        return self.locked is None and self.seen >= FIRST_PACKETS and not self.shapes

    def set_subprotocol(self, subprotocol: str | None) -> None:
        """The handshake's answer: a known subprotocol picks its view (unless ``--view`` forced one)."""
        self.context = dataclasses.replace(self.context, subprotocol=subprotocol)
        if self.forced is None:
            found = views.for_subprotocol(subprotocol)
            if found is not None:
                self.locked = found

    def view(self, payload: Payload, *, dir: str, t: float) -> Decoded | None:
        """The view of one message (None: shown raw, nothing to add). Never raises."""
        chosen = self.locked
        if chosen is None and self.seen >= FIRST_PACKETS and not self.shapes:
            return None
        context = dataclasses.replace(self.context, dir=dir, t=t)  # the state dict is shared, not copied
        if chosen is None:
            if self.seen < FIRST_PACKETS:
                self.seen += 1
                chosen = views.pick(payload, context)
                if views.is_sticky(chosen):
                    self.locked = chosen
            else:
                chosen = views.pick(payload, context, self.shapes)
        if chosen is views.RAW:
            return None
        result = views.render(payload, context, view=chosen)
        return Decoded(chosen.name, result)
