"""Run every benchmark in this folder, one after the other, in one command.

    .venv/bin/python benchmarks/run_all.py [--quick]

Each ``bench_*.py`` measures wiretool side by side with its peers in the same run and prints ratios,
since machines are noisy; this script only runs them in turn and says which targets were missed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    """Run each bench script with the same arguments; exit non-zero if any crashed."""
    failed = []
    for script in sorted(HERE.glob("bench_*.py")):
        print(f"\n=== {script.name} {' '.join(argv)}", flush=True)
        proc = subprocess.run([sys.executable, str(script), *argv], cwd=HERE.parent)
        if proc.returncode != 0:
            failed.append(script.name)
    if failed:
        print(f"\nbenchmarks that did not finish cleanly: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
