"""SSE benchmarks, wiretool side by side with its peers in one run.

    .venv/bin/python benchmarks/bench_sse.py [--quick]

1. Parser: 200,000 events (``id``, ``event`` and a JSON ``data`` line each) as 64 KiB chunks of bytes, parsed by
   wiretool's ``SseParser`` and by httpx-sse's decoders doing exactly what its ``aiter_sse`` does (incremental
   UTF-8, ``SSELineDecoder``, ``SSEDecoder``). aiohttp-sse-client has no decoder apart from its socket loop,
   so it only takes part in part 2. Best of a few rounds. Target: wiretool ≥ 1.2× httpx-sse.
2. End to end over loopback: a fast server (a separate process writing the pre-built stream at memory
   speed) is read by ``wiretool sse tail URL --json --no-reconnect > file`` and by small httpx-sse and
   aiohttp-sse-client programs that write the same NDJSON per event, each a fresh process, timed from
   start to exit (start-up counts for everyone). Target: wiretool ≥ 50,000 events/s.
"""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
WIRETOOL = str(BIN / "wiretool")
QUICK = "--quick" in sys.argv
N_PARSE = 200_000
N_E2E = 50_000 if QUICK else 200_000
ROUNDS = 1 if QUICK else 3


def body(n: int) -> bytes:
    return b"".join(b'id: %d\nevent: tick\ndata: {"n": %d, "text": "tick %d"}\n\n' % (i, i, i)
                    for i in range(1, n + 1))


def best(fn, rounds: int = ROUNDS) -> tuple[float, int]:
    times = []
    count = 0
    for _ in range(rounds):
        t0 = time.perf_counter()
        count = fn()
        times.append(time.perf_counter() - t0)
    return min(times), count


def parser_bench() -> None:
    from wiretool.codec.sse import SseParser

    data = body(N_PARSE)
    chunks = [data[i:i + 65536] for i in range(0, len(data), 65536)]

    def ours() -> int:
        p = SseParser()
        n = 0
        for c in chunks:
            n += len(p.feed(c))
        return n

    rows = [("wiretool SseParser", *best(ours))]
    try:
        from httpx_sse._decoders import SSEDecoder, SSELineDecoder
    except ImportError:
        print("httpx-sse: absent (pip install -e '.[bench]')")
    else:
        def theirs() -> int:
            text = codecs.getincrementaldecoder("utf-8")("replace")
            lines = SSELineDecoder()
            sse = SSEDecoder()
            n = 0
            for c in chunks:
                for line in lines.decode(text.decode(c)):
                    if sse.decode(line.rstrip("\n")) is not None:
                        n += 1
            return n

        rows.append(("httpx-sse decoders", *best(theirs)))
    print(f"\n## 1. parser: {N_PARSE:,} events, {len(data) / 1e6:.1f} MB in 64 KiB chunks, best of {ROUNDS}")
    for name, secs, count in rows:
        assert count == N_PARSE, (name, count)
        print(f"{name:24s} {count / secs:>12,.0f} events/s  ({secs * 1000:.0f} ms)")
    if len(rows) > 1:
        ratio = rows[1][1] / rows[0][1]
        print(f"ratio wiretool / httpx-sse: {ratio:.2f}x  target >= 1.2x: {'PASS' if ratio >= 1.2 else 'MISS'}")


SERVER = r"""
import asyncio, sys
body = b"".join(b'id: %d\nevent: tick\ndata: {"n": %d, "text": "tick %d"}\n\n' % (i, i, i)
                for i in range(1, int(sys.argv[1]) + 1))
head = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        b"Connection: close\r\n\r\n")
async def handle(reader, writer):
    await reader.readuntil(b"\r\n\r\n")
    writer.write(head)
    for i in range(0, len(body), 65536):
        writer.write(body[i:i + 65536])
        await writer.drain()
    writer.close()
async def main():
    srv = await asyncio.start_server(handle, "127.0.0.1", 0)
    print(srv.sockets[0].getsockname()[1], flush=True)
    await srv.serve_forever()
asyncio.run(main())
"""

HTTPX_SSE = r"""
import asyncio, json, sys, httpx
from httpx_sse import aconnect_sse
async def main():
    out = sys.stdout
    async with httpx.AsyncClient(timeout=None) as client:
        async with aconnect_sse(client, "GET", sys.argv[1]) as source:
            async for ev in source.aiter_sse():
                out.write(json.dumps({"event": ev.event, "data": ev.data, "id": ev.id, "retry": ev.retry}) + "\n")
                out.flush()
asyncio.run(main())
"""

AIOHTTP_SSE = r"""
import asyncio, json, sys
from aiohttp_sse_client.client import EventSource
async def main():
    out = sys.stdout
    n = 0
    async with EventSource(sys.argv[1], max_connect_retry=0) as source:
        try:
            async for ev in source:
                out.write(json.dumps({"event": ev.type or "message", "data": ev.data, "id": ev.last_event_id}) + "\n")
                out.flush()
                n += 1
                if n == int(sys.argv[2]):
                    return
        except ConnectionError:
            pass
asyncio.run(main())
"""


def e2e_bench() -> None:
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(N_E2E)], stdout=subprocess.PIPE, text=True)
    try:
        port = int(server.stdout.readline())  # type: ignore[union-attr]
        url = f"http://127.0.0.1:{port}/events"
        clients = [("wiretool sse tail --json", [WIRETOOL, "sse", "tail", url, "--json", "--no-reconnect"])]
        for name, module, code in (("httpx-sse client", "httpx_sse", HTTPX_SSE),
                                   ("aiohttp-sse-client", "aiohttp_sse_client", AIOHTTP_SSE)):
            if _has(module):
                clients.append((name, [sys.executable, "-c", code, url, str(N_E2E)]))
            else:
                print(f"{name}: absent (pip install -e '.[bench]')")
        print(f"\n## 2. end to end: {N_E2E:,} events over loopback to a file, fresh process each, best of {ROUNDS}")
        results = {}
        with tempfile.TemporaryDirectory() as tmp:
            for name, argv in clients:
                secs, count = best(lambda argv=argv: _run(argv, Path(tmp) / "out.ndjson"))
                results[name] = N_E2E / secs
                print(f"{name:26s} {N_E2E / secs:>10,.0f} events/s  ({secs:.2f} s, {count:,} lines)")
        ours = results["wiretool sse tail --json"]
        for name, rate in results.items():
            if name != "wiretool sse tail --json":
                print(f"ratio wiretool / {name}: {ours / rate:.2f}x")
        print(f"wiretool >= 50,000 events/s: {'PASS' if ours >= 50_000 else 'MISS'} ({ours:,.0f})")
    finally:
        server.terminate()
        server.wait(10)


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def _run(argv: list[str], path: Path) -> int:
    with path.open("w") as f:
        proc = subprocess.run(argv, stdout=f, stderr=subprocess.PIPE, timeout=600,
                              env={**os.environ, "NO_COLOR": "1"})
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    with path.open("rb") as f:
        return sum(1 for _ in f)


if __name__ == "__main__":
    parser_bench()
    e2e_bench()
