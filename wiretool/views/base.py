"""What a payload view is: a name, a priority for automatic choice, and a decode into styled lines.

In the style of mitmproxy's contentviews: a view is one small object in its own file, picked by
:func:`wiretool.views.pick` from the ordered list in ``views/__init__.py``. A view returns plain text lines;
the registry escapes them once (``safe_text``) on the way out, so no view has to remember to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from wiretool.records.grpc import ProtoField

Payload = bytes | str
"""A payload as its record holds it: bytes off the wire, or text already decoded (SSE ``data``)."""

Line = tuple[str, str]
"""One line of a view: (text, rich style name or "")."""


@dataclass(frozen=True)
class ViewContext:
    """What a view may know besides the payload: whose it is and what the codec already decoded."""

    proto: str = ""
    fields: tuple[ProtoField, ...] | None = None
    """The schema-less protobuf fields the codec decoded (gRPC messages), if any."""
    max_lines: int | None = None
    """Stop producing lines past this many (the caller caps and counts what is left)."""
    dir: str = ""
    """Whose payload this is, as the record says it: ``send``/``recv`` (client), ``c2s``/``s2c`` (proxy)."""
    t: float = 0.0
    """When the payload arrived (the record's ``t``), for views that time things (ping intervals, RTTs)."""
    url: str = ""
    """The connection's URL (Engine.IO is recognised by ``/socket.io/?EIO=4``)."""
    subprotocol: str | None = None
    """The negotiated ``Sec-WebSocket-Protocol``, the strongest hint for picking a subprotocol view."""
    state: dict[str, Any] = field(default_factory=dict)
    """Per-connection scratch that one view keeps between messages (ids to match, a packet split across
    frames). The caller gives each connection one context and each view its own key in it; a view keeps
    what it stores bounded (a few thousand entries at most), whatever the peer sends."""


@dataclass(frozen=True)
class ViewResult:
    """A view's output: its lines, which view made them, and the error of a view that failed."""

    view: str
    lines: tuple[Line, ...]
    error: str | None = None
    fields: dict[str, Any] | None = None
    """The decoded tree (type, ids, event, arguments, topic...), JSON-able: the NDJSON ``view`` object is
    ``{"name": view, "fields": fields}``. ``None`` for views that only pretty-print (raw, JSON)."""

    @property
    def text(self) -> str:
        """The lines joined by newlines, styles dropped."""
        return "\n".join(line for line, _ in self.lines)


class View(Protocol):
    """A payload view (one small file each under ``wiretool/views/``).

    Optional attributes, read with ``getattr``: ``summary`` (one line for ``wiretool views``; the class
    docstring's first line otherwise), ``sticky`` (once picked for a connection, the view decodes all of its
    messages; default: true when ``subprotocols`` is not empty), ``pretty_only`` (it never gives ``fields``,
    so ``--json`` runs skip it) and ``samples`` (a few valid payloads in a
    plausible order, which tests/views/test_views_fuzz.py mutates; without them the view is fuzzed with
    every other view's samples).
    """

    name: str
    subprotocols: tuple[str, ...]
    """``Sec-WebSocket-Protocol`` values this view decodes (empty for payload-shape views): a negotiated
    one picks the view for the whole connection."""

    def render_priority(self, payload: Payload, context: ViewContext) -> float:
        """How well this view fits (0 = not at all); cheap, and the highest wins."""
        ...

    def decode(self, payload: Payload, context: ViewContext) -> ViewResult:
        """The payload as lines of plain (unescaped) text and its ``fields``. A payload the view cannot read
        raises ValueError with the complaint (shown above the raw payload, and as ``view.error``); anything
        else raised is a bug in the view, shown the same way: the registry falls back to raw either way."""
        ...
