"""TLS decryption side by side: wiretool's TlsConnection, tshark, and the bare AEAD floor, in one run.

    .venv/bin/python benchmarks/bench_tls.py [--quick]

One TLS session per suite (TLS 1.3 AES-256-GCM, TLS 1.2 AES-128-GCM, TLS 1.2 ChaCha20-Poly1305) moves
N MB of echo traffic over loopback between Python's ssl client and server, through a relay that records
the bytes, while tcpdump captures the same connection. Then:

- wiretool: ``TlsConnection.feed`` over the recorded chunks (framing, key schedule, AEAD, plaintext out);
- floor: the same number of records opened with ``cryptography``'s AEAD alone (what any Python decryptor
  pays), so the framing overhead shows;
- tshark: ``tshark -q -z follow,tls,raw,0 -o tls.keylog_file:`` on the capture (it also reads the pcap and
  reassembles TCP, so it is the tool people use, not an equal task), wall clock including start-up.

Issue 14 sets its speed target (2x tshark) on whole-pcap decoding, which the pcap benchmark measures; this
one prints MB of TLS records per second and the ratios, for the record.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.tls.peers import EchoServer  # noqa: E402  (the test peers: one relay, one echo server)
from tests.tls.relay import Relay  # noqa: E402
from tests.tls.tcpdump import Tcpdump  # noqa: E402
from wiretool.serve.certs import self_signed  # noqa: E402
from wiretool.tls import KeyLog, TlsConnection  # noqa: E402


def session(tmp: Path, megabytes: int, tls13: bool, ciphers: str | None):
    """Run one echo session of ``megabytes`` each way; return (chunks, keylog path, pcap path)."""
    certs = self_signed(directory=tmp)
    if ciphers:
        certs.context.set_ciphers(ciphers)
    server = EchoServer(certs.context)
    dump = Tcpdump(tmp / "capture.pcap", server.port)
    relay = Relay(("127.0.0.1", server.port))
    ctx = ssl.create_default_context(cafile=str(certs.ca_file))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3 if tls13 else ssl.TLSVersion.TLSv1_2
    if ciphers:
        ctx.set_ciphers(ciphers)
    ctx.keylog_filename = str(tmp / "keys.log")
    block = b"x" * 60000
    raw = socket.create_connection(("127.0.0.1", relay.port), timeout=30)
    with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        got, expected = 0, 0
        for _ in range(megabytes * 1_000_000 // len(block)):
            tls.sendall(block)
            expected += len(block) + 5
            while got < expected - 200_000:  # keep a little in flight, bounded
                got += len(tls.recv(1 << 20))
        while got < expected:
            got += len(tls.recv(1 << 20))
        tls.unwrap().close()
    server.join()
    chunks = relay.wait(30)
    return chunks, tmp / "keys.log", dump.stop()


def wiretool_decrypt(chunks, keylog: Path) -> float:
    """Seconds for TlsConnection over the chunks, from the key log to the last plaintext."""
    log = KeyLog.read(keylog)
    start = time.perf_counter()
    conn = TlsConnection(log)
    plain = 0
    for name, t, data in chunks:
        for p in conn.feed(name, data, t):
            plain += len(p.data)
    conn.finish(0.0)
    elapsed = time.perf_counter() - start
    assert conn.info.status == "decrypting", conn.info
    assert plain > 0
    return elapsed


def floor(chunks) -> float:
    """The bare AEAD cost: open every application record of both directions with the connection's keys."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    records = []
    for name in ("c2s", "s2c"):
        stream = b"".join(d for n, _, d in chunks if n == name)
        pos = 0
        while pos + 5 <= len(stream):
            length = int.from_bytes(stream[pos + 3:pos + 5], "big")
            if stream[pos] == 23:
                records.append(stream[pos + 5:pos + 5 + length])
            pos += 5 + length
    aead = AESGCM(b"k" * 16)
    nonce, aad = b"n" * 12, b"a" * 13
    sealed = [aead.encrypt(nonce, r[:-16], aad) for r in records]  # same sizes, valid tags
    start = time.perf_counter()
    for s in sealed:
        aead.decrypt(nonce, s, aad)
    return time.perf_counter() - start


def tshark(pcap: Path, keylog: Path) -> float:
    start = time.perf_counter()
    subprocess.run(["tshark", "-r", str(pcap), "-o", f"tls.keylog_file:{keylog}", "-q", "-z",
                    "follow,tls,raw,0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def main() -> None:
    quick = "--quick" in sys.argv
    megabytes = 4 if quick else 32
    cases = [("TLS 1.3 AES-256-GCM", True, None),
             ("TLS 1.2 AES-128-GCM", False, "ECDHE-ECDSA-AES128-GCM-SHA256"),
             ("TLS 1.2 ChaCha20-Poly1305", False, "ECDHE-ECDSA-CHACHA20-POLY1305")]
    print(f"{megabytes} MB each way per session; MB/s of TLS bytes on the wire (both directions)")
    print(f"{'suite':28} {'wire MB':>8} {'wiretool':>10} {'AEAD floor':>11} {'tshark':>10} {'vs tshark':>10}")
    for label, tls13, ciphers in cases:
        with tempfile.TemporaryDirectory(prefix="wiretool-bench-tls-") as tmp:
            chunks, keylog, pcap = session(Path(tmp), megabytes, tls13, ciphers)
            wire = sum(len(d) for _, _, d in chunks) / 1e6
            ours = min(wiretool_decrypt(chunks, keylog) for _ in range(3))
            bare = floor(chunks)
            theirs = min(tshark(pcap, keylog) for _ in range(2))
            print(f"{label:28} {wire:8.1f} {wire / ours:10.0f} {wire / bare:11.0f} {wire / theirs:10.0f} "
                  f"{theirs / ours:9.1f}x")


if __name__ == "__main__":
    main()
