"""TLS in a pcap: listed as encrypted with SNI and ALPN without keys; decrypted with ``--keylog`` or the pcapng
Decryption Secrets Blocks ``editcap --inject-secrets`` adds, then decoded as plaintext, agreeing with tshark
given the same key log (``-o tls.keylog_file:``); wrong keys named, never a traceback."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.conftest import ServeProcess, run_wiretool
from tests.pcap.oracle import tcpdump, tshark_h2_frames, wiretool_h2_frames, wiretool_pcap


@pytest.fixture(scope="module")
def tls_h2(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, int]:
    """A pcap of curl fetching two URLs over HTTP/2 over TLS from ``serve h2 --self-signed``, and its key log."""
    tmp = tmp_path_factory.mktemp("tls")
    keys = tmp / "keys.txt"
    server = ServeProcess("h2", "--self-signed")
    port = int(server.url.rsplit(":", 1)[1])
    try:
        with tcpdump(tmp / "tls.pcap", port) as pcap:
            done = subprocess.run(["curl", "-s", "-o", "/dev/null", "-o", "/dev/null", "--http2", "--cacert",
                                   str(server.cacert), "-H", "x-secret-test: 1", f"{server.url}/",
                                   f"{server.url}/bytes/5000"], capture_output=True, timeout=30,
                                  env={"SSLKEYLOGFILE": str(keys), "PATH": "/usr/bin:/bin"})
            assert done.returncode == 0, done.stderr
    finally:
        server.stop()
    assert keys.read_text().strip()
    return pcap, keys, port


def test_without_keys_the_connection_is_listed_as_encrypted(tls_h2: tuple[Path, Path, int]) -> None:
    pcap, _, _ = tls_h2
    records = wiretool_pcap(pcap)
    conn = records[0]
    assert conn["protocol"] == "tls" and conn["encrypted"] is True and conn["decrypted"] is False
    assert "h2" in conn["alpn"] and "no keys" in conn["tls"]
    assert [r["type"] for r in records] == ["connection", "summary"]


def test_with_the_key_log_it_decodes_as_h2_and_agrees_with_tshark(tls_h2: tuple[Path, Path, int]) -> None:
    pcap, keys, port = tls_h2
    records = wiretool_pcap(pcap, "--keylog", str(keys))
    conn = records[0]
    assert conn["protocol"] == "h2" and conn["decrypted"] is True, conn
    ours = wiretool_h2_frames(records)
    theirs = tshark_h2_frames(pcap, port, decode_as=f"tcp.port=={port},tls", extra=["-o", f"tls.keylog_file:{keys}"])
    assert ours == theirs and len(ours["s2c"]) > 4
    paths = [v for r in records if r["type"] == "frame" and r["frame_type"] == "HEADERS" for n, v in r["headers"]
             if n == ":path"]
    assert paths == ["/", "/bytes/5000"]


def test_the_secrets_injected_into_a_pcapng_decrypt_it(tls_h2: tuple[Path, Path, int], tmp_path: Path) -> None:
    pcap, keys, _ = tls_h2
    out = tmp_path / "with-secrets.pcapng"
    subprocess.run(["editcap", "--inject-secrets", f"tls,{keys}", str(pcap), str(out)], check=True, timeout=30)
    records = wiretool_pcap(out)
    assert records[0]["protocol"] == "h2" and records[0]["decrypted"] is True
    assert records[-1]["frames"] == sum(1 for r in wiretool_pcap(pcap, "--keylog", str(keys)) if r["type"] == "frame")


def test_wrong_keys_are_named_and_the_connection_stays_encrypted(tls_h2: tuple[Path, Path, int],
                                                                 tmp_path: Path) -> None:
    pcap, keys, _ = tls_h2
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("\n".join(" ".join([p[0], p[1], "00" * (len(p[2]) // 2)]) for p in
                               (line.split() for line in keys.read_text().splitlines() if line.strip())) + "\n")
    result = run_wiretool(["frame", "decode", "--pcap", str(pcap), "--keylog", str(wrong), "--json"])
    assert result.exit_code == 0 and "Traceback" not in result.stderr
    conn = result.json_lines()[0]
    assert conn["protocol"] == "tls" and conn["decrypted"] is False
    assert "bad record MAC" in result.stderr or "bad record MAC" in (conn["tls"] or "")


def test_an_unreadable_key_log_is_a_usage_error(tls_h2: tuple[Path, Path, int], tmp_path: Path) -> None:
    pcap, _, _ = tls_h2
    result = run_wiretool(["frame", "decode", "--pcap", str(pcap), "--keylog", str(tmp_path / "none.txt")])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1
