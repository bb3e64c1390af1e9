"""Before and after in one run: every benchmark of this tree beside the same benchmark of a baseline checkout.

    .venv/bin/python benchmarks/compare.py --baseline-tree ../base --baseline-python ../base/.venv/bin/python [--quick] [--only ws,h2]

Machines are noisy, so the two sides run interleaved, script by script, in one process: a busy moment hits
both alike. Each script prints its own figures and PASS/MISS lines; this prints, for every line that names a
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
    rows: list[tuple[str, str, str, str]] = []
    for script in sorted(HERE.glob("bench_*.py")):
        if only is not None and script.stem.removeprefix("bench_") not in only:
            continue
        base_script = base_tree / "benchmarks" / script.name
        print(f"\n=== {script.name}", flush=True)
        before = targets(run(base_python, base_script, base_tree, args)) if base_script.exists() else []
        after = targets(run(sys.executable, script, HERE.parent, args))
        by_label = {label(line): line for line in before}
        for line in after:
            old = by_label.get(label(line), "")
            print(f"  before: {old or '(no such target)'}\n  after:  {line}")
            r_old, r_new = _RATIO.search(old), _RATIO.search(line)
            change = ""
            if r_old and r_new and float(r_old.group(1)):
                change = f"{float(r_new.group(1)) / float(r_old.group(1)) - 1:+.0%}"
            rows.append((f"{script.stem}: {label(line)}", r_old.group(0) if r_old else "-",
                         r_new.group(0) if r_new else _VERDICT.search(line).group(0), change))  # type: ignore[union-attr]
    print("\n| target | before | after | change |\n|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
