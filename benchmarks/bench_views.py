"""What the payload views cost: ``ws connect`` on a plain flood with the views on (the default) beside
``--view raw`` (off), and the per-message cost of each view on its own samples, in-process.

The flood is ``wiretool serve ws --mode flood`` (N text messages of 16 bytes); both runs write NDJSON to a
file. A plain flood must cost about the same either way: only the first 8 messages of a connection may pick
a view, and ``--json`` runs skip the views that only pretty-print. ``--quick`` runs a smaller flood.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_ws import WIRETOOL, start_server  # noqa: E402


def cpu_seconds(cmd: list[str], out_path: str) -> tuple[float, float, int]:
    """(wall seconds, user+system CPU seconds, exit code) of ``cmd`` with stdout to ``out_path``."""
    with open(out_path, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


def per_message_us() -> dict[str, float]:
    """Microseconds per message of each view with samples, through one connection's picker."""
    from wiretool import views
    from wiretool.views.picker import ConnectionViews

    out: dict[str, float] = {}
    for view in views.VIEWS:
        samples = list(getattr(view, "samples", ()))
        if not samples:
            continue
        conn = ConnectionViews(forced=view)
        rounds = max(1, 20_000 // len(samples))
        start = time.perf_counter()
        for i in range(rounds):
            for sample in samples:
                conn.view(sample, dir="recv" if i % 2 else "send", t=i * 0.001)
        out[view.name] = (time.perf_counter() - start) / (rounds * len(samples)) * 1e6
    return out


def main(argv: list[str]) -> int:
    n = 50_000 if "--quick" in argv else 200_000
    server, url = start_server("--mode", "flood", "--messages", str(n), "--size", "16")
    print(f"flood server {url}: {n} text messages of 16 bytes, best of 3 (CPU seconds of the client)")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            out = os.path.join(tmp, "out.ndjson")
            for show in ("frames", "messages"):
                best: dict[str, float] = {}
                for label, extra in (("views on", []), ("--view raw", ["--view", "raw"])):
                    runs = []
                    for _ in range(3):
                        _, cpu, code = cpu_seconds([WIRETOOL, "ws", "connect", url, "--json", "--show", show,
                                                    "--count", str(n), "--no-stdin", *extra], out)
                        assert code == 0, f"exit {code}"
                        runs.append(cpu)
                    best[label] = min(runs)
                ratio = best["views on"] / best["--view raw"]
                print(f"  --show {show:<8}  views on {best['views on']:6.2f} s   --view raw {best['--view raw']:6.2f} s"
                      f"   ratio {ratio:4.2f}")
    finally:
        server.terminate()
        server.wait()
    print("per message, one connection's view (in-process):")
    for name, us in per_message_us().items():
        print(f"  {name:<10} {us:7.1f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
