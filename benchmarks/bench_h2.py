"""``h2 get`` side by side with its peers: N GETs multiplexed on one connection to the same server, in one run.

    .venv/bin/python benchmarks/bench_h2.py [--quick]

One ``wiretool serve h2`` process serves ``/bytes/16``; each client makes N requests for it on one
connection, at most 100 streams at a time:

- ``wiretool h2 get URL --repeat N --json > file`` (the frame view on: every frame parsed, every header
  block HPACK-decoded a second time, one NDJSON record per frame),
- a bare h2 client loop (h2.H2Connection over asyncio, the same scheduling, no view, no output),
- ``h2load -n N -c 1 -m 100`` and ``nghttp -n -m N`` (C, nghttp2) where installed
  (``apt-get install -y nghttp2-client``); "absent" otherwise.

Each is a fresh process timed wall-clock from start to exit (start-up counts for everyone), best of a
few interleaved rounds. Prints requests/s, ratios, and PASS/MISS for the target: the frame view costs at most
1.5x the bare h2 loop's time. The clients' CPU time is printed beside it: the one Python server bounds
the wall time of every client, so the CPU ratio shows what the view itself costs.
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
CONCURRENT = 100

BARE_LOOP = r"""
import asyncio, sys
from urllib.parse import urlsplit
import h2.config, h2.connection, h2.events

async def main(url, n):
    u = urlsplit(url)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding=None))
    done = asyncio.get_running_loop().create_future()
    state = {"sent": 0, "active": 0, "ok": 0}
    headers = [(":method", "GET"), (":scheme", "http"), (":authority", u.netloc), (":path", u.path),
               ("user-agent", "bare-h2"), ("accept", "*/*")]

    class P(asyncio.Protocol):
        def connection_made(self, t):
            self.t = t
            conn.initiate_connection()
            self.pump()

        def pump(self):
            while state["sent"] < n and state["active"] < 100:
                conn.send_headers(conn.get_next_available_stream_id(), headers, end_stream=True)
                state["sent"] += 1
                state["active"] += 1
            self.t.write(conn.data_to_send())

        def data_received(self, data):
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.DataReceived):
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset)):
                    state["active"] -= 1
                    state["ok"] += isinstance(ev, h2.events.StreamEnded)
            self.pump()
            if state["sent"] == n and state["active"] == 0 and not done.done():
                done.set_result(None)

        def connection_lost(self, exc):
            if not done.done():
                done.set_result(None)

    t, _ = await asyncio.get_running_loop().create_connection(P, u.hostname, u.port)
    await done
    conn.close_connection()
    t.write(conn.data_to_send())
    t.close()
    print(state["ok"])

asyncio.run(main(sys.argv[1], int(sys.argv[2])))
"""


def start_server() -> tuple[subprocess.Popen[str], str]:
    """Start ``wiretool serve h2`` on a free port; return it and its URL (read from the first line)."""
    proc = subprocess.Popen([WIRETOOL, "--json", "serve", "h2", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    import json

    url = json.loads(proc.stdout.readline())["url"]
    # the server logs one NDJSON line per request: drain them so its pipe never fills
    subprocess.Popen(["cat"], stdin=proc.stdout, stdout=subprocess.DEVNULL)
    return proc, url


def timed(cmd: list[str], out_path: str) -> tuple[float, float, int]:
    """Run ``cmd`` with stdout to ``out_path``; return (wall seconds, CPU seconds of the client, exit code)."""
    with open(out_path, "wb") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        print(f"    ({Path(cmd[0]).name} exit {code})")
    return elapsed, usage.ru_utime + usage.ru_stime, code


def responses(name: str, path: str) -> int | None:
    """How many responses the client reports, to check every run did all the work."""
    text = Path(path).read_bytes()
    if name.startswith("wiretool"):
        import json

        last = json.loads(text.splitlines()[-1])
        return last.get("responses")
    if name.startswith("bare"):
        return int(text.strip() or 0)
    if name.startswith("h2load"):
        for line in text.decode(errors="replace").splitlines():
            if line.startswith("requests:"):
                # requests: 10000 total, 10000 started, 10000 done, 10000 succeeded, ...
                return int(line.split("succeeded")[0].split(",")[-1].strip().split()[0])
    return None


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    n = 2_000 if quick else 10_000
    rounds = 1 if quick else 3
    tmp = tempfile.mkdtemp(prefix="bench-h2-")
    server, base = start_server()
    url = base + "bytes/16"
    print(f"serve h2 {base}: {n} GETs of /bytes/16 on one connection, {CONCURRENT} streams at a time, "
          f"best of {rounds}")
    h2load, nghttp = shutil.which("h2load"), shutil.which("nghttp")
    clients: dict[str, list[str] | None] = {
        "wiretool h2 get --json (frame view on)": [WIRETOOL, "h2", "get", url, "--repeat", str(n), "--json",
                                                   "--max-concurrent", str(CONCURRENT)],
        "bare h2 client loop": [sys.executable, "-c", BARE_LOOP, url, str(n)],
        "h2load -c 1 -m 100": [h2load, "-n", str(n), "-c", "1", "-m", str(CONCURRENT), url] if h2load else None,
        "nghttp -n -m N": [nghttp, "-n", "-m", str(n), url] if nghttp else None,
    }
    times: dict[str, list[float]] = {name: [] for name in clients}
    cpu: dict[str, list[float]] = {name: [] for name in clients}
    try:
        for _ in range(rounds):  # interleaved, so a busy moment of the machine hits every client alike
            for name, cmd in clients.items():
                if cmd is None:
                    continue
                path = os.path.join(tmp, "out")
                elapsed, cpu_s, code = timed(cmd, path)
                got = responses(name, path)
                if code != 0 or (got is not None and got != n):
                    print(f"    {name}: {got} of {n} responses (exit {code})")
                times[name].append(elapsed)
                cpu[name].append(cpu_s)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)
    best: dict[str, float | None] = {name: min(t) if t else None for name, t in times.items()}
    for name, value in best.items():
        if value is None:
            print(f"  {name:42s} absent")
        else:
            print(f"  {name:42s} {value:7.3f} s  {n / value:9,.0f} requests/s   client CPU {min(cpu[name]):6.3f} s")

    view, bare = best["wiretool h2 get --json (frame view on)"], best["bare h2 client loop"]
    print("targets:")
    if view and bare:
        ratio = view / bare
        verdict = "PASS" if ratio <= 1.5 else "MISS"
        print(f"  frame view time vs bare h2 loop: {ratio:5.2f}x (target <= 1.5x) {verdict}")
        cpu_ratio = min(cpu["wiretool h2 get --json (frame view on)"]) / min(cpu["bare h2 client loop"])
        print(f"  (client CPU time, wiretool vs bare h2 loop: {cpu_ratio:5.2f}x; the server bounds the wall time)")
    for ref in ("h2load -c 1 -m 100", "nghttp -n -m N"):
        if best.get(ref) and view:
            print(f"  reference: wiretool {n / view:,.0f} req/s beside {ref} {n / best[ref]:,.0f} req/s "
                  f"({best[ref] / view:4.2f}x of its rate)")
        else:
            print(f"  reference {ref}: absent")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
