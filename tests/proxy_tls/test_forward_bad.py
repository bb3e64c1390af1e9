"""Forward mode's refusals, each named in one line on that connection while the others go on: a CONNECT to
a closed port (502), a request it cannot route (400), a client that does not trust the CA, a server whose
certificate does not verify; --no-intercept; absolute-form requests."""

from __future__ import annotations

import socket
from pathlib import Path

from conftest import ServeProcess, free_port
from fwdhelp import ForwardProxy, curl, of


def _ask(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(request)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
        return data


def test_connect_to_a_closed_port_is_502_and_one_line_and_the_next_connection_works(tmp_path: Path) -> None:
    server = ServeProcess("h2", "--self-signed")
    proxy = ForwardProxy(tmp_path / "ca", "--cacert", str(server.cacert))
    closed = free_port()
    try:
        answer = _ask(proxy.port, f"CONNECT 127.0.0.1:{closed} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert answer.startswith(b"HTTP/1.1 502 Bad Gateway\r\n")
        assert f"cannot connect to 127.0.0.1:{closed}: Connection refused".encode() in answer
        done = curl("--proxy", proxy.url, "--cacert", proxy.ca, "--http2", f"{server.url}/bytes/3")
        assert done.returncode == 0 and len(done.stdout) == 3, done.stderr
    finally:
        records = proxy.stop()
        server.stop()
    assert "Traceback" not in proxy.err
    ends = of(records, "proxy", "end")
    assert [e["conn"] for e in ends] == [1, 2]
    assert ends[0]["error"] == f"cannot connect to 127.0.0.1:{closed}: Connection refused"
    assert ends[1]["error"] is None and ends[1]["protocol"] == "h2"
    assert records[-1]["type"] == "summary" and records[-1]["connections"] == 2 and records[-1]["failed"] == 1


def test_what_a_forward_proxy_cannot_route_is_400(tmp_path: Path) -> None:
    proxy = ForwardProxy(tmp_path / "ca")
    try:
        origin = _ask(proxy.port, b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
        garbage = _ask(proxy.port, b"\x00\x07\xffgarbage\r\n\r\n")
    finally:
        records = proxy.stop()
    assert origin.startswith(b"HTTP/1.1 400 Bad Request\r\n") and b"absolute URL" in origin
    assert garbage.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    errors = [e["error"] for e in of(records, "proxy", "end")]
    assert "needs an absolute URL" in errors[0] and "use --upstream" in errors[0]
    assert errors[1].startswith("not an HTTP/1.1 request line") and "\x00" not in proxy.out
    assert "Traceback" not in proxy.err


def test_a_client_that_does_not_trust_the_ca_is_named(tmp_path: Path) -> None:
    server = ServeProcess("h2", "--self-signed")
    proxy = ForwardProxy(tmp_path / "ca", "--cacert", str(server.cacert))
    try:
        done = curl("--proxy", proxy.url, f"{server.url}/bytes/3")  # no --cacert: curl refuses our leaf
        assert done.returncode == 60, done.stderr
    finally:
        records = proxy.stop()
        server.stop()
    error = of(records, "proxy", "end")[0]["error"]
    assert "TLS handshake with the client failed" in error and "wiretool proxy ca" in error
    assert "Traceback" not in proxy.err


def test_an_unverifiable_server_is_named_and_not_relayed(tmp_path: Path) -> None:
    server = ServeProcess("h2", "--self-signed")
    proxy = ForwardProxy(tmp_path / "ca")  # no --cacert for the server's CA
    try:
        done = curl("--proxy", proxy.url, "--cacert", proxy.ca, f"{server.url}/bytes/3")
        assert done.returncode != 0 and done.stdout == b""
    finally:
        records = proxy.stop()
        server.stop()
    error = of(records, "proxy", "end")[0]["error"]
    assert "127.0.0.1: TLS certificate verification failed" in error and "--cacert or --insecure" in error
    assert not of(records, "h2", "frame")
    assert "Traceback" not in proxy.err


def test_insecure_skips_the_server_check(tmp_path: Path) -> None:
    server = ServeProcess("h2", "--self-signed")
    proxy = ForwardProxy(tmp_path / "ca", "--insecure")
    try:
        done = curl("--proxy", proxy.url, "--cacert", proxy.ca, "--http2", f"{server.url}/bytes/3")
        assert done.returncode == 0 and len(done.stdout) == 3, done.stderr
    finally:
        records = proxy.stop()
        server.stop()
    assert of(records, "proxy", "end")[0]["protocol"] == "h2"


def test_no_intercept_passes_tls_through_untouched(tmp_path: Path) -> None:
    server = ServeProcess("h2", "--self-signed")
    proxy = ForwardProxy(tmp_path / "ca", "--no-intercept", "127.0.0.*")
    try:
        # the client sees the server's own certificate: it trusts the server's CA, not the proxy's
        done = curl("--proxy", proxy.url, "--cacert", str(server.cacert), "--http2", f"{server.url}/bytes/4")
        assert done.returncode == 0 and len(done.stdout) == 4, done.stderr
    finally:
        records = proxy.stop()
        server.stop()
    opened, end = of(records, "proxy", "open")[0], of(records, "proxy", "end")[0]
    assert opened["tls"] is False and opened["alpn"] is None
    assert end["protocol"] == "tcp" and end["bytes_c2s"] > 0 and end["bytes_s2c"] > 0
    assert not of(records, "h2", "frame")


def test_absolute_form_goes_to_its_host_in_origin_form(tmp_path: Path) -> None:
    server = ServeProcess("sse", "--count", "2", "--interval", "0")
    proxy = ForwardProxy(tmp_path / "ca")
    try:
        done = curl("--proxy", proxy.url, "-N", f"{server.url}/events")
        assert done.stdout.count(b"data:") == 2, done.stderr
    finally:
        records = proxy.stop()
        server.stop()
    request = of(records, "http", "request")[0]
    assert (request["method"], request["target"]) == ("GET", "/events")
    assert len(of(records, "sse", "event")) == 2
    assert of(records, "proxy", "open")[0]["upstream"] == server.url.removeprefix("http://")


def test_a_huge_request_head_is_400(tmp_path: Path) -> None:
    proxy = ForwardProxy(tmp_path / "ca")
    try:
        answer = _ask(proxy.port, b"GET http://127.0.0.1:9/ HTTP/1.1\r\nX: " + b"a" * 70000 + b"\r\n\r\n")
    finally:
        records = proxy.stop()
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert of(records, "proxy", "end")[0]["error"] == "request head longer than 65536 bytes"
