"""``wiretool h2 get`` against nginx from Debian (``listen … ssl http2``, a throwaway CA), issue 11 #1 and #2.

nginx writes its SETTINGS as soon as TLS is accepted, so they can arrive before the client's first write:
the connection preface must still be the first bytes we send, and the ``connect`` record the first record.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_wiretool
from nginx import Nginx, start_nginx

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


@pytest.fixture(scope="module")
def nginx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    server = start_nginx(tmp_path_factory.mktemp("nginx"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def nginx_two_per_connection(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Nginx]:
    server = start_nginx(tmp_path_factory.mktemp("nginx-ka2"), server_extra="keepalive_requests 2;")
    yield server
    server.stop()


@pytest.mark.parametrize("attempt", range(6))
def test_preface_is_the_first_thing_sent_and_connect_the_first_record(nginx: Nginx, tmp_path: Path,
                                                                        attempt: int) -> None:
    from wiretool.capture.file import read_capture

    path = tmp_path / "nginx.capture"
    res = run_wiretool(["h2", "get", "--json", "--timeout", "20", "--cacert", nginx.cacert, "--record", str(path),
                        f"{nginx.url}/"])
    assert res.exit_code == 0, res.stderr
    recs = res.json_lines()
    assert recs[0]["type"] == "connect", recs[:3]
    assert not any(r.get("violations") for r in recs), [r for r in recs if r.get("violations")]
    sent = [r for r in recs if r["type"] == "frame" and r["dir"] == "send"]
    assert sent[0]["frame_type"] == "SETTINGS" and "ACK" not in sent[0]["flags"]
    assert read_capture(path).stream("send").startswith(PREFACE + b"\x00")  # the preface, then our SETTINGS
    assert recs[-1]["type"] == "summary" and recs[-1]["responses"] == 1
    assert "missing_preface" not in res.stdout + res.stderr


def test_graceful_goaway_completes_the_streams_it_covers_and_names_the_others(nginx_two_per_connection: Nginx) -> None:
    server = nginx_two_per_connection
    res = run_wiretool(["h2", "get", "--json", "--timeout", "20", "--cacert", server.cacert, f"{server.url}/", "--repeat", "4"])
    recs = res.json_lines()
    goaway = [r for r in recs if r["type"] == "frame" and r["dir"] == "recv" and r["frame_type"] == "GOAWAY"]
    assert goaway and goaway[0]["error_code"] == "NO_ERROR", goaway
    last = goaway[0]["last_stream_id"]
    assert res.exit_code == 8, res.stderr
    summary = recs[-1]
    assert summary["responses"] == (last + 1) // 2, summary
    assert "not processed by the server" in res.stderr and f"stream {last + 2}" in res.stderr, res.stderr
    assert "Invalid input" not in res.stderr and "PROTOCOL_ERROR" not in res.stdout + res.stderr
    sent_goaway = [r for r in recs if r["type"] == "frame" and r["dir"] == "send" and r["frame_type"] == "GOAWAY"]
    assert all(r["error_code"] == "NO_ERROR" for r in sent_goaway)
