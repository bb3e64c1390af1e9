"""tcpdump on loopback for the tshark oracle: start it on one port, wait until it listens, stop it by pid."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import time
from pathlib import Path

from tests.pcap.oracle import BUFFER_KIB, all_ended, wait_for_the_ends  # BUFFER_KIB: see there


class Tcpdump:
    """``tcpdump -i lo -U -w FILE tcp port PORT``, started and stopped by this test only."""

    def __init__(self, path: Path, port: int) -> None:
        self.path = path
        probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        probe.bind(("127.0.0.1", 0))
        probe_port = probe.getsockname()[1]
        self.proc = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "--immediate-mode", "-B", BUFFER_KIB, "-Z", "root",
                                      "-s", "0", "-n",
                                      "-w", str(path), f"tcp port {port} or udp port {probe_port}"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert self.proc.stderr is not None
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # bounded: tcpdump says "listening on lo" once it captures
            line = self.proc.stderr.readline()
            if not line or b"listening on" in line:
                break
        # "listening" can come a moment before packets are written: send UDP datagrams to ourselves until one
        # is in the file (past the 24-byte pcap header), so the session's first SYN is captured. TCP stream 0,
        # which tshark follows, is still the session's.
        with probe:
            while time.monotonic() < deadline:
                probe.sendto(b"armed?", ("127.0.0.1", probe_port))
                time.sleep(0.05)
                if path.exists() and path.stat().st_size > 24:
                    break

    def stop(self) -> Path:
        """Once every connection's FIN or RST is in the file (tcpdump is behind the kernel by some packets), stop
        tcpdump; fail naming its drop count if the kernel dropped any."""
        wait_for_the_ends(self.path)
        self.proc.send_signal(signal.SIGINT)
        _, err = self.proc.communicate(timeout=10)
        said = err.decode(errors="replace")
        dropped = re.search(r"(\d+) packets? dropped by kernel", said)
        assert not (dropped and int(dropped.group(1))) and all_ended(self.path), f"tcpdump lost packets: {said!r}"
        return self.path


def tshark_tls_follow(pcap: Path, keylog: Path, server_port: int) -> dict[str, bytes]:
    """What tshark decrypts of TCP stream 0, per direction (``s2c``: sent from ``server_port``)."""
    out = subprocess.run(["tshark", "-r", str(pcap), "-o", f"tls.keylog_file:{keylog}", "-q",
                          "-z", "follow,tls,raw,0"], capture_output=True, check=True, timeout=60).stdout
    plain = {"c2s": bytearray(), "s2c": bytearray()}
    node0 = "c2s"
    for line in out.decode().splitlines():
        if line.startswith("Node 0: "):  # the node of the unindented lines: the server when it spoke first
            node0 = "s2c" if line.endswith(f":{server_port}") else "c2s"
        if not line.strip() or line.startswith(("=", "Follow:", "Filter:", "Node ")):
            continue
        first = not line.startswith("\t")
        name = node0 if first else ("c2s" if node0 == "s2c" else "s2c")
        plain[name] += bytes.fromhex(line.strip())
    return {k: bytes(v) for k, v in plain.items()}


def tshark_fields(pcap: Path, keylog: Path, fields: list[str], display_filter: str) -> list[list[str]]:
    """``tshark -T fields`` rows for the packets matching ``display_filter``."""
    args = ["tshark", "-r", str(pcap), "-o", f"tls.keylog_file:{keylog}", "-Y", display_filter, "-T", "fields"]
    for field in fields:
        args += ["-e", field]
    out = subprocess.run(args, capture_output=True, check=True, timeout=60).stdout.decode()
    return [line.split("\t") for line in out.splitlines() if line.strip()]
