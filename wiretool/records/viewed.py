"""A record with its payload view: the ``view`` object of the ``message`` / ``frame`` / ``event`` NDJSON records.

The codec's record is kept as it is (its payload, its fast NDJSON line untouched) and wrapped: ``proto``,
``type`` and ``t`` are the inner record's, and ``to_json()`` is the inner object plus ``"view": {"name",
"fields"}`` (and ``"error"`` when the view complained about the payload). Only records a view decoded are
wrapped, so a plain text flood pays nothing for it.
"""

from __future__ import annotations

from typing import Any

from wiretool.records import Record


class Viewed(Record, frozen=True, kw_only=True):
    """``record`` as the wire gave it, and what its connection's view made of the payload."""

    record: Record
    view: Any
    """A :class:`wiretool.views.picker.Decoded` (records import nothing above records, so not named here):
    its ``name``, ``result`` and ``fields``, ``json()`` for the NDJSON object and ``in_json``."""

    @property  # type: ignore[override]
    def proto(self) -> str:  # type: ignore[override]
        return self.record.proto

    @property  # type: ignore[override]
    def type(self) -> str:  # type: ignore[override]
        return self.record.type

    @property
    def dir(self) -> Any:
        return getattr(self.record, "dir", None)

    def to_json(self) -> dict[str, Any]:
        out = self.record.to_json()
        if self.view.in_json:
            out["view"] = self.view.json()
        return out
