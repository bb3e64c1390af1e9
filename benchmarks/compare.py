"""Before and after in one run: every benchmark of this tree beside the same benchmark of a baseline checkout.

    .venv/bin/python benchmarks/compare.py --baseline-tree ../base --baseline-python ../base/.venv/bin/python [--quick] [--only ws,h2] [--rounds K]

Machines are noisy, so the two sides run interleaved, script by script, in one process: a busy moment hits
both alike. A busy minute can still land on one side only (a script runs for a while), so ``--rounds K``
runs each script K times, alternating the sides (base, ours, ours, base, ...), prints every round's ratio,
and compares each side's best ratio (the highest for a ``target >=``, the lowest for a time ratio), as the
scripts themselves keep the best of their rounds. Each script prints its own figures and PASS/MISS lines; this prints, for every line that names a
target (``PASS``/``MISS``), the baseline's line and ours one above the other, then one table of the ratios
each side reached (the first ``N.NNx`` of the line) and how far ours moved. A script the baseline lacks runs
on our side only.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
_RATIO = re.compile(r"(\d+(?:\.\d+)?)x")
_VERDICT = re.compile(r"\b(PASS|MISS)\b")


def run(python: str, script: Path, cwd: Path, args: list[str]) -> list[str]:
    """The script's stdout lines (stderr passes through)."""
    proc = subprocess.run([python, str(script), *args], cwd=cwd, capture_output=True, text=True)
    if proc.returncode:
        print(f"  {script.name} under {python} exited {proc.returncode}: {proc.stderr.strip()[-300:]}")
    return proc.stdout.splitlines()


def targets(lines: list[str]) -> list[str]:
    return [line.strip() for line in lines if _VERDICT.search(line)]


def label(line: str) -> str:
    """A target line's name: its text before the first figure (so both sides' lines pair up)."""
    text = re.sub(r"^targets?:\s*", "", line)
    return re.split(r"[:\d]", text, maxsplit=1)[0].strip() or text[:40]


def main(argv: list[str]) -> int:
    if "--baseline-tree" not in argv or "--baseline-python" not in argv:
        print(__doc__)
        return 2
    base_tree = Path(argv[argv.index("--baseline-tree") + 1]).resolve()
    base_python = argv[argv.index("--baseline-python") + 1]
    args = [a for a in argv if a == "--quick"]
    only = argv[argv.index("--only") + 1].split(",") if "--only" in argv else None
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 1
    rows: list[tuple[str, str, str, str]] = []
    for script in sorted(HERE.glob("bench_*.py")):
        if only is not None and script.stem.removeprefix("bench_") not in only:
            continue
        base_script = base_tree / "benchmarks" / script.name
        print(f"\n=== {script.name}", flush=True)
        befores: list[list[str]] = []
        afters: list[list[str]] = []
        for k in range(rounds):
            order = [(True, befores), (False, afters)] if k % 2 == 0 else [(False, afters), (True, befores)]
            for is_base, into in order:
                if is_base:
                    into.append(targets(run(base_python, base_script, base_tree, args)) if base_script.exists()
                                else [])
                else:
                    into.append(targets(run(sys.executable, script, HERE.parent, args)))
        for line in afters[0]:
            name = label(line)
            old_lines = [next((x for x in b if label(x) == name), "") for b in befores]
            new_lines = [next((x for x in a if label(x) == name), "") for a in afters]
            for k, (old, new) in enumerate(zip(old_lines, new_lines, strict=True)):
                tag = f" (round {k + 1})" if rounds > 1 else ""
                print(f"  before{tag}: {old or '(no such target)'}\n  after{tag}:  {new}")
            r_old, r_new = _best(old_lines), _best(new_lines)
            change = f"{r_new / r_old - 1:+.0%}" if r_old and r_new is not None else ""
            rows.append((f"{script.stem}: {name}", f"{r_old:.2f}x" if r_old is not None else "-",
                         f"{r_new:.2f}x" if r_new is not None else _VERDICT.search(line).group(0),  # type: ignore[union-attr]
                         change))
    print("\n| target | before | after | change |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


def _best(lines: list[str]) -> float | None:
    """A side's best ratio (the first ``N.NNx``) among its rounds of one target: the highest where the target
    asks for at least (``target >= ...``: a speed against a peer), else the lowest (a time ratio); None if no
    line has one."""
    found = [float(m.group(1)) for m in map(_RATIO.search, lines) if m]
    if not found:
        return None
    return max(found) if any("target >=" in line for line in lines) else min(found)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
