"""Writing pcapng side by side: wiretool's own writer (``wiretool/capture/pcapng.py``) and dpkt's.

    .venv/bin/python benchmarks/bench_pcapng.py [--quick]

Both write the same N synthetic TCP segments (IPv4, checksums computed, 64-byte payloads, the shape of a
WebSocket flood) to a file in /tmp, best of 3; dpkt builds each packet with ``dpkt.ip.IP``/``dpkt.tcp.TCP``
(checksums computed on pack) and writes Enhanced Packet Blocks with ``dpkt.pcapng.Writer``. This is why the
export writes its own blocks (docs/capture-format.md, "Exports"); tshark reads both files.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time


def ours(path: str, n: int, payload: bytes) -> None:
    from wiretool.capture.pcapng import PcapngWriter

    w = PcapngWriter(path, start=1e9)
    w.connection(0, proto="ws", client=("127.0.0.1", 50000), server=("127.0.0.1", 8765))
    for i in range(n):
        w.chunk("recv" if i % 2 else "send", i * 1e-5, payload)
    w.close()


def with_dpkt(path: str, n: int, payload: bytes) -> None:
    import socket

    import dpkt

    src, dst = socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.1")
    seq = {True: 1, False: 1}
    with open(path, "wb") as f:
        w = dpkt.pcapng.Writer(f, linktype=dpkt.pcap.DLT_RAW)
        for i in range(n):
            client = not i % 2
            tcp = dpkt.tcp.TCP(sport=50000 if client else 8765, dport=8765 if client else 50000, seq=seq[client],
                               ack=seq[not client], flags=dpkt.tcp.TH_PUSH | dpkt.tcp.TH_ACK, data=payload)
            seq[client] += len(payload)
            ip = dpkt.ip.IP(src=src, dst=dst, p=dpkt.ip.IP_PROTO_TCP, data=tcp, ttl=64)
            ip.len = len(ip)
            w.writepkt(bytes(ip), ts=1e9 + i * 1e-5)


def main() -> None:
    n = 20_000 if "--quick" in sys.argv else 200_000
    payload = b"\x81\x3e" + b"x" * 62
    tmp = tempfile.mkdtemp(prefix="wiretool-bench-pcapng-")
    print(f"{n:,} TCP segments of {len(payload)} bytes to pcapng, best of 3")
    best = {}
    for name, fn in (("wiretool (own blocks)", ours), ("dpkt 1.9 pcapng.Writer", with_dpkt)):
        path = os.path.join(tmp, name.split()[0] + ".pcapng")
        try:
            times = []
            for _ in range(3):
                start = time.perf_counter()
                fn(path, n, payload)
                times.append(time.perf_counter() - start)
        except ImportError:
            print(f"  {name:26s} absent (pip install dpkt)")
            continue
        best[name] = min(times)
        print(f"  {name:26s} {best[name]:7.3f} s  {n / best[name]:10,.0f} packets/s  {os.path.getsize(path):,} bytes")
    if len(best) == 2:
        a, b = best.values()
        print(f"  dpkt takes {b / a:.2f}x wiretool's time")
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
