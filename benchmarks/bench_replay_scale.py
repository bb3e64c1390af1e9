"""``replay --no-delay`` of a WebSocket recording: does the cost grow linearly with the number of messages?

    .venv/bin/python benchmarks/bench_replay_scale.py [--quick]

Writes two captures of N request/answer pairs (8,000 and 32,000; --quick: 2,000 and 8,000) as
``ws connect --record`` would, starts ``wiretool serve ws`` (echo) on 127.0.0.1, and times
``wiretool replay CAPTURE URL --no-delay`` for each (best of 3, wall clock, start-up included). Also times
``frame decode --capture`` of a capture whose 101 head never ends (3 MB and 12 MB). Linear work means the
ratios print close to 4 (issue 12 #10: 65 s for 32,000 messages against 4.5 s for 8,000 before the fix).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wiretool.capture.file import CaptureWriter
from wiretool.codec.wsbuild import build_frame

BIN = Path(sys.executable).parent
WIRETOOL = str(BIN / "wiretool")
REQUEST = (b"GET / HTTP/1.1\r\nHost: 127.0.0.1:9\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
RESPONSE = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")


def write_recording(path: Path, messages: int) -> None:
    with CaptureWriter(path, proto="ws", url="ws://127.0.0.1:9/") as w:
        w.chunk("send", 0.0, REQUEST)
        w.chunk("recv", 0.001, RESPONSE)
        for i in range(messages):
            t = 0.01 + i * 0.001
            payload = b"message %d" % i
            w.chunk("send", t, build_frame(1, payload, mask=True))
            w.chunk("recv", t + 0.0005, build_frame(1, payload))
        t = 0.02 + messages * 0.001
        w.chunk("send", t, build_frame(8, b"\x03\xe8", mask=True))
        w.chunk("recv", t + 0.0005, build_frame(8, b"\x03\xe8"))


def write_endless_head(path: Path, megabytes: int) -> None:
    with CaptureWriter(path, proto="ws", url="ws://127.0.0.1:9/", show_secrets=True) as w:
        w.chunk("send", 0.0, REQUEST)
        w.chunk("recv", 0.001, b"HTTP/1.1 101 Switching Protocols\r\n")
        line = b"X-Long: " + b"a" * 4088 + b"\r\n"
        for _ in range(megabytes * 256):
            w.chunk("recv", 0.002, line)


def best(args: list[str], rounds: int = 3) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        proc = subprocess.run([WIRETOOL, *args], capture_output=True, stdin=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        if proc.returncode not in (0, 5):
            raise SystemExit(f"{args}: exit {proc.returncode}: {proc.stderr.decode()[-300:]}")
    return min(times)


def main() -> None:
    quick = "--quick" in sys.argv
    small, big = (2000, 8000) if quick else (8000, 32000)
    with tempfile.TemporaryDirectory() as tmp:
        server = subprocess.Popen([WIRETOOL, "--json", "serve", "ws", "--port", "0"], stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        try:
            assert server.stdout is not None
            url = json.loads(server.stdout.readline())["url"]
            # the server writes a record per frame: drain them, or it blocks on a full pipe
            threading.Thread(target=server.stdout.read, daemon=True).start()
            results = {}
            for n in (small, big):
                path = Path(tmp) / f"rec{n}.wtcap"
                write_recording(path, n)
                results[n] = best(["replay", str(path), url, "--no-delay"])
                print(f"replay --no-delay, {n:>6} messages: {results[n]:7.2f} s")
            print(f"ratio {big}/{small} messages: {results[big] / results[small]:.2f} (linear: ~4)")
        finally:
            server.terminate()
            server.wait(10)
        heads = {}
        for mb in (3, 12):
            path = Path(tmp) / f"head{mb}.wtcap"
            write_endless_head(path, mb)
            heads[mb] = best(["frame", "decode", "--capture", str(path)])
            print(f"frame decode --capture, 101 head never ends, {mb:>2} MB: {heads[mb]:6.2f} s")
        print(f"ratio 12/3 MB: {heads[12] / heads[3]:.2f} (linear: ~4)")


if __name__ == "__main__":
    main()
