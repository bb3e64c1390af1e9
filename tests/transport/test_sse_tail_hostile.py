"""Hostile servers against ``sse tail`` (issues 11 and 12): secrets in URLs, hostile ``retry`` values,
encodings we did not ask for, HTTP/2 resets, servers that cannot speak HTTP/2, broken redirects and status lines.

Every server is a raw loopback socket answering with canned bytes, so the hostile part is exactly what the
test says; every run goes through the installed ``wiretool`` entry point.
"""

from __future__ import annotations

import gzip
import json
import socket
import zlib
from collections.abc import Callable

import h2.config
import h2.connection
import h2.errors
import h2.events
from conftest import (
    answer_http1,
    canned_server,
    free_port,
    h2c_until_request,
    read_head,
    run_measured,
    run_wiretool,
)

SSE = ["sse", "tail", "--timeout", "20", "--json"]


def stream(body: bytes, *extra: bytes) -> bytes:
    """A 200 text/event-stream answer with ``body``, closed after it."""
    return (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n" + b"".join(extra)
            + b"Content-Length: %d\r\n\r\n" % len(body) + body)


def ndjson(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


# -- issue 12 #1: the password of a URL's userinfo --------------------------------------------------------
def test_url_password_is_redacted_in_the_connect_record() -> None:
    with canned_server(answer_http1(stream(b"data: x\n\n"))) as port:
        res = run_wiretool([*SSE, f"http://alice:PASSWORD@127.0.0.1:{port}/ev", "--no-reconnect"])
    assert res.exit_code == 0, res.stderr
    connect = next(r for r in ndjson(res.stdout) if r["type"] == "connect")
    assert connect["url"] == f"http://alice:<redacted>@127.0.0.1:{port}/ev"
    assert "PASSWORD" not in res.stdout + res.stderr


def test_url_password_is_redacted_in_the_connect_error_and_shown_with_show_secrets() -> None:
    url = f"http://alice:PASSWORD@127.0.0.1:{free_port()}/ev"
    res = run_wiretool([*SSE, url, "--no-reconnect"])
    assert res.exit_code == 3, res.stderr
    assert "cannot connect to http://alice:<redacted>@" in res.stderr
    assert "PASSWORD" not in res.stdout + res.stderr
    pretty = run_wiretool(["sse", "tail", url, "--no-reconnect"])
    assert pretty.exit_code == 3 and "PASSWORD" not in pretty.stdout + pretty.stderr
    shown = run_wiretool([*SSE, url, "--no-reconnect", "--show-secrets"])
    assert "alice:PASSWORD@" in shown.stderr


# -- issue 12 #14: a hostile retry ------------------------------------------------------------------------
def _retry_then_drop(digits: str) -> Callable[[socket.socket], None]:
    return answer_http1(stream(b"retry: " + digits.encode() + b"\n\ndata: x\n\n"))


def test_a_12_digit_retry_is_capped_by_max_backoff_and_named() -> None:
    with canned_server(_retry_then_drop("999999999999")) as port:
        res = run_wiretool([*SSE, f"http://127.0.0.1:{port}/", "--max-backoff", "0.05", "--max-reconnects", "1"])
    assert res.exit_code == 0, res.stderr
    connects = [r for r in ndjson(res.stdout) if r["type"] == "connect"]
    assert [c["waited"] for c in connects] == [0.0, 0.05]
    assert [r["retry"] for r in ndjson(res.stdout) if r["type"] == "event"] == [999999999999] * 2
    with canned_server(_retry_then_drop("999999999999")) as port:
        pretty = run_wiretool(["sse", "tail", f"http://127.0.0.1:{port}/", "--max-backoff", "0.05",
                               "--max-reconnects", "1"])
    assert "reconnecting in 0.050 s (the server's retry: 999999999999 ms is capped by --max-backoff 0.05 s)" \
        in pretty.stdout + pretty.stderr


def test_a_400_or_5000_digit_retry_is_no_internal_error() -> None:
    for digits in ("9" * 400, "7" * 5000, "0" * 5000 + "20"):
        with canned_server(_retry_then_drop(digits)) as port:
            res = run_wiretool([*SSE, f"http://127.0.0.1:{port}/", "--max-backoff", "0.02", "--max-reconnects", "1"])
        assert res.exit_code == 0, res.stderr
        assert "internal error" not in res.stderr
        waited = [r["waited"] for r in ndjson(res.stdout) if r["type"] == "connect"]
        assert waited == [0.0, 0.02], (digits[:5], waited)
        retries = {r["retry"] for r in ndjson(res.stdout) if r["type"] == "event"}
        assert retries == ({20} if digits.endswith("20") else {10**15 - 1})


def test_a_5000_digit_retry_in_an_sse_capture_decodes_and_replays(tmp_path) -> None:  # type: ignore[no-untyped-def]
    cap = tmp_path / "retry.wtcap"
    with canned_server(_retry_then_drop("8" * 5000)) as port:
        rec = run_wiretool([*SSE, f"http://127.0.0.1:{port}/", "--no-reconnect", "--record", str(cap)])
        assert rec.exit_code == 0, rec.stderr
        decoded = run_wiretool(["--json", "frame", "decode", "--capture", str(cap)])
        replayed = run_wiretool(["replay", str(cap), "--check", "--no-delay"])
    assert decoded.exit_code == 0, decoded.stderr
    assert [r["retry"] for r in ndjson(decoded.stdout) if r["type"] == "event"] == [10**15 - 1]
    assert replayed.exit_code == 0, replayed.stdout + replayed.stderr


# -- issue 12 #7: an encoding we did not ask for -----------------------------------------------------------
def _bomb_peak(mib: int, coding: bytes = b"gzip") -> tuple[int, int]:
    """Peak RSS (kB) of ``sse tail --max-events 1`` against a ``coding`` body inflating to ``mib`` MiB of events."""
    plain = b"data: x\n\n" * (mib * (1 << 20) // 9)
    body = gzip.compress(plain, 9) if coding == b"gzip" else zlib.compress(plain, 9)
    with canned_server(answer_http1(stream(body, b"Content-Encoding: " + coding + b"\r\n"))) as port:
        rc, out, err, rss = run_measured([*SSE, f"http://127.0.0.1:{port}/", "--no-reconnect", "--max-events", "1"],
                                         tail=4000)
    assert rc == 0, err
    assert [r["data"] for r in ndjson(out) if r["type"] == "event"] == ["x"]
    return rss, len(body)


def test_a_gzip_bomb_is_inflated_a_bounded_piece_at_a_time() -> None:
    small, wire = _bomb_peak(8)
    big, wire4 = _bomb_peak(32)
    assert wire4 < 80_000 and wire4 > 3 * wire  # ~65 KB on the wire, growing 4x
    assert big < small + 20_000, f"peak RSS {small} kB -> {big} kB while the input grew 4x"
    assert big < 150_000, f"peak RSS {big} kB"


def test_a_deflate_body_in_tiny_reads_and_a_raw_deflate_body_still_decode() -> None:
    deflate = zlib.compress(b"data: one\n\n" * 3)
    raw = zlib.compressobj(wbits=-15)
    raw_body = raw.compress(b"data: raw\n\n") + raw.flush()
    for body, want in ((deflate, ["one"] * 3), (raw_body, ["raw"])):
        def answer(conn: socket.socket, body: bytes = body) -> None:
            read_head(conn)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Encoding: deflate\r\n"
                         b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
            for i in range(len(body)):  # a byte per chunk: the decoder sees the zlib header split
                conn.sendall(b"1\r\n" + body[i:i + 1] + b"\r\n")
            conn.sendall(b"0\r\n\r\n")

        with canned_server(answer) as port:
            res = run_wiretool([*SSE, f"http://127.0.0.1:{port}/", "--no-reconnect"])
        assert res.exit_code == 0, res.stderr
        assert [r["data"] for r in ndjson(res.stdout) if r["type"] == "event"] == want


# -- issue 12 #20: RST_STREAM and GOAWAY under --http2 -------------------------------------------------------
def _h2c_stream_then(end: Callable[[h2.connection.H2Connection], None]) -> Callable[[socket.socket], None]:
    """An h2c server answering stream 1 with an event, then ``end`` (a reset or a GOAWAY)."""
    def answer(conn: socket.socket) -> None:
        h2c = h2c_until_request(conn, whole=False)
        if h2c is None:
            return
        h2c.send_headers(1, [(b":status", b"200"), (b"content-type", b"text/event-stream")])
        h2c.send_data(1, b"data: one\n\n")
        conn.sendall(h2c.data_to_send())
        end(h2c)
        conn.sendall(h2c.data_to_send())
        try:
            conn.recv(65536)
        except OSError:
            pass
    return answer


def test_http2_reset_and_goaway_are_named_not_a_repr() -> None:
    cases = [
        (lambda c: c.reset_stream(1, h2.errors.ErrorCodes.INTERNAL_ERROR), 5,
         "the server reset stream 1 with INTERNAL_ERROR (RST_STREAM)"),
        (lambda c: c.reset_stream(1, h2.errors.ErrorCodes.CANCEL), 8,
         "the server reset stream 1 with CANCEL (RST_STREAM)"),
        (lambda c: c.close_connection(h2.errors.ErrorCodes.ENHANCE_YOUR_CALM, b"x" * 5000, last_stream_id=0), 5,
         "the server sent GOAWAY with ENHANCE_YOUR_CALM (last stream 0): 'xxxx"),
    ]
    for end, code, line in cases:
        with canned_server(_h2c_stream_then(end)) as port:
            res = run_wiretool([*SSE, "--http2", f"http://127.0.0.1:{port}/", "--no-reconnect"])
        assert res.exit_code == code, res.stderr
        assert line in res.stderr and "<" not in res.stderr, res.stderr
        assert len(res.stderr) < 600  # a bounded excerpt of the debug data
        assert [r["data"] for r in ndjson(res.stdout) if r["type"] == "event"] == ["one"]
        assert ndjson(res.stdout)[-2]["message"].startswith(line.split(":")[0])


# -- issue 11 #10, #11: a server that does not speak HTTP/2, broken redirects and status lines -----------------
def test_http2_against_an_http1_only_server_says_so_and_does_not_retry() -> None:
    with canned_server(answer_http1(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")) as port:
        res = run_wiretool([*SSE, "--http2", f"http://127.0.0.1:{port}/", "--reconnect-delay", "0"])
    assert res.exit_code == 5, res.stderr
    assert "the server answered in HTTP/1.x ('HTTP/1.1 400 Bad Request'), not HTTP/2" in res.stderr
    assert [r["connects"] for r in ndjson(res.stdout) if r["type"] == "summary"] == [1]


def test_a_redirect_to_an_invalid_port_or_url_is_one_line_exit_4() -> None:
    for location, why in ((b"http://127.0.0.1:99999/x", "port 99999 is not in 1-65535"),
                          (b"http://[::1/x", "Invalid port")):
        answer = b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n"
        with canned_server(answer_http1(answer)) as port:
            res = run_wiretool([*SSE, f"http://127.0.0.1:{port}/"])
        assert res.exit_code == 4, res.stderr
        assert "cannot follow the redirect to" in res.stderr and why in res.stderr
        assert "internal error" not in res.stderr and len(res.stderr.strip().splitlines()) == 1


def test_a_garbage_status_line_is_refused_exit_4() -> None:
    for answer in (b"garbage\r\n\r\n", b"HTTP/1.1 2x0 OK\r\n\r\n"):
        with canned_server(answer_http1(answer)) as port:
            res = run_wiretool([*SSE, f"http://127.0.0.1:{port}/"])
        assert res.exit_code == 4, res.stderr
        assert "the server's answer is not a valid HTTP response: illegal status line" in res.stderr
