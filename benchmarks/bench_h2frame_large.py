"""Benchmark one large HTTP/2 DATA frame arriving in small reads: the frame view must cost linear time.

    .venv/bin/python benchmarks/bench_h2frame_large.py [--quick]

A socket hands a big DATA frame over in reads of 16 KiB. A view that re-copies its whole pending buffer
on every read costs O(n^2) (8 MiB: ~0.44 s); one that waits for the bytes a frame needs costs O(n).
This prints the time for 1, 4 and 8 MiB frames fed in 16 KiB reads, the time per MiB, and PASS when
the 8 MiB frame costs at most 2.5x per MiB what the 1 MiB frame does (a quadratic view is ~8x).
There is no peer here: the comparison is the view against itself at three sizes.
"""

from __future__ import annotations

import argparse
import gc
import struct
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wiretool.codec.h2frame import H2FrameView  # noqa: E402

READ = 16 * 1024
MIB = 1 << 20
SIZES = (1, 4, 8)
MAX_FRAME_SETTINGS = struct.pack(">HBBBL", 0, 6, 4, 0, 0) + struct.pack(">HL", 5, 2**24 - 1)


def data_frame(length: int) -> bytes:
    """A DATA frame on stream 1 with ``length`` bytes of payload (END_STREAM set)."""
    return struct.pack(">HBBBL", length >> 8, length & 0xFF, 0, 1, 1) + b"x" * length


def feed_in_reads(wire: bytes, read: int = READ) -> int:
    """Feed ``wire`` to a fresh view in ``read``-byte pieces; return how many records came out."""
    view = H2FrameView(preface={"send": "none", "recv": "none"})
    view.feed("send", MAX_FRAME_SETTINGS)  # we allow the peer frames up to 2^24-1 bytes
    mv = memoryview(wire)
    records = 0
    for pos in range(0, len(wire), read):
        records += len(view.feed("recv", bytes(mv[pos:pos + read])))
    return records + len(view.finish("recv"))


def best_of(repeats: int, wire: bytes) -> float:
    """Smallest wall time of ``repeats`` feeds of ``wire`` (garbage collected in between)."""
    times = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        got = feed_in_reads(wire)
        times.append(time.perf_counter() - t0)
        assert got == 1, f"expected one DATA frame record, got {got}"
    return min(times)


def main(argv: list[str]) -> int:
    """Print one line per size and PASS/MISS for linearity."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args(argv)
    repeats = 2 if args.quick else 5
    per_mib: dict[int, float] = {}
    print(f"h2 frame view: one DATA frame fed in {READ // 1024} KiB reads (best of {repeats})")
    for size in SIZES:
        seconds = best_of(repeats, data_frame(size * MIB))
        per_mib[size] = seconds / size
        print(f"  {size:>2} MiB  {seconds * 1000:8.2f} ms  ({per_mib[size] * 1000:.2f} ms/MiB)")
    ratio = per_mib[SIZES[-1]] / per_mib[SIZES[0]]
    verdict = "PASS" if ratio <= 2.5 else "MISS"
    print(f"  linear: {SIZES[-1]} MiB costs {ratio:.2f}x per MiB what {SIZES[0]} MiB does "
          f"(target <= 2.5x) {verdict}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
