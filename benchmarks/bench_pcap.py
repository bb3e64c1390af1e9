"""Decoding a pcap side by side: wiretool versus ``tshark -T json`` versus scapy's reader, in one run.

    .venv/bin/python benchmarks/bench_pcap.py [--quick] [--mb N] [--only NAME] [--before SRC]

(``--only "h2c 1 KiB"``: that capture alone, for the one comparison that takes minutes at full size;
``--before /work/main``: also the wiretool of that source tree, on the same file in the same run, as a
before/after column; ``--no-peers``: wiretool alone, e.g. ``--mb 300`` to see that memory does not grow.)

Three captures of about 100 MB each (``--quick``: 10 MB) are written first, as tcpdump on loopback writes them
(Ethernet, IPv4, segments of up to 64 KiB): a WebSocket session (a server sending 1 KiB text frames, a client
sending masked ones) and two h2c sessions: about 100,000 GETs each answered by HEADERS and 1 KiB of DATA
(header-heavy: HPACK decoding dominates), and about 1,600 answered by HEADERS and 64 KiB in 16 KiB DATA frames.
Then, each on the same file:

- ``wiretool frame decode --pcap FILE --json`` (reassembly, detection, every frame, message and header
  decoded, NDJSON written to /dev/null);
- ``tshark -r FILE -T json -d tcp.port==P,PROTO`` (the same dissection: every WebSocket or HTTP/2 frame and
  HPACK header, JSON to /dev/null);
- scapy's ``PcapReader`` (PyPI ``scapy``), reading and dissecting every packet down to TCP: no reassembly and
  no WebSocket/HTTP/2 decoding, so it is a floor for a pure-Python reader, not the same work.

The target (issue 14) is wiretool at least 2x tshark's speed. Figures: MB of pcap per second, ratios, and the
peak resident memory (``ru_maxrss`` of each process alone, from ``wait4``) of wiretool and tshark: each capture
is one connection, so wiretool's must not grow with ``--mb``.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

BIN = Path(sys.executable).parent
WIRETOOL = str(BIN / "wiretool")
MSS = 65483  # what loopback's 64 KiB MTU leaves for TCP payload with IPv4 and timestamps off
CLIENT, SERVER = (b"\x7f\x00\x00\x01", 43210), (b"\x7f\x00\x00\x01", 8080)


def _packet(src: tuple[bytes, int], dst: tuple[bytes, int], seq: int, ack: int, flags: int, payload: bytes) -> bytes:
    tcp = struct.pack(">HHIIBBHHH", src[1], dst[1], seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 0x50, flags, 65535, 0, 0)
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 0, 0x4000, 64, 6, 0, src[0], dst[0])
    return b"\0" * 12 + b"\x08\x00" + ip + tcp + payload


class Writer:
    """A pcap of one connection: handshake, then stream bytes each way in MSS segments, then FINs."""

    def __init__(self, path: Path) -> None:
        self.f = path.open("wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        self.t = 1_700_000_000.0
        self.seq = {"c2s": 1000, "s2c": 5000}
        self._put("c2s", 0x02, b"")
        self._put("s2c", 0x12, b"")
        self.seq = {"c2s": 1001, "s2c": 5001}

    def _put(self, d: str, flags: int, payload: bytes) -> None:
        src, dst = (CLIENT, SERVER) if d == "c2s" else (SERVER, CLIENT)
        other = "s2c" if d == "c2s" else "c2s"
        pkt = _packet(src, dst, self.seq[d], self.seq[other], flags, payload)
        self.t += 1e-5
        self.f.write(struct.pack("<IIII", int(self.t), int(self.t % 1 * 1e6), len(pkt), len(pkt)) + pkt)
        self.seq[d] += len(payload)

    def send(self, d: str, data: bytes) -> None:
        for i in range(0, len(data), MSS):
            self._put(d, 0x18, data[i:i + MSS])

    def close(self) -> int:
        for d in ("c2s", "s2c"):
            self._put(d, 0x11, b"")
            self.seq[d] += 1
        self.f.close()
        return self.f.tell() if not self.f.closed else 0


def ws_frame(payload: bytes, mask: bytes | None = None) -> bytes:
    n = len(payload)
    head = bytes([0x81]) + (bytes([(0x80 if mask else 0) | 126]) + struct.pack(">H", n) if n > 125
                            else bytes([(0x80 if mask else 0) | n]))
    if mask:
        key = int.from_bytes(mask * (n // 4 + 1), "big") >> (8 * (4 - n % 4) if n % 4 else 0)
        payload = (int.from_bytes(payload, "big") ^ (key if n % 4 else int.from_bytes(mask * (n // 4), "big"))
                   ).to_bytes(n, "big")
        head += mask
    return head + payload


def write_ws(path: Path, mb: int) -> None:
    w = Writer(path)
    w.send("c2s", b"GET /feed HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    w.send("s2c", b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
    body = (b'{"seq":%08d,"price":101.25,"side":"buy","venue":"XNAS","note":"' + b"x" * 940 + b'"}')
    batch = 256
    for i in range(0, mb * 1024, batch):
        w.send("s2c", b"".join(ws_frame(body % (i + k)) for k in range(batch)))
        if i % 4096 == 0:
            w.send("c2s", ws_frame(b'{"ack":%d}' % i, mask=b"\x37\xfa\x21\x3d"))
    w.close()


def write_h2(path: Path, mb: int, body: int = 1024) -> None:
    """An h2c session: GETs answered by HEADERS and ``body`` bytes of DATA (in frames of at most 16 KiB)."""
    from hpack import Encoder

    def frame(ftype: int, flags: int, stream: int, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", stream) + payload

    enc_c, enc_s = Encoder(), Encoder()
    w = Writer(path)
    w.send("c2s", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + frame(4, 0, 0, struct.pack(">HI", 4, (1 << 31) - 1))
           + frame(8, 0, 0, struct.pack(">I", (1 << 31) - 1 - 65535)))
    w.send("s2c", frame(4, 0, 0, struct.pack(">HI", 3, 1 << 20)) + frame(4, 1, 0, b""))
    w.send("c2s", frame(4, 1, 0, b""))
    data = b"y" * min(body, 16384)
    stream, batch = 1, max(1, 65536 // body)
    for _ in range(0, mb * 1024 * 1024 // body, batch):
        reqs, resps = [], []
        for _ in range(batch):
            reqs.append(frame(1, 5, stream, enc_c.encode([(":method", "GET"), (":scheme", "http"), (":path",
                        f"/items/{stream}"), (":authority", "127.0.0.1:8080"), ("accept", "application/json")])))
            resps.append(frame(1, 4, stream, enc_s.encode([(":status", "200"), ("content-type",
                         "application/json"), ("content-length", str(body)), ("x-request", str(stream))])))
            for k in range(0, body, len(data)):
                resps.append(frame(0, 1 if k + len(data) >= body else 0, stream, data))
            stream += 2
        w.send("c2s", b"".join(reqs))
        w.send("s2c", b"".join(resps))
    w.close()


def timed(args: list[str], env: dict[str, str] | None = None, cwd: str | None = None) -> tuple[float, float]:
    """``(seconds, peak RSS in MB)`` of one run of ``args`` (its own rusage: ``wait4`` on that child)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err, stdin=subprocess.DEVNULL, env=env,
                                cwd=cwd)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode not in (0, 5):
            err.seek(0)
            raise SystemExit(f"{args[:4]} failed ({proc.returncode}): {err.read().decode()[-300:]}")
    return elapsed, usage.ru_maxrss / 1024


SCAPY = """
import sys, time
from scapy.all import PcapReader, TCP
start = time.perf_counter()
n = 0
with PcapReader(sys.argv[1]) as reader:
    for pkt in reader:
        if TCP in pkt:
            n += len(bytes(pkt[TCP].payload))
print(time.perf_counter() - start, n)
"""


def scapy_time(path: Path) -> float:
    r = subprocess.run([sys.executable, "-c", SCAPY, str(path)], capture_output=True, text=True)
    if r.returncode:
        raise SystemExit(f"scapy failed: {r.stderr[-300:]}")
    return float(r.stdout.split()[0])


Row = tuple[str, float, tuple[float, float], tuple[float, float] | None, tuple[float, float] | None, float | None]


def rows(tmp: Path, mb: int, only: str | None = None, before: str | None = None,
         peers: bool = True) -> Iterator[Row]:
    """``(name, MB, wiretool, wiretool before or None, tshark or None, scapy s or None)`` per capture."""
    cases = (("WebSocket", write_ws, "http"), ("h2c 1 KiB", write_h2, "http2"),
             ("h2c 64 KiB", lambda p, m: write_h2(p, m, 65536), "http2"))
    for name, write, proto in cases:
        if only is not None and name != only:
            continue
        path = tmp / f"{name.replace(' ', '-')}.pcap"
        write(path, mb)
        size = path.stat().st_size / 1e6
        args = ["frame", "decode", "--pcap", str(path), "--json"]
        ours = timed([WIRETOOL, *args])
        old = timed([sys.executable, "-m", "wiretool", *args], env={**os.environ, "PYTHONPATH": before},
                    cwd=before) if before else None  # run from there: ``-m`` puts the working directory first
        theirs = timed(["tshark", "-r", str(path), "-T", "json", "-d", f"tcp.port==8080,{proto}"]) if peers else None
        scapy = scapy_time(path) if peers else None
        yield name, size, ours, old, theirs, scapy
        path.unlink()


def main() -> int:
    quick = "--quick" in sys.argv
    mb = int(sys.argv[sys.argv.index("--mb") + 1]) if "--mb" in sys.argv else (10 if quick else 100)
    only = sys.argv[sys.argv.index("--only") + 1] if "--only" in sys.argv else None
    before = sys.argv[sys.argv.index("--before") + 1] if "--before" in sys.argv else None
    peers = "--no-peers" not in sys.argv
    if peers and not shutil.which("tshark"):
        raise SystemExit("tshark is needed (Debian package tshark)")
    tmp = Path(tempfile.mkdtemp(prefix="wiretool-bench-pcap-"))
    missed = []
    try:
        print(f"{'capture':<11} {'MB':>7} {'wiretool s':>11} {'RSS MB':>7}"
              + (f" {'before s':>9} {'RSS MB':>7} {'vs before':>10}" if before else "")
              + (f" {'tshark s':>9} {'RSS MB':>7} {'scapy s':>8} {'wiretool MB/s':>14} {'vs tshark':>10} "
                 f"{'vs scapy':>9}" if peers else ""))
        for name, size, (ours, rss), old, theirs, scapy in rows(tmp, mb, only, before, peers):
            line = f"{name:<11} {size:7.1f} {ours:11.2f} {rss:7.0f}"
            if old is not None:
                line += f" {old[0]:9.2f} {old[1]:7.0f} {old[0] / ours:9.2f}x"
            if theirs is not None and scapy is not None:
                ratio = theirs[0] / ours
                line += (f" {theirs[0]:9.2f} {theirs[1]:7.0f} {scapy:8.2f} {size / ours:14.1f} {ratio:9.2f}x "
                         f"{scapy / ours:8.2f}x")
                if ratio < 2:
                    missed.append(f"{name}: {ratio:.2f}x tshark (target 2x)")
            print(line, flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for m in missed:
        print(f"target missed: {m}")
    print(f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
