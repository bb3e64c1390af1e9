"""Run a probe's cases, several at a time, each on its own connection, and report each as it ends.

Any family (ws, h2, sse) hands in a list of cases and a coroutine that plays one; this module only
schedules them (``--concurrency``), keeps their order for the report, and turns a bug in one case into
that case's FAILED verdict with the error named, so one broken case never hides the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from wiretool.probe.case import FAILED, VERDICTS, CaseResult, sort_key

C = TypeVar("C")


async def run_cases(cases: Sequence[C], play: Callable[[C], Awaitable[CaseResult]], *, concurrency: int = 4,
                    on_result: Callable[[CaseResult], None] | None = None,
                    describe: Callable[[C], tuple[str, str, str, str, str]] | None = None) -> list[CaseResult]:
    """Every case's result, in case-id order; ``on_result`` sees each as soon as it is known."""
    gate = asyncio.Semaphore(max(1, concurrency))
    results: list[CaseResult] = []

    async def one(case: C) -> None:
        async with gate:
            try:
                result = await play(case)
            except Exception as exc:  # a bug in a case must not stop the run: it is that case's verdict
                cid, family, desc, expectation, rfc = describe(case) if describe else ("?", "?", "", "", "")
                result = CaseResult(cid, family, desc, expectation, rfc, FAILED,
                                    f"the probe itself failed on this case: {type(exc).__name__}: {exc}")
            results.append(result)
            if on_result is not None:
                on_result(result)

    await asyncio.gather(*(one(case) for case in cases))
    results.sort(key=lambda r: sort_key(r.id))
    return results


def counts(results: Sequence[CaseResult]) -> dict[str, int]:
    """How many cases got each verdict (every verdict present, zeros included)."""
    out = {v: 0 for v in VERDICTS}
    for r in results:
        out[r.verdict] = out.get(r.verdict, 0) + 1
    return out


def by_family(results: Sequence[CaseResult]) -> dict[str, dict[str, Any]]:
    """Per family: the verdict counts (for the table and the HTML report)."""
    out: dict[str, dict[str, Any]] = {}
    for r in results:
        fam = out.setdefault(r.family, {v: 0 for v in VERDICTS})
        fam[r.verdict] += 1
    return dict(sorted(out.items(), key=lambda kv: sort_key(kv[0] + '/0/0') if not kv[0].isdigit() else sort_key(kv[0])))
