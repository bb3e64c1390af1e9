"""``wiretool proxy`` side by side with mitmproxy's ``mitmdump`` and a direct connection, in one run.

    .venv/bin/python benchmarks/bench_proxy.py [--quick]

Two transfers, each through the same kind of setup for every contender (reverse mode, loopback):

- a WebSocket flood: ``wiretool serve ws --mode flood`` writes N messages of 1 KiB at memory speed; the
  client is a bare socket that sends the upgrade and counts bytes until the close frame (it is never the
  bottleneck);
- an HTTP/2 download over TLS on both legs (the proxy terminates TLS and opens its own to the server, as
  forward mode's interception does): nghttpd serves a 100 MB file, ``h2load -n 1 -c 1`` fetches it (both
  native nghttp2 tools, several times faster than any proxy, so the figures are the proxies' own; curl
  was slower than nghttpd and capped the direct connection at about 5x mitmdump).

Contenders: a direct connection; ``wiretool --json proxy --only none > /dev/null`` (the quiet relay:
bytes counted, nothing decoded); ``wiretool --json proxy > /dev/null`` (the full frame view: every
WebSocket frame or HTTP/2 frame decoded and written as NDJSON); ``mitmdump -q`` (mitmproxy, quiet). Each
transfer is timed from the client's start to its last byte, best of ``--rounds`` (the h2 download: of 3 at
least); beside each proxy's h2 figure, the CPU it spent per 100 MB over those downloads (user + system, all
threads), which the shared machine's load moves much less than the throughput. Then the peak RSS
(VmHWM) of the proxy over a 1 GiB WebSocket flood, quiet and full. Prints MB/s, ratios and PASS/MISS
against the issue's targets: quiet relay >= 5x mitmdump; full frame view >= 1x mitmdump quiet; < 100 MB.

mitmproxy pins its own h2/cryptography versions, so it lives in its own venv (benchmarks/setup_peers.sh
makes ``.venv-mitmproxy``); ``MITMDUMP=/path/to/mitmdump`` overrides; without it its column says absent.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WIRETOOL = str(BIN / "wiretool")
MITMDUMP = (os.environ.get("MITMDUMP") or next((str(p) for p in (ROOT / ".venv-mitmproxy" / "bin" / "mitmdump",)
                                               if p.exists()), None) or shutil.which("mitmdump"))
CLOSE_1000 = b"\x88\x0c\x03\xe8flood done"
"""The last frame of ``serve ws --mode flood``: the client stops reading there."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


class Proc:
    """A server or proxy in a subprocess, its output to /dev/null (``--json > /dev/null``)."""

    def __init__(self, cmd: list[str], port: int) -> None:
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     stdin=subprocess.DEVNULL)
        self.port = port
        wait_port(port)

    def peak_rss_mb(self) -> float:
        """VmHWM: the most resident memory the process ever had."""
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def ws_flood(port: int, expect: int) -> tuple[int, float]:
    """Upgrade, then read until the server's close frame: (bytes received, seconds)."""
    start = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=120) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
        got = 0
        tail = b""
        buf = bytearray(1 << 20)
        view = memoryview(buf)
        while True:
            n = s.recv_into(view)
            if not n:
                break
            got += n
            tail = (tail + bytes(view[max(0, n - len(CLOSE_1000)):n]))[-len(CLOSE_1000):]
            if tail == CLOSE_1000 and got >= expect:
                break
    return got, time.perf_counter() - start


def h2_get(url: str) -> tuple[int, float]:
    """One download with h2load (nghttp2's C client, 1 connection, 1 GiB windows): (body bytes, seconds).

    curl was the bottleneck of the direct connection (about 190 MB/s against nghttpd's 700+ here), which
    capped every contender at curl's speed and hid the proxies' own cost; h2load is not."""
    start = time.perf_counter()
    done = subprocess.run(["h2load", "-n", "1", "-c", "1", "-m", "1", "-w", "30", "-W", "30", url],
                          capture_output=True, text=True, timeout=600)
    took = time.perf_counter() - start
    data = re.search(r"traffic: .*?\) total, .*?\((\d+)\) data", done.stdout)
    if done.returncode != 0 or "1 succeeded" not in done.stdout or data is None:
        raise RuntimeError(f"h2load {url}: {(done.stdout + done.stderr).strip()[-300:]}")
    return int(data.group(1)), took


def wiretool_proxy(upstream: str, *extra: str) -> Proc:
    port = free_port()
    return Proc([WIRETOOL, "--json", "proxy", "--listen", f"127.0.0.1:{port}", "--upstream", upstream, *extra],
                port)


def mitmdump(upstream: str) -> Proc | None:
    if not MITMDUMP:
        return None
    port = free_port()
    return Proc([MITMDUMP, "-q", "--ssl-insecure", "--listen-host", "127.0.0.1",
                 "--mode", f"reverse:{upstream}@{port}"], port)


def best(run, rounds: int, proc: Proc | None = None) -> tuple[int, float, float | None]:  # type: ignore[no-untyped-def]
    """The best of ``rounds`` transfers (bytes, seconds), and the CPU that ``proc`` spent per 100 MB over all
    of them (ms, user + system): a figure the machine's other load moves much less than the throughput."""
    cpu0 = cpu_seconds(proc) if proc is not None else None
    results = [run() for _ in range(rounds)]
    got, took = max(results, key=lambda r: r[0] / r[1])
    per_100mb = None
    if cpu0 is not None:
        per_100mb = (cpu_seconds(proc) - cpu0) * 1000 / (sum(r[0] for r in results) / 100e6)  # type: ignore[arg-type]
    return got, took, per_100mb


def cpu_seconds(proc: Proc) -> float:
    """User + system CPU seconds of ``proc`` (all its threads) so far, from /proc/PID/stat."""
    fields = Path(f"/proc/{proc.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller transfers, one round, RSS on 256 MiB")
    ap.add_argument("--rounds", type=int, default=None)
    ap.add_argument("--rss-mib", type=int, default=None, help="size of the peak-RSS flood (default 1024, quick 256)")
    args = ap.parse_args(argv)
    rounds = args.rounds or (1 if args.quick else 2)
    h2_rounds = max(rounds, 3)
    """A 100 MB download lasts 0.1-2 s: a contender's first one also pays its first handshake, first imports,
    mitmdump's first certificate; best of 3 (a few seconds) compares the relays, not their warm-up."""
    messages, size = (20_000 if args.quick else 100_000), 1024
    file_mb = 100  # at 20 MB the run is a few TLS handshakes long at these speeds
    rss_total = (args.rss_mib or (256 if args.quick else 1024)) * 1024 * 1024
    tmp = Path(tempfile.mkdtemp(prefix="bench-proxy-"))
    docs = tmp / "docs"
    docs.mkdir()
    (docs / "big.bin").write_bytes(os.urandom(1 << 20) * file_mb)
    import trustme

    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    key, cert = tmp / "key.pem", tmp / "cert.pem"
    leaf.private_key_pem.write_to_path(str(key))
    leaf.cert_chain_pems[0].write_to_path(str(cert))

    ws_port, h2_port = free_port(), free_port()
    servers = [Proc([WIRETOOL, "serve", "ws", "--port", str(ws_port), "--mode", "flood", "--messages", str(messages),
                     "--size", str(size), "--compression", "none", "--show", "none"], ws_port),
               Proc(["nghttpd", "-d", str(docs), "--address=127.0.0.1", str(h2_port), str(key), str(cert)], h2_port)]
    ws_expect = messages * (size + 4)
    h2_path = "/big.bin"
    rows: dict[str, dict[str, float | None]] = {}
    try:
        def measure(name: str, ws: Proc | None, h2: Proc | None, direct: bool = False) -> None:
            row: dict[str, float | None] = {"ws": None, "h2": None, "h2_cpu": None}
            try:
                if direct or ws is not None:
                    port = ws_port if direct else ws.port  # type: ignore[union-attr]
                    got, took, _ = best(lambda: ws_flood(port, ws_expect), rounds)
                    row["ws"] = got / took / 1e6
                if direct or h2 is not None:
                    port = h2_port if direct else h2.port  # type: ignore[union-attr]
                    got, took, row["h2_cpu"] = best(lambda: h2_get(f"https://127.0.0.1:{port}{h2_path}"), h2_rounds,
                                                    h2)
                    row["h2"] = got / took / 1e6
            finally:
                for p in (ws, h2):
                    if p is not None:
                        p.stop()
            rows[name] = row
            cpu = f"   (proxy CPU {row['h2_cpu']:5.0f} ms per 100 MB)" if row["h2_cpu"] is not None else ""
            print(f"  {name:<34} ws {_fmt(row['ws'])}   h2 {_fmt(row['h2'])}{cpu}", flush=True)

        print(f"WebSocket flood: {messages} x {size} B, best of {rounds}; HTTP/2 over TLS: {file_mb} MB, "
              f"best of {h2_rounds}")
        measure("direct", None, None, direct=True)
        measure("wiretool proxy --only none (quiet)", wiretool_proxy(f"http://127.0.0.1:{ws_port}", "--only", "none"),
                wiretool_proxy(f"https://127.0.0.1:{h2_port}", "--only", "none", "--tls", "--self-signed",
                               "--insecure"))
        measure("wiretool proxy --json (frames)", wiretool_proxy(f"http://127.0.0.1:{ws_port}"),
                wiretool_proxy(f"https://127.0.0.1:{h2_port}", "--tls", "--self-signed", "--insecure"))
        if MITMDUMP:
            measure("mitmdump -q", mitmdump(f"http://127.0.0.1:{ws_port}"),
                    mitmdump(f"https://127.0.0.1:{h2_port}"))
        else:
            print("  mitmdump -q                        absent (benchmarks/setup_peers.sh, or MITMDUMP=...)")
    finally:
        for s in servers:
            s.stop()

    ok = True
    mitm = rows.get("mitmdump -q")
    quiet, full = rows["wiretool proxy --only none (quiet)"], rows["wiretool proxy --json (frames)"]
    print("\nratios (throughput / mitmdump -q):")
    for proto in ("ws", "h2"):
        m = mitm[proto] if mitm else None
        q, f = quiet[proto], full[proto]
        if m and q and f:
            rq, rf = q / m, f / m
            ok &= rq >= 5 and rf >= 1
            print(f"  {proto}: quiet {rq:6.2f}x (target >= 5x: {'PASS' if rq >= 5 else 'MISS'})   "
                  f"frames {rf:6.2f}x (target >= 1x: {'PASS' if rf >= 1 else 'MISS'})   "
                  f"direct {rows['direct'][proto] / m:6.2f}x")  # type: ignore[operator]
    if mitm and mitm["h2_cpu"] and quiet["h2_cpu"] and full["h2_cpu"]:
        print(f"  h2 CPU per byte, mitmdump -q / wiretool: quiet {mitm['h2_cpu'] / quiet['h2_cpu']:6.2f}x   "
              f"frames {mitm['h2_cpu'] / full['h2_cpu']:6.2f}x   (less moved by the machine's load; the "
              "targets are on throughput)")
    print(f"\npeak RSS of wiretool proxy over a {rss_total >> 20} MiB WebSocket flood (64 KiB messages):")
    big = rss_total // 65536
    for label, extra in (("quiet (--only none)", ("--only", "none")), ("frames (--json)", ())):
        port = free_port()
        server = Proc([WIRETOOL, "serve", "ws", "--port", str(port), "--mode", "flood", "--messages", str(big),
                       "--size", "65536", "--compression", "none", "--show", "none", "--binary"], port)
        proxy = wiretool_proxy(f"http://127.0.0.1:{port}", *extra)
        try:
            got, took = ws_flood(proxy.port, big * 65536)
            rss = proxy.peak_rss_mb()
        finally:
            proxy.stop()
            server.stop()
        ok &= rss < 100
        print(f"  {label:<22} {got / 2**20:7.0f} MiB in {took:6.1f} s ({got / took / 1e6:7.1f} MB/s)   "
              f"peak RSS {rss:6.1f} MB (target < 100: {'PASS' if rss < 100 else 'MISS'})")
    shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


def _fmt(value: float | None) -> str:
    return f"{value:8.1f} MB/s" if value is not None else "       -     "


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
