"""The record of ``replay --check``: did the server answer as recorded, and if not, where first not."""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec

from wiretool.records import Record


class ReplayCheck(Record, frozen=True, kw_only=True):
    """``{"type": "check", "ok", "compared", "difference": {index, what, path, recorded, replayed, context}, "diff"}``."""

    type: ClassVar[str] = "check"

    proto_name: str = "ws"
    ok: bool = True
    compared: int = 0
    difference: dict[str, Any] | None = None
    diff: list[str] = msgspec.field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"proto": self.proto_name, "type": "check", "t": self.t, "ok": self.ok, "compared": self.compared,
                "difference": self.difference, "diff": self.diff}
