"""``wiretool probe h2`` against real HTTP/2 servers on loopback: nghttpd, hypercorn, ``serve h2``, nginx
(TLS) and node's http2 module, plus servers that refuse or do not speak h2."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ServeProcess, answer_http1, canned_server, free_port, run_cli, run_wiretool

HERE = Path(__file__).resolve().parent
H2_LIBRARY_FAILS = {"http2/4.3/1", "http2/6.5/1", "hpack/2.3.3/1", "hpack/4.2/1", "hpack/5.2/1", "hpack/5.2/2",
                    "hpack/6.1/1", "hpack/6.3/1"}
"""python-h2 (under hypercorn and serve h2) answers HPACK errors with PROTOCOL_ERROR, not COMPRESSION_ERROR
(RFC 9113 §4.3), and a SETTINGS ACK with a payload with PROTOCOL_ERROR, not FRAME_SIZE_ERROR (§6.5)."""


def _probe(url: str, *args: str) -> tuple[int, dict[str, dict], dict]:
    result = run_wiretool(["probe", "h2", url, "--json", *args], timeout=180)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert records and records[-1]["type"] == "summary", result.stderr
    return result.exit_code, {r["id"]: r for r in records if r["type"] == "case"}, records[-1]


def _failed(cases: dict[str, dict]) -> set[str]:
    return {cid for cid, c in cases.items() if c["verdict"] == "FAILED"}


@contextlib.contextmanager
def _process(cmd: list[str], port: int) -> Iterator[None]:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while True:
            assert proc.poll() is None, f"{cmd[0]} exited with {proc.returncode}"
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            assert time.monotonic() < deadline, f"{cmd} did not listen"
            time.sleep(0.05)
        yield
    finally:
        proc.kill()
        proc.wait(5)


@pytest.mark.slow
def test_nghttpd_h2c() -> None:
    port = free_port()
    with _process(["nghttpd", "--no-tls", str(port)], port):
        code, cases, summary = _probe(f"http://127.0.0.1:{port}/")
    assert len(cases) == summary["cases"] == 109
    # nghttpd ignores a request on a stream lower than one already opened; RFC 9113 §5.1.1 asks for a
    # connection error of type PROTOCOL_ERROR
    assert _failed(cases) == {"http2/5.1.1/2"}
    assert cases["http2/5.1.1/2"]["reason"].startswith("no connection error (PROTOCOL_ERROR) within the wait")
    assert cases["generic/3.6/1"]["reason"] == "PING ACK with the same data"
    assert code == 5


@pytest.mark.slow
def test_hypercorn_h2c_and_tls(tmp_path: Path) -> None:
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert.cert_chain_pems[0].write_to_path(str(tmp_path / "c.pem"))
    cert.private_key_pem.write_to_path(str(tmp_path / "k.pem"))
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    app = str(HERE / "servers" / "hypercorn_app.py")
    port = free_port()
    with _process([sys.executable, app, str(port)], port):
        _, cases, _ = _probe(f"http://127.0.0.1:{port}/")
    assert _failed(cases) == H2_LIBRARY_FAILS
    assert cases["hpack/6.1/1"]["reason"] == "GOAWAY PROTOCOL_ERROR; expected COMPRESSION_ERROR"
    port = free_port()
    with _process([sys.executable, app, str(port), str(tmp_path / "c.pem"), str(tmp_path / "k.pem")], port):
        _, cases, _ = _probe(f"https://127.0.0.1:{port}/", "--cacert", str(tmp_path / "ca.pem"),
                             "--cases", "generic/*,http2/6.5*")
    assert cases and _failed(cases) == {"http2/6.5/1"}


@pytest.mark.slow
def test_serve_h2() -> None:
    server = ServeProcess("h2")
    try:
        code, cases, _ = _probe(server.url + "/")
    finally:
        server.stop()
    # serve h2 does not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL, yet python-h2 lets :protocol through
    assert _failed(cases) == H2_LIBRARY_FAILS | {"http2/rfc8441/2"} and code == 5


@pytest.mark.slow
def test_nginx_tls(tmp_path: Path) -> None:
    sys.path.insert(0, str(HERE.parent / "peers"))
    from nginx import start_nginx

    nginx = start_nginx(tmp_path / "nginx")
    try:
        code, cases, _ = _probe(nginx.url + "/", "--cacert", nginx.cacert)
    finally:
        nginx.stop()
    assert len(cases) == 109 and code == 5
    assert all(cases[c]["verdict"] == "OK" for c in ("generic/1/1", "generic/3.6/1", "generic/4/1", "http2/6.5/3"))
    # nginx answers a malformed request with 400 rather than resetting the stream
    assert cases["http2/8.1.2.3/2"]["verdict"] == "NON-STRICT"
    assert cases["http2/8.1.2.3/2"]["reason"].startswith("the server answered 400 instead of resetting")


@pytest.mark.slow
def test_node_http2() -> None:
    port = free_port()
    with _process(["node", str(HERE.parent / "peers" / "npm" / "probe" / "h2_server.js"), str(port)], port):
        code, cases, _ = _probe(f"http://127.0.0.1:{port}/")
    assert len(cases) == 109 and code == 5
    assert cases["generic/4/1"]["verdict"] == "OK"
    # node ends every connection error with GOAWAY INTERNAL_ERROR, whatever the RFC names
    assert cases["http2/6.7/3"]["reason"] == "GOAWAY INTERNAL_ERROR; expected PROTOCOL_ERROR"


def test_refused_is_exit_3() -> None:
    result = run_wiretool(["probe", "h2", f"http://127.0.0.1:{free_port()}/"])
    assert result.exit_code == 3 and "cannot connect" in result.stderr and "Traceback" not in result.stderr


def test_http1_server_is_exit_4() -> None:
    with canned_server(answer_http1(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")) as port:
        result = run_wiretool(["probe", "h2", f"http://127.0.0.1:{port}/", "--connect-timeout", "2"])
    assert result.exit_code == 4, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_list_and_usage() -> None:
    listed = run_cli(["probe", "h2", "http://127.0.0.1:1/", "--list", "--cases", "hpack/*"])
    assert listed.exit_code == 0
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == [
        "hpack/2.3.3/1", "hpack/4.2/1", "hpack/5.2/1", "hpack/5.2/2", "hpack/6.1/1", "hpack/6.3/1"]
    assert run_cli(["probe", "h2", "ws://x/"]).exit_code == 2
    assert run_cli(["probe", "h2", "http://x/", "--cases", "nope"]).exit_code == 2


@pytest.fixture(scope="module")
def nghttpd_port() -> Iterator[int]:
    port = free_port()
    with _process(["nghttpd", "--no-tls", str(port)], port):
        yield port


@pytest.mark.slow
@pytest.mark.parametrize("defect", ["drop-rst-stream", "compression-error-as-protocol-error", "strip-end-stream"])
def test_each_defect_is_found_by_the_cases_that_rely_on_it_and_no_other(defect: str, nghttpd_port: int) -> None:
    from h2_defects import DefectProxy

    from wiretool.probe.h2_cases import all_cases

    kinds = {c.id: c.expect.kind for c in all_cases()}
    _, before, _ = _probe(f"http://127.0.0.1:{nghttpd_port}/")
    with DefectProxy(nghttpd_port, defect) as url:
        code, after, _ = _probe(url)
    changed = {cid for cid in before if before[cid]["verdict"] != after[cid]["verdict"]}
    flipped = {cid for cid in changed if after[cid]["verdict"] == "FAILED"}
    assert flipped and changed == flipped, {cid: after[cid]["reason"] for cid in changed - flipped}
    if defect == "drop-rst-stream":  # exactly the cases nghttpd passed by resetting the stream
        relied = {cid for cid, c in before.items() if c["reason"].startswith("RST_STREAM")}
        assert flipped == relied and {kinds[c] for c in flipped} == {"stream"}
    elif defect == "compression-error-as-protocol-error":  # HPACK errors, and the invalid header block
        assert flipped == {cid for cid, c in before.items() if c["reason"] == "GOAWAY COMPRESSION_ERROR"}
        assert flipped >= {"hpack/2.3.3/1", "hpack/6.1/1", "http2/4.3/1"}
    else:  # responses never end: every case that waits for one
        assert flipped == {cid for cid, c in before.items() if kinds[cid] == "response" and c["verdict"] == "OK"}
    assert code == 5


@pytest.mark.slow
def test_resource_checks_against_nghttpd(nghttpd_port: int) -> None:
    code, cases, _ = _probe(f"http://127.0.0.1:{nghttpd_port}/", "--cases", "limits/*,http2/rfc8441/*")
    assert {cid: c["verdict"] for cid, c in cases.items()} == {
        "limits/rapid-reset/1": "OK", "limits/continuation-flood/1": "OK", "limits/settings-flood/1": "OK",
        "limits/ping-flood/1": "OK", "http2/rfc8441/1": "UNIMPLEMENTED", "http2/rfc8441/2": "OK"}
    assert cases["limits/continuation-flood/1"]["reason"] in ("the connection was closed",
                                                              "GOAWAY PROTOCOL_ERROR", "GOAWAY ENHANCE_YOUR_CALM")
    assert code == 0
