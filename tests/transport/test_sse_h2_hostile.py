"""Hostile servers and careless users against ``sse tail``, ``h2 get`` and ``h2 grpc``.

Each case once ended in an "internal error" (exit 1), a traceback, or a nonsense exit status; each now ends
with a one-line error and its documented exit code. The servers are raw sockets on 127.0.0.1 that answer
every connection with canned bytes, so the hostile part is exactly what the test says.
"""

from __future__ import annotations

import gzip
import json
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import h2.config
import h2.connection
import h2.events
from conftest import answer_http1, canned_server, h2c_until_request, run_cli, run_wiretool


@contextmanager
def canned_http(answer: Callable[[socket.socket], None]) -> Iterator[str]:
    """conftest's canned server, as a base URL."""
    with canned_server(answer, conn_timeout=5) as port:
        yield f"http://127.0.0.1:{port}/"


def _grpc_trailers(trailers: list[tuple[bytes, bytes]]) -> Callable[[socket.socket], None]:
    """An h2c server answering one gRPC call with an empty message and ``trailers``."""
    def answer(conn: socket.socket) -> None:
        h2c = h2c_until_request(conn)
        if h2c is None:
            return
        h2c.send_headers(1, [(b":status", b"200"), (b"content-type", b"application/grpc")])
        h2c.send_data(1, b"\x00\x00\x00\x00\x00")
        h2c.send_headers(1, trailers, end_stream=True)
        conn.sendall(h2c.data_to_send())
        conn.recv(65536)  # the client's GOAWAY
    return answer


def _ndjson(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


SSE = ["sse", "tail", "--timeout", "10", "--json"]


def test_sse_bad_gzip_body_is_a_protocol_error_not_internal() -> None:
    body = b"this is not gzip"
    resp = (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/event-stream\r\nContent-Encoding: gzip\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body)
    with canned_http(answer_http1(resp)) as url:
        res = run_cli([*SSE, url, "--no-reconnect"])
    assert res.exit_code == 5, res.stderr
    assert "cannot decode the body" in res.stderr and "internal error" not in res.stderr
    assert [r["type"] for r in _ndjson(res.stdout)][-2:] == ["error", "summary"]


def test_sse_good_gzip_body_still_decodes() -> None:
    body = gzip.compress(b"data: hello\n\n")
    resp = (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/event-stream\r\nContent-Encoding: gzip\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body)
    with canned_http(answer_http1(resp)) as url:
        res = run_cli([*SSE, url, "--no-reconnect"])
    assert res.exit_code == 0, res.stderr
    assert [r["data"] for r in _ndjson(res.stdout) if r["type"] == "event"] == ["hello"]


def test_sse_redirect_loop_is_refused_exit_4() -> None:
    with canned_http(answer_http1(b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")) as url:
        res = run_cli([*SSE, url, "--no-reconnect"])
    assert res.exit_code == 4, res.stderr
    assert "too many redirects" in res.stderr
    assert _ndjson(res.stdout)[-1]["type"] == "summary"


def test_sse_non_ascii_server_id_is_sent_back_as_last_event_id() -> None:
    # Invalid UTF-8 in the id becomes U+FFFD; the reconnection must still send it (as UTF-8), not crash.
    seen: list[bytes] = []

    def answer(conn: socket.socket) -> None:
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                return
            head += chunk
        seen.append(head)
        body = b"id: \xff\ndata: x\n\n"
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/event-stream\r\nContent-Length: %d\r\n\r\n"
                     % len(body) + body)

    with canned_http(answer) as url:
        res = run_cli([*SSE, url, "--reconnect-delay", "0", "--max-reconnects", "1"])
    assert res.exit_code == 0, res.stderr
    assert len(seen) == 2
    assert "last-event-id: \ufffd" in seen[1].decode("utf-8").lower()


def test_sse_careless_inputs_are_usage_errors() -> None:
    for args, words in [
        (["http://127.0.0.1:99999/"], "port 99999"),
        (["http://127.0.0.1:abc/"], "bad URL"),
        (["http://[::1/"], "bad URL"),
        (["http://"], "no host"),
        (["http://127.0.0.1:9/", "-X", "GE T"], "bad method"),
        (["http://127.0.0.1:9/", "-H", "Bad Name: v"], "bad header name"),
        (["http://127.0.0.1:9/", "-H", "X: a\rb"], "CR, LF or NUL"),
    ]:
        res = run_cli(["sse", "tail", *args, "--timeout", "5"])
        assert res.exit_code == 2, (args, res.stderr)
        assert words in res.stderr and "internal error" not in res.stderr, (args, res.stderr)


def test_sse_non_ascii_header_value_is_sent_as_utf8() -> None:
    seen: list[bytes] = []

    def answer(conn: socket.socket) -> None:
        head = conn.recv(65536)
        seen.append(head)
        conn.sendall(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")

    with canned_http(answer) as url:
        res = run_cli([*SSE, url, "-H", "X-Name: caf\u00e9"])
    assert res.exit_code == 0, res.stderr
    assert "x-name: caf\u00e9" in seen[0].decode("utf-8").lower()


def test_h2_get_unclosed_ipv6_bracket_is_a_usage_error() -> None:
    res = run_cli(["h2", "get", "http://[::1/", "--timeout", "5"])
    assert res.exit_code == 2, res.stderr
    assert "bad URL" in res.stderr and "internal error" not in res.stderr


def test_grpc_status_not_ascii_digits_is_unknown_without_traceback() -> None:
    # '²'.isdigit() is true but int('²') raises: this once crashed inside data_received (asyncio traceback).
    with canned_http(_grpc_trailers([(b"grpc-status", "\u00b2".encode())])) as url:
        res = run_wiretool(["h2", "grpc", url, "/a.B/C", "--timeout", "10", "--json"], timeout=30)
    assert res.exit_code == 64 + 2, res.stderr
    assert "Traceback" not in res.stderr
    status = [r for r in _ndjson(res.stdout) if r["type"] == "status"]
    assert status[0]["code"] == 2 and "malformed grpc-status" in status[0]["message"]


def test_grpc_status_too_large_does_not_overflow_the_exit_status() -> None:
    with canned_http(_grpc_trailers([(b"grpc-status", b"99999999999999999999")])) as url:
        res = run_cli(["h2", "grpc", url, "/a.B/C", "--timeout", "10", "--json"])
    assert res.exit_code == 64 + 2, res.stderr
    assert _ndjson(res.stdout)[-1]["exit_code"] == 66


def test_h2_non_digit_status_is_no_traceback() -> None:
    def answer(conn: socket.socket) -> None:
        h2c = h2c_until_request(conn, validate_outbound_headers=False)
        if h2c is None:
            return
        h2c.send_headers(1, [(b":status", "\u00b2\u00b2\u00b2".encode())], end_stream=True)
        conn.sendall(h2c.data_to_send())
        conn.recv(65536)

    with canned_http(answer) as url:
        res = run_wiretool(["h2", "get", url, "--timeout", "10"], timeout=30)
    assert res.exit_code not in (0, 1), res.stderr
    assert "Traceback" not in res.stderr and "internal error" not in res.stderr


def test_cacert_that_is_not_pem_is_a_usage_error(tmp_path) -> None:
    garbage = tmp_path / "ca.pem"
    garbage.write_bytes(b"\x00not a certificate\xff" * 10)
    for command in (["sse", "tail", "https://127.0.0.1:9/"], ["h2", "get", "https://127.0.0.1:9/"]):
        res = run_cli([*command, "--cacert", str(garbage), "--timeout", "5"])
        assert res.exit_code == 2, (command, res.stderr)
        assert "cannot load CA certificates" in res.stderr and "internal error" not in res.stderr


def test_replay_with_a_bad_target_url_is_a_usage_error(tmp_path) -> None:
    sse_cap, h2_cap = tmp_path / "sse.wtcap", tmp_path / "h2.wtcap"
    body = b"data: x\n\n"
    resp = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/event-stream\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    with canned_http(answer_http1(resp)) as url:
        assert run_cli([*SSE, url, "--no-reconnect", "--record", str(sse_cap)]).exit_code == 0
    with canned_http(_grpc_trailers([(b"grpc-status", b"0")])) as url:
        assert run_cli(["h2", "get", url, "--timeout", "10", "--record", str(h2_cap)]).exit_code == 0
    for cap in (sse_cap, h2_cap):
        for target in ("http://[::1", "http://127.0.0.1:70000/"):
            res = run_cli(["replay", str(cap), target, "--timeout", "5"])
            assert res.exit_code == 2, (cap.name, target, res.stderr)
            assert "bad URL" in res.stderr and "internal error" not in res.stderr, res.stderr


def _wait_for_close(conn: socket.socket) -> None:
    while conn.recv(65536):
        pass


def test_h2_frame_above_max_size_fails_at_its_header_with_frame_size_error() -> None:
    # A 16 MiB frame header and then silence: h2 alone would wait (and buffer) for the whole body.
    def answer(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b"\xff\xff\xff\x04\x00\x00\x00\x00\x00")
        _wait_for_close(conn)

    with canned_http(answer) as url:
        res = run_wiretool(["h2", "get", url, "--timeout", "60", "--json"], timeout=50)
    assert res.exit_code == 5, res.stderr
    assert "frame_too_large" in res.stderr
    goaways = [r for r in _ndjson(res.stdout) if r.get("frame_type") == "GOAWAY" and r["dir"] == "send"]
    assert goaways and goaways[0]["error_code"] == "FRAME_SIZE_ERROR", goaways


def test_h2_prior_knowledge_answered_in_http1_says_so() -> None:
    def answer(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        _wait_for_close(conn)

    with canned_http(answer) as url:
        res = run_cli(["h2", "get", url, "--timeout", "60"])
    assert res.exit_code == 5, res.stderr
    assert "answered in HTTP/1.x (HTTP/1.1 400 Bad Request)" in res.stderr


def _interrupt_after_first_recv(args: list[str], sig: int | None = None) -> tuple[int, list[dict]]:
    """Start wiretool, wait for its first received record, send SIGINT (as Ctrl-C does; or ``sig``), return
    (status, records)."""
    import signal
    import subprocess

    from conftest import WIRETOOL

    proc = subprocess.Popen([WIRETOOL, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        first = b""
        while b'"dir":"recv"' not in first:  # by then the run waits for the server, past connecting
            line = proc.stdout.readline()  # type: ignore[union-attr]
            if not line:
                break
            first += line
        proc.send_signal(signal.SIGINT if sig is None else sig)
        rest, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, _ndjson((first + rest).decode())


def test_ctrl_c_ends_sse_and_h2_with_an_error_record_and_a_summary() -> None:
    def sse_answer(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/event-stream\r\n\r\ndata: one\n\n")
        _wait_for_close(conn)

    def h2_answer(conn: socket.socket) -> None:
        h2c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        h2c.initiate_connection()
        conn.sendall(h2c.data_to_send())
        _wait_for_close(conn)  # never answers the request

    with canned_http(sse_answer) as url:
        code, records = _interrupt_after_first_recv(["sse", "tail", url, "--json", "--timeout", "60"])
    assert code == 130
    assert [r["type"] for r in records][-2:] == ["error", "summary"] and records[-1]["exit_code"] == 130
    with canned_http(h2_answer) as url:
        code, records = _interrupt_after_first_recv(["h2", "get", url, "--json", "--timeout", "60"])
    assert code == 130
    assert [r["type"] for r in records][-2:] == ["error", "summary"] and records[-1]["exit_code"] == 130


def test_sigterm_ends_sse_h2_and_grpc_like_ctrl_c_with_an_error_record_and_a_summary() -> None:
    """``kill PID`` (SIGTERM) is an interruption too: the run layer ends it with error + summary, exit 130
    (before the run layer, sse, h2 and grpc died of the signal with 143 and no summary)."""
    import signal

    def sse_answer(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/event-stream\r\n\r\ndata: one\n\n")
        _wait_for_close(conn)

    def h2_answer(conn: socket.socket) -> None:
        h2c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
        h2c.initiate_connection()
        conn.sendall(h2c.data_to_send())
        _wait_for_close(conn)  # never answers the request (nor the call)

    runs = [(sse_answer, ["sse", "tail", "{url}", "--json", "--timeout", "60"]),
            (h2_answer, ["h2", "get", "{url}", "--json", "--timeout", "60"]),
            (h2_answer, ["h2", "grpc", "{url}", "/a.B/C", "--json", "--timeout", "60"])]
    for answer, args in runs:
        with canned_http(answer) as url:
            code, records = _interrupt_after_first_recv([a.format(url=url) for a in args], signal.SIGTERM)
        assert code == 130, args
        assert [r["type"] for r in records][-2:] == ["error", "summary"] and records[-1]["exit_code"] == 130
        assert records[-2]["message"] == "interrupted"


def test_hpack_error_message_holds_no_memory_address() -> None:
    # An HPACK integer that never ends: hpack's message carried "<memory at 0x...>" into the violation.
    res = run_cli(["frame", "decode", "--proto", "h2", "000000040000000000", "00000a010400000001ffffffffffffffffff7f"])
    assert res.exit_code == 5, res.stderr
    assert "hpack_error" in res.stdout and "<memory at" not in res.stdout


def test_max_events_reached_mid_read_counts_and_shows_only_the_events_up_to_it() -> None:
    """Five events in one socket read and ``--max-events 2``: two lines, and the summary counts two events
    (the rest of the read is never seen), as when the session was a loop the CLI pulled from."""

    def answer(conn: socket.socket) -> None:
        conn.recv(65536)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
                     + b"".join(b"id: %d\ndata: e%d\n\n: c%d\n" % (i, i, i) for i in range(1, 6)))
        _wait_for_close(conn)

    with canned_http(answer) as url:
        res = run_cli(["sse", "tail", url, "--json", "--max-events", "2", "--timeout", "10"])
    assert res.exit_code == 0, res.stderr
    records = _ndjson(res.stdout)
    assert [r["data"] for r in records if r["type"] == "event"] == ["e1", "e2"]
    summary = records[-1]
    assert (summary["events"], summary["shown"], summary["comments"]) == (2, 2, 1)


def test_a_gzip_body_decodes_from_the_capture_as_it_did_live(tmp_path) -> None:
    """``frame decode --capture`` inflates the body as ``sse tail`` did: the same events, not gzip bytes
    parsed as text; a body that is not gzip after all is named, not an internal error."""
    body = gzip.compress(b"id: 1\ndata: hello\n\n: note\ndata: two\ndata: lines\n\n")
    resp = (b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/event-stream\r\nContent-Encoding: gzip\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body)
    cap = tmp_path / "gz.wtcap"
    with canned_http(answer_http1(resp)) as url:
        live = run_cli([*SSE, url, "--no-reconnect", "--record", str(cap)])
    assert live.exit_code == 0, live.stderr
    decoded = run_wiretool(["frame", "decode", "--capture", str(cap), "--json"])
    assert decoded.exit_code == 0, decoded.stderr

    def events(out: str) -> list[tuple]:
        return [(r["id"], r["data"]) for r in _ndjson(out) if r["type"] == "event"]

    assert events(decoded.stdout) == events(live.stdout) == [("1", "hello"), ("1", "two\nlines")]
    bad = resp.replace(body, b"not gzip at all".ljust(len(body), b"!"))
    cap2 = tmp_path / "bad.wtcap"
    with canned_http(answer_http1(bad)) as url:
        run_cli([*SSE, url, "--no-reconnect", "--record", str(cap2)])
    again = run_wiretool(["frame", "decode", "--capture", str(cap2), "--json"])
    assert "internal error" not in again.stderr and again.exit_code == 0, again.stderr
    assert "cannot decode the body (Content-Encoding 'gzip')" in again.stdout + again.stderr
