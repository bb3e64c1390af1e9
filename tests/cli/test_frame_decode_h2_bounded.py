"""``frame decode --proto h2`` works ``CHUNK`` bytes at a time (issue 12 #8): the records of a large input are
written as they are made, never all kept, so peak RSS grows with the input's bytes (read whole) and not with
its ~40x larger records.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import WIRETOOL


def _frames(n: int) -> bytes:
    """``n`` small PING frames and DATA frames on stream 1 (server side: no preface), 17-26 bytes each."""
    ping = b"\x00\x00\x08\x06\x00\x00\x00\x00\x00" + b"12345678"
    data = b"\x00\x00\x03\x00\x00\x00\x00\x00\x01abc"
    return (ping + data) * (n // 2)


def _peak(path: Path) -> tuple[int, dict, int]:
    code = ("import json, resource, subprocess, sys\n"
            "p = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)\n"
            "last = p.stdout.rstrip().rsplit(b'\\n', 1)[-1].decode()\n"
            "print(json.dumps([p.returncode, last, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss]))\n")
    proc = subprocess.run([sys.executable, "-c", code, WIRETOOL, "--json", "frame", "decode", "--proto", "h2",
                           "--encoding", "raw", "--file", str(path)],
                          capture_output=True, timeout=300, env={"NO_COLOR": "1", "PATH": "/usr/bin:/bin"})
    rc, last, rss = json.loads(proc.stdout)
    return rc, json.loads(last), rss


def test_h2_decode_peak_rss_stays_bounded_as_the_input_grows_4x(tmp_path: Path) -> None:
    small, big = tmp_path / "s.bin", tmp_path / "b.bin"
    small.write_bytes(_frames(100_000))
    big.write_bytes(_frames(400_000))
    rc, summary, rss_small = _peak(small)
    assert rc in (0, 5) and summary["type"] == "summary" and summary["frames"] == 100_000
    rc, summary, rss_big = _peak(big)
    assert summary["frames"] == 400_000
    grown_kb = (big.stat().st_size - small.stat().st_size) // 1000
    # The input itself is read whole (~6 MB more); its records (~40x that) must not be kept.
    assert rss_big < rss_small + 3 * grown_kb + 20_000, f"peak RSS {rss_small} kB -> {rss_big} kB"
