"""Payload views: how a payload is decoded and shown (Socket.IO, SignalR, JSON, schema-less protobuf, raw...).

One ordered registration list, :data:`VIEWS`; :func:`pick` takes the view with the highest
``render_priority`` (the first listed wins a tie) and :func:`render` runs it. A view that raises,
in its priority or its decode, never breaks the tool: the payload is shown by the raw view with the
error on top. Every line leaves here escaped with ``safe_text``, once, whatever view made it.
Per connection, :class:`~wiretool.views.picker.ConnectionViews` picks one view from the negotiated
subprotocol, the URL and the first packets (or ``--view NAME``) and keeps its state.

Adding a view is one small file with ``VIEW = ...`` and one line in :data:`VIEWS`.
"""

from __future__ import annotations

from wiretool.output.sanitize import safe_text
from wiretool.views import (
    engineio,
    graphql_transport_ws,
    graphql_ws,
    json,
    jsonrpc,
    mqtt,
    protobuf,
    raw,
    signalr,
    socketio,
    stomp,
)
from wiretool.views.base import Line, Payload, View, ViewContext, ViewResult

__all__ = ["VIEWS", "Line", "Payload", "View", "ViewContext", "ViewResult", "by_name", "for_subprotocol", "pick",
           "render"]

RAW: View = raw.VIEW

VIEWS: list[View] = [
    socketio.VIEW,
    engineio.VIEW,
    signalr.VIEW,
    graphql_transport_ws.VIEW,
    graphql_ws.VIEW,
    jsonrpc.VIEW,
    mqtt.VIEW,
    stomp.VIEW,
    json.VIEW,
    protobuf.VIEW,
    RAW,
]
"""Every payload view, in order of preference on equal priority."""

ERROR_STYLE = "yellow"


def by_name(name: str) -> View | None:
    """The registered view called ``name`` (``--view NAME``), or None."""
    for view in (*VIEWS, RAW):
        if view.name == name:
            return view
    return None


def for_subprotocol(subprotocol: str | None) -> View | None:
    """The view that decodes a negotiated ``Sec-WebSocket-Protocol`` value (case-insensitive), or None."""
    if not subprotocol:
        return None
    wanted = subprotocol.lower()
    for view in VIEWS:
        if any(wanted == p.lower() for p in getattr(view, "subprotocols", ())):
            return view
    return None


def is_sticky(view: View) -> bool:
    """Whether a view, once picked for a connection, decodes all its messages: subprotocol views are
    (a ``sticky`` attribute says so for those with no subprotocol name, like Socket.IO); payload-shape
    views (JSON, raw) are picked again for every message."""
    return bool(getattr(view, "sticky", bool(getattr(view, "subprotocols", ()))))


def is_pretty_only(view: View) -> bool:
    """Whether a view only pretty-prints (no ``fields``: JSON, raw), so an NDJSON run has no use for it."""
    return bool(getattr(view, "pretty_only", False))


def pick(payload: Payload, context: ViewContext | None = None, among: list[View] | None = None) -> View:
    """The view that fits ``payload`` best (of ``among``, default all); a view whose priority raises is passed over."""
    context = context or ViewContext()
    best, best_priority = RAW, RAW.render_priority(payload, context)
    for view in VIEWS if among is None else among:
        try:
            priority = view.render_priority(payload, context)
        except Exception:  # a broken view must not break the tool: it is just not chosen
            continue
        if priority > best_priority:
            best, best_priority = view, priority
    return best


def render(payload: Payload, context: ViewContext | None = None, *, view: View | None = None) -> ViewResult:
    """``payload`` through ``view`` (default: :func:`pick`), lines escaped; raw plus the error if it raises."""
    context = context or ViewContext()
    chosen = view or pick(payload, context)
    try:
        result = chosen.decode(payload, context)
    except ValueError as exc:  # the view's complaint about a payload it cannot read (its documented way)
        error = f"{chosen.name}: {exc}"
        fallback = RAW.decode(payload, context)
        result = ViewResult(RAW.name, ((error, ERROR_STYLE), *fallback.lines), error=error)
    except Exception as exc:  # any bug or hostile input in a view: show the payload raw, and why
        error = f"{chosen.name} view failed: {type(exc).__name__}: {exc}"
        fallback = RAW.decode(payload, context)
        result = ViewResult(RAW.name, ((error, ERROR_STYLE), *fallback.lines), error=error)
    return ViewResult(result.view, _escaped(result.lines), result.error, result.fields)


def _escaped(lines: tuple[Line, ...]) -> tuple[Line, ...]:
    out: list[Line] = []
    for text, style in lines:
        for part in safe_text(text, keep_newlines=True).split("\n"):
            out.append((part, style))
    return tuple(out)
