"""Fast NDJSON lines for Server-Sent Events records.

``sse tail --json`` writes one line per event, at 100,000 events a second and more: the generic
``json.dumps(record.to_json())`` would be most of the cost. :meth:`SseEvent.ndjson` builds the same line
byte for byte (tests/codec/test_sse_records.py checks it); :class:`~wiretool.output.sink.Output` uses
:data:`WRITERS` for every ``--json`` run, so no command writes these lines itself.
"""

from __future__ import annotations

from typing import Any

from wiretool.records.sse import SseEvent

WRITERS: dict[type, Any] = {SseEvent: SseEvent.ndjson}
