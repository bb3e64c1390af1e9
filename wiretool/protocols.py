"""The protocol registry: one entry per protocol, naming every part the rest of wiretool looks up by protocol.

Adding a protocol is one :class:`Protocol` entry here plus its own modules; nothing else should dispatch on a
protocol name. Every part is a lazy ``"module"`` or ``"module:attr"`` string, so importing this module (and
``wiretool --help``) imports none of them: :func:`load` resolves one the first time it is needed, and lets
an import error inside that module propagate, so a broken part is a bug that shows, never a silent fallback.

A part a protocol does not have is ``None``, on purpose and with the reason next to it; a test asserts every
entry names every part (or ``None``) and that every string resolves to an existing attribute.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple


class Protocol(NamedTuple):
    """Where each part of one protocol lives (``"module:attr"`` for an object, ``"module"`` for a module).

    A NamedTuple, not a dataclass: every command imports this module, and a dataclass costs each start-up
    about 1.3 ms to create (a NamedTuple 0.1 ms)."""

    name: str
    """The ``proto`` of its records and captures."""
    codec: str
    """The pure parser class that turns bytes into records."""
    records: str
    """The module holding its record types."""
    renderer: str
    """The pretty view: ``render(record, out)`` in ``output/view_<proto>.py``."""
    ndjson_writers: str | None
    """A ``{record type: line writer}`` dict of fast NDJSON writers, or None (``to_json()`` is used)."""
    capture_decoder: str | None
    """The function that re-decodes a capture's bytes into records."""
    redactor: str | None
    """The capture redactor class (secret headers scrubbed from stored bytes)."""
    replayer: str | None
    """The ``replay`` module whose ``session(cap, opts, ...)`` re-runs a capture against a server (a session the
    one run layer runs)."""
    demo: str | None
    """The ``wiretool demo`` part (a module with ``TITLE`` and ``run``)."""


PROTOCOLS: dict[str, Protocol] = {p.name: p for p in (
    Protocol(
        name="ws",
        codec="wiretool.codec.wsframe:WsFrameParser",
        records="wiretool.records.ws",
        renderer="wiretool.output.view_ws:render",
        ndjson_writers=None,  # none: msgspec encodes WsFrame/WsMessage.to_json() (docs/design.md)
        capture_decoder="wiretool.capture.decode_ws:decode_ws",
        redactor="wiretool.capture.redact:Http1Redactor",  # the upgrade request/response head is HTTP/1.1
        replayer="wiretool.replay.ws_run",
        demo="wiretool.demo.ws",
    ),
    Protocol(
        name="sse",
        codec="wiretool.codec.sse:SseCodec",
        records="wiretool.records.sse",
        renderer="wiretool.output.view_sse:render",
        ndjson_writers=None,  # none: SseEvent.to_json()
        capture_decoder="wiretool.capture.decode_sse:decode_sse",
        redactor="wiretool.capture.redact:Http1Redactor",
        replayer="wiretool.replay.sse",
        demo="wiretool.demo.sse",
    ),
    Protocol(
        name="h2",
        codec="wiretool.codec.h2frame:H2FrameView",
        records="wiretool.records.h2",
        renderer="wiretool.output.view_h2:render",
        ndjson_writers=None,  # none: h2 frames go through H2Frame.to_json()
        capture_decoder="wiretool.capture.decode_h2:decode_h2",
        redactor="wiretool.capture.redact:H2Redactor",
        replayer="wiretool.replay.h2",
        demo="wiretool.demo.h2",
    ),
    Protocol(
        name="grpc",
        codec="wiretool.codec.grpc:GrpcMessageAssembler",
        records="wiretool.records.grpc",
        renderer="wiretool.output.view_grpc:render",
        ndjson_writers=None,  # none: GrpcMessage.to_json()
        # a gRPC call is captured as an h2 capture (proto "h2"), so it decodes and replays as h2
        capture_decoder="wiretool.capture.decode_h2:decode_h2",
        redactor="wiretool.capture.redact:H2Redactor",
        replayer=None,  # no gRPC-specific replay: its capture is an h2 capture, replayed by replay.h2
        demo="wiretool.demo.grpc",
    ),
)}
"""Every protocol wiretool speaks, by ``proto`` name."""

COMMON_RENDERER = "wiretool.output.view_common:render"
"""The view of records no protocol owns (notes, errors, summaries, listening) and of unknown protocols."""

PARTS: tuple[str, ...] = tuple(name for name in Protocol._fields if name != "name")
"""The names of the parts every entry must state."""


def get(proto: str) -> Protocol | None:
    """The entry of ``proto``, or None for a record that belongs to no protocol (``""``, ``http``)."""
    return PROTOCOLS.get(proto)


def load(path: str) -> Any:
    """Import ``"module"`` or ``"module:attr"`` and return it; ImportError/AttributeError propagate (a bug)."""
    module_name, _, attr = path.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr) if attr else module


def part(proto: str, name: str) -> Any:
    """The loaded part ``name`` of ``proto``, or None when the protocol is unknown or has no such part."""
    entry = PROTOCOLS.get(proto)
    path = getattr(entry, name) if entry is not None else None
    return None if path is None else load(path)
