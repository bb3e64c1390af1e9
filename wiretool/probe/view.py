"""How a probe run looks while it runs: one line per case as it ends, then a table per family.

Under ``--json`` each case is one ``case`` NDJSON record instead, written as soon as the case ends (so a
long run can be followed with ``jq``), and the run ends with the usual ``summary`` record. A progress bar is
drawn on stderr only when a person is watching (stderr is a terminal and output is not NDJSON).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from wiretool.output.sanitize import safe_text
from wiretool.probe.case import COLOURS_RICH, CaseResult
from wiretool.probe.runner import by_family, counts


class ProbeView:
    """Shows results as they arrive and the table at the end."""

    def __init__(self, env: Any, out: Any, *, total: int) -> None:
        self.env = env
        self.out = out
        self.total = total
        self.done = 0
        self._progress: Any = None
        self._task: Any = None
        if not env.json and _isatty(env.stderr):
            from rich.progress import Progress

            self._progress = Progress(console=out.err_console, transient=True)
            self._progress.start()
            self._task = self._progress.add_task("probing", total=total)

    def result(self, r: CaseResult) -> None:
        self.done += 1
        if self._progress is not None:
            self._progress.update(self._task, advance=1, description=f"case {r.id}")
        if self.env.json:
            self.out.write_json(r.to_json(self.out.now()))
            return
        style = COLOURS_RICH.get(r.verdict, "")
        line = f"{r.id:<9} {r.verdict:<13} {safe_text(r.description)[:70]}"
        if r.verdict not in ("OK", "INFORMATIONAL"):
            line += f"\n{'':<23}{safe_text(r.reason)}"
        self.out.console.print(line, style=style, markup=False, highlight=False, soft_wrap=True)

    def finish(self, results: Sequence[CaseResult]) -> None:
        if self._progress is not None:
            self._progress.stop()
        if self.env.json:
            return
        from rich.table import Table

        c = counts(results)
        table = Table(title="probe results by family")
        table.add_column("family")
        for verdict in c:
            table.add_column(verdict, justify="right", style=COLOURS_RICH.get(verdict, ""))
        for fam, fc in by_family(results).items():
            table.add_row(fam, *(str(fc[v]) for v in c))
        table.add_row("all", *(str(n) for n in c.values()))
        self.out.console.print(table)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
