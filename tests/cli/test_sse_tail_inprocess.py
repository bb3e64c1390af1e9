"""``sse tail`` run in-process (``run_cli``) against servers in a background thread: the built-in SSE app
over TLS (HTTP/2 by ALPN), and small hypercorn apps written here for byte-exact and broken streams.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from conftest import run_cli

from wiretool.serve.sse import ServeOptions, running_server


@contextmanager
def server_thread(options: ServeOptions | None = None, *, app: Any = None, self_signed: bool = False
                  ) -> Iterator[tuple[str, str | None]]:
    """Run the built-in server (or a raw ASGI ``app`` on hypercorn) on its own loop in a thread."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, Any] = {}

    async def main() -> None:
        box["stop"] = asyncio.Event()
        async with running_server(options, self_signed=self_signed) as srv:
            if app is not None:
                srv.app.__class__ = _Wrapped
                srv.app.inner = app  # type: ignore[attr-defined]
            box["url"], box["ca"] = srv.url, srv.ca_file
            ready.set()
            await box["stop"].wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    assert ready.wait(15)
    try:
        yield box["url"], box["ca"]
    finally:
        loop.call_soon_threadsafe(box["stop"].set)
        thread.join(15)
        loop.close()


class _Wrapped:
    """Swap the built-in app for a test app while keeping the server's lifecycle (stopping event)."""

    inner: Any

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            await self.inner(scope, receive, send)
        elif scope["type"] == "lifespan":
            while True:
                msg = await receive()
                await send({"type": msg["type"] + ".complete"})
                if msg["type"] == "lifespan.shutdown":
                    return


def chunked_app(chunks: list[bytes], *, abort: bool = False) -> Any:
    """An ASGI app that sends ``chunks`` one write each (then breaks the connection if ``abort``)."""

    async def app(scope: dict, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")]})
        for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await asyncio.sleep(0.005)
        if abort:
            raise RuntimeError("server breaks the stream")
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    return app


def test_sse_tail_inprocess_parses_cr_endings_and_split_bom_through_the_stack() -> None:
    body = "\ufeffid: 7\revent: note\rdata: a\u2028b\r\r: c\r\ndata: x\r".encode()
    chunks = [body[i:i + 1] for i in range(len(body))]
    with server_thread(app=chunked_app(chunks)) as (url, _):
        r = run_cli(["sse", "tail", url, "--json", "--no-reconnect"])
    assert r.exit_code == 0, r.stderr
    # NDJSON lines end at LF only; U+2028 inside a JSON string is legal, so split on "\n", not splitlines().
    recs = [json.loads(line) for line in r.stdout.split("\n") if line]
    events = [x for x in recs if x["type"] == "event"]
    assert events == [{"proto": "sse", "type": "event", "t": events[0]["t"], "dir": "recv", "event": "note",
                       "data": "a\u2028b", "id": "7", "retry": None}]        # the final partial event is dropped
    assert [x["text"] for x in recs if x["type"] == "comment"] == ["c"]


def test_sse_tail_inprocess_broken_stream_exits_8_without_reconnect() -> None:
    with server_thread(app=chunked_app([b"data: one\n\n", b"data: partial"], abort=True)) as (url, _):
        r = run_cli(["sse", "tail", url, "--json", "--no-reconnect"])
    assert r.exit_code == 8, r.stdout + r.stderr
    assert [x["data"] for x in r.json_lines() if x["type"] == "event"] == ["one"]
    assert "stream broken" in r.stderr


def test_sse_tail_inprocess_terminal_safety_of_untrusted_data() -> None:
    body = b"event: [bold]x\ndata: \x1b]0;pwned\x07 [red]hi\n\n"
    with server_thread(app=chunked_app([body])) as (url, _):
        r = run_cli(["sse", "tail", url, "--no-reconnect"])
    assert r.exit_code == 0
    assert "\x1b" not in r.stdout and "\x07" not in r.stdout
    assert "\\x1b]0;pwned\\x07 [red]hi" in r.stdout and "[bold]x" in r.stdout


def test_sse_tail_inprocess_http2_over_tls_by_alpn() -> None:
    with server_thread(ServeOptions(interval=0.01), self_signed=True) as (url, ca):
        assert url.startswith("https://") and ca
        r = run_cli(["sse", "tail", url + "events", "--cacert", ca, "--max-events", "2", "--json"])
        r1 = run_cli(["sse", "tail", url + "events", "--cacert", ca, "--max-events", "1", "--json", "--http1"])
        bad = run_cli(["sse", "tail", url + "events", "--max-events", "1"])
    assert r.exit_code == 0, r.stderr
    connect = next(x for x in r.json_lines() if x["type"] == "connect")
    assert connect["http_version"] == "HTTP/2" and connect["stream_id"] == 1
    assert next(x for x in r1.json_lines() if x["type"] == "connect")["http_version"] == "HTTP/1.1"
    assert bad.exit_code == 3 and "certificate verification failed" in bad.stderr


def test_sse_tail_inprocess_last_event_id_option_resumes_and_record_writes_capture(tmp_path) -> None:
    capture = tmp_path / "s.ndjson"
    with server_thread(ServeOptions(interval=0.01, count=6)) as (url, _):
        r = run_cli(["sse", "tail", url + "events", "--last-event-id", "4", "--json", "--reconnect-delay", "0.01",
                     "--record", str(capture)])
    assert r.exit_code == 0, r.stderr
    assert [x["id"] for x in r.json_lines() if x["type"] == "event"] == ["5", "6"]
    from wiretool.capture.file import read_capture

    cap = read_capture(capture)
    assert cap.header["capture"] == "wiretool" and cap.proto == "sse" and cap.chunks
    decoded = run_cli(["frame", "decode", "--capture", str(capture), "--json"])  # the events, from the bytes
    assert [x["id"] for x in decoded.json_lines() if x["type"] == "event"] == ["5", "6"]


def test_sse_tail_inprocess_5xx_fails_or_retries() -> None:
    with server_thread(ServeOptions()) as (url, _):
        r = run_cli(["sse", "tail", url + "status/503"])
        retried = run_cli(["sse", "tail", url + "status/503", "--retry-5xx", "--max-reconnects", "2",
                           "--reconnect-delay", "0.01", "--max-backoff", "0.05", "--json"])
    assert r.exit_code == 4 and "503 Service Unavailable" in r.stderr
    assert retried.exit_code == 4
    assert [x["attempt"] for x in retried.json_lines() if x["type"] == "connect"] == [1, 2, 3]


def test_sse_reconnect_policy_backs_off_with_cap_and_jitter() -> None:
    from wiretool.transport.sse import ReconnectPolicy

    p = ReconnectPolicy(default_delay=3.0, max_backoff=1.0)
    assert p.delay(None, 0) == 3.0 and p.delay(50, 1) == 0.05
    for failures in range(2, 12):
        d = p.delay(100, failures)
        assert 0.1 <= d <= 1.0
    fixed = ReconnectPolicy(jitter=False, max_backoff=10)
    assert [fixed.delay(100, f) for f in (1, 2, 3, 4)] == [0.1, 0.2, 0.4, 0.8]
    assert fixed.delay(100, 30) == 10
