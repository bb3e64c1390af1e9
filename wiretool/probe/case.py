"""What a conformance case is and how its verdict is reached, for every ``wiretool probe`` family.

The verdict words are Autobahn's and h2spec's, so a wiretool report reads like the reports people already
compare servers with: OK, NON-STRICT (allowed, but not what the spec prefers), FAILED, INFORMATIONAL (no
rule to break; what happened is reported), UNIMPLEMENTED (the server does not offer the feature the case
needs, e.g. permessage-deflate).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

OK = "OK"
NON_STRICT = "NON-STRICT"
FAILED = "FAILED"
INFORMATIONAL = "INFORMATIONAL"
UNIMPLEMENTED = "UNIMPLEMENTED"
VERDICTS = (OK, NON_STRICT, FAILED, INFORMATIONAL, UNIMPLEMENTED)
"""Every verdict, in the order the summary counts them."""


@dataclass
class CaseResult:
    """One case as it ran: the verdict, why, and what was observed (both ways), for every output."""

    id: str
    family: str
    description: str
    expectation: str
    rfc: str
    verdict: str
    reason: str
    observed: dict[str, Any] = field(default_factory=dict)
    duration: float = 0.0
    wire: list[dict[str, Any]] = field(default_factory=list)
    """The frames both ways, as records (only kept with ``--capture-cases``)."""

    def failed(self, strict: bool = False) -> bool:
        """Whether this case makes the run fail: FAILED always, NON-STRICT too under ``--strict``."""
        return self.verdict == FAILED or (strict and self.verdict == NON_STRICT)

    def to_json(self, t: float = 0.0) -> dict[str, Any]:
        """The ``case`` NDJSON record (docs/probe.md); ``t`` is when the case ended, in run time."""
        record: dict[str, Any] = {
            "proto": "probe", "type": "case", "t": t, "id": self.id, "family": self.family, "verdict": self.verdict,
            "reason": self.reason, "description": self.description, "expectation": self.expectation,
            "rfc": self.rfc, "duration_ms": round(self.duration * 1000, 1), "observed": self.observed,
        }
        if self.wire:
            record["wire"] = self.wire
        return record


def case_key(case_id: str) -> tuple[int, ...]:
    """``"6.4.10"`` as ``(6, 4, 10)``: cases sort as their numbers, not as strings."""
    return tuple(int(part) if part.isdigit() else 0 for part in case_id.split("."))


GROUP_ORDER = {"generic": 0, "http2": 1, "hpack": 2, "sse": 3}


def sort_key(case_id: str) -> tuple[int, tuple[int, ...], tuple[int, ...]]:
    """The report order: ws ids by number (``6.4.10`` after ``6.4.9``), h2 ids by group, section, index."""
    if "/" not in case_id:
        return (-1, case_key(case_id), ())
    group, _, rest = case_id.partition("/")
    section, _, index = rest.rpartition("/")
    return (GROUP_ORDER.get(group, 9), case_key(section.replace("9113-", "")), case_key(index))


def matches(case_id: str, patterns: list[str]) -> bool:
    """``--cases '5.*,6.4.*'``: a pattern is a case id, or a prefix ending in ``*`` (``6.*`` is 6.x.y...)."""
    for pattern in patterns:
        pattern = pattern.strip()
        if not pattern:
            continue
        if pattern in ("*", "all"):
            return True
        if pattern.endswith("*"):
            prefix = pattern[:-1]
            if case_id.startswith(prefix) or case_id == prefix.rstrip("."):
                return True
        elif case_id == pattern:
            return True
    return False

COLOURS_RICH = {OK: "green", NON_STRICT: "yellow", FAILED: "bold red", INFORMATIONAL: "cyan", UNIMPLEMENTED: "dim"}
"""The terminal colour of each verdict."""
