"""``wiretool h2 get`` against servers that are not ours: hypercorn (h2c, Upgrade, TLS) and a TLS server
that does not pick h2 in ALPN."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import pytest
from conftest import free_port, run_cli, run_wiretool


async def asgi_app(scope, receive, send):
    """Says which path and HTTP version it saw."""
    if scope["type"] == "lifespan":  # not supported: returning says so, and the server goes on without it (ASGI)
        return
    body = f"hypercorn saw {scope['path']} over HTTP/{scope['http_version']}".encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class _LoopThread:
    """An asyncio loop in a thread, running one server until stopped."""

    def __init__(self, serve_coro_factory) -> None:
        self.loop = asyncio.new_event_loop()
        self.stop_event: asyncio.Event | None = None
        self.factory = serve_coro_factory
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def main() -> None:
            self.stop_event = asyncio.Event()
            await self.factory(self.stop_event)

        self.loop.run_until_complete(main())

    def __enter__(self) -> _LoopThread:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        while self.stop_event is None:
            time.sleep(0.01)
        self.loop.call_soon_threadsafe(self.stop_event.set)
        self.thread.join(10)


def _wait_port(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listening on {port}")


@contextlib.contextmanager
def hypercorn(tls: bool) -> Iterator[tuple[str, str | None]]:
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    from wiretool.serve.certs import self_signed

    port = free_port()
    cfg = Config()
    cfg.bind = [f"127.0.0.1:{port}"]
    cfg.accesslog = None
    cfg.errorlog = None
    ca = None
    if tls:
        made = self_signed()
        cfg.certfile, cfg.keyfile, ca = str(made.cert_file), str(made.key_file), str(made.ca_file)

    async def run(stop: asyncio.Event) -> None:
        await serve(asgi_app, cfg, shutdown_trigger=stop.wait)

    with _LoopThread(run):
        _wait_port(port)
        yield f"{'https' if tls else 'http'}://127.0.0.1:{port}", ca


@pytest.fixture(scope="module")
def hc() -> Iterator[str]:
    with hypercorn(tls=False) as (url, _):
        yield url


def _data_texts(res) -> list[str]:
    return [r["data_text"] for r in res.json_lines() if r["type"] == "frame" and r.get("data_text")]


def test_hypercorn_h2c_prior_knowledge_three_streams(hc):
    res = run_wiretool(["h2", "get", "--json", "--body", f"{hc}/a", f"{hc}/b", f"{hc}/c"])
    assert res.exit_code == 0, res.stderr
    sent = [r for r in res.json_lines() if r["type"] == "frame" and r["dir"] == "send" and r["frame_type"] == "HEADERS"]
    assert [f["stream_id"] for f in sent] == [1, 3, 5]
    assert sorted(_data_texts(res)) == [f"hypercorn saw /{p} over HTTP/2" for p in "abc"]


def test_hypercorn_upgrade(hc):
    res = run_cli(["h2", "get", "--json", "--body", "--upgrade", f"{hc}/first", f"{hc}/second"])
    assert res.exit_code == 0, res.stderr
    assert [r["status"] for r in res.json_lines() if r["type"] == "upgrade" and r["dir"] == "recv"] == [101]
    assert sorted(_data_texts(res)) == ["hypercorn saw /first over HTTP/2", "hypercorn saw /second over HTTP/2"]


def test_hypercorn_tls_alpn_h2():
    with hypercorn(tls=True) as (url, ca):
        res = run_wiretool(["h2", "get", "--json", "--body", f"{url}/x", "--cacert", ca])
    assert res.exit_code == 0, res.stderr
    connect = next(r for r in res.json_lines() if r["type"] == "connect")
    assert connect["alpn"] == "h2"
    assert _data_texts(res) == ["hypercorn saw /x over HTTP/2"]


def test_server_that_does_not_pick_h2_is_exit_3_with_a_clear_message():
    from wiretool.serve.certs import self_signed

    made = self_signed(alpn=("http/1.1",))
    port = free_port()

    async def run(stop: asyncio.Event) -> None:
        server = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", port, ssl=made.context)
        await stop.wait()
        server.close()

    with _LoopThread(run):
        _wait_port(port)
        res = run_wiretool(["h2", "get", f"https://127.0.0.1:{port}/", "--cacert", str(made.ca_file)])
    assert res.exit_code == 3
    assert "did not pick h2 via ALPN" in res.stderr and "http/1.1" in res.stderr


def test_http11_server_refusing_the_upgrade_is_exit_3():
    port = free_port()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
        await writer.drain()
        writer.close()

    async def run(stop: asyncio.Event) -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port)
        await stop.wait()
        server.close()

    with _LoopThread(run):
        _wait_port(port)
        res = run_cli(["h2", "get", "--json", "--upgrade", f"http://127.0.0.1:{port}/"])
    assert res.exit_code == 3
    assert "did not upgrade to h2c (HTTP/1.1 200 OK)" in res.stderr
    assert [r["status"] for r in res.json_lines() if r["type"] == "upgrade" and r["dir"] == "recv"] == [200]


def test_tls_handshake_that_never_ends_is_a_connect_timeout_exit_6():
    with socket.socket() as listener:  # the kernel accepts the TCP connection; nobody ever answers TLS
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        res = run_cli(["h2", "get", f"https://127.0.0.1:{port}/", "--connect-timeout", "0.5"])
    assert res.exit_code == 6 and "--connect-timeout" in res.stderr


def test_broken_server_frames_are_shown_named_and_exit_5():
    port = free_port()
    settings = bytes.fromhex("000000040000000000")
    data_on_stream_0 = bytes.fromhex("000003000000000000") + b"bad"

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(24)
        writer.write(settings + data_on_stream_0)
        await writer.drain()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(reader.read(), 5)
        writer.close()

    async def run(stop: asyncio.Event) -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port)
        await stop.wait()
        server.close()

    with _LoopThread(run):
        _wait_port(port)
        res = run_wiretool(["h2", "get", "--json", f"http://127.0.0.1:{port}/"])
    assert res.exit_code == 5
    recs = [r for r in res.json_lines() if r["type"] == "frame"]
    bad = next(r for r in recs if r["dir"] == "recv" and r["frame_type"] == "DATA")
    assert bad["violations"][0]["code"] == "stream_id_required" and bad["violations"][0]["rfc"] == "RFC 9113 §6.1"
    goaway = [r for r in recs if r["dir"] == "send" and r["frame_type"] == "GOAWAY"]
    assert goaway and goaway[0]["error_code"] == "PROTOCOL_ERROR"  # h2's own answer, shown as sent
