"""``relay()`` in-process, the entry point forward mode builds on: two connected streams, a ListSink, real sockets.

Also the run's goals and options through the in-process CLI (``--count``, ``--expect``, ``--timeout``,
``--only none``, ``--host``, usage errors) and the sniffer on split feeds.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import time

import pytest
from conftest import ServeProcess, run_cli, run_wiretool
from proxyhelp import ProxyProcess, no_traceback, of

from wiretool.proxy.relay import ProxyConn, relay
from wiretool.proxy.sniff import Sniffer
from wiretool.records.proxy import OnConn, ProxyEnd
from wiretool.session import ListSink


async def _pair_through_relay(server_cb, *, first_c2s: bytes = b""):  # type: ignore[no-untyped-def]
    """A loopback server, a relay in front of it, and a client connected to the relay: (client, task, sink)."""
    sink = ListSink(clock=time.monotonic)
    upstream_srv = await asyncio.start_server(server_cb, "127.0.0.1", 0)
    up_port = upstream_srv.sockets[0].getsockname()[1]
    tasks: list[asyncio.Task] = []

    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream = await asyncio.open_connection("127.0.0.1", up_port)
        conn = ProxyConn(id=7, client="test", upstream=f"127.0.0.1:{up_port}")
        await relay(conn, (reader, writer), upstream, sink, first_c2s=first_c2s)

    relay_srv = await asyncio.start_server(lambda r, w: tasks.append(asyncio.ensure_future(on_client(r, w))),
                                           "127.0.0.1", 0)
    client = await asyncio.open_connection("127.0.0.1", relay_srv.sockets[0].getsockname()[1])
    return client, tasks, sink, (upstream_srv, relay_srv)


def test_relay_is_byte_exact_both_ways_and_tags_every_record() -> None:
    payload_up = os.urandom(300_000)
    payload_down = os.urandom(500_000)
    got_up = bytearray()

    async def server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while len(got_up) < len(payload_up) + 5:
            data = await reader.read(65536)
            if not data:
                break
            got_up.extend(data)
        writer.write(payload_down)
        await writer.drain()
        writer.close()

    async def main() -> tuple[bytes, ListSink]:
        (reader, writer), tasks, sink, servers = await _pair_through_relay(server, first_c2s=b"FIRST")
        writer.write(payload_up)
        await writer.drain()
        down = await reader.read(-1)  # until EOF
        writer.close()
        await asyncio.wait_for(asyncio.gather(*tasks), 10)
        for s in servers:
            s.close()
        return down, sink

    down, sink = asyncio.run(main())
    assert bytes(got_up) == b"FIRST" + payload_up  # first_c2s goes first, then the client's bytes
    assert down == payload_down
    c2s = b"".join(c.data for c in sink.chunks if c.dir == "c2s")
    s2c = b"".join(c.data for c in sink.chunks if c.dir == "s2c")
    assert c2s == b"FIRST" + payload_up and s2c == payload_down
    assert all(c.conn == 7 for c in sink.chunks)
    assert all(isinstance(r, OnConn) and r.conn == 7 for r in sink.records)
    end = sink.records[-1].record
    assert isinstance(end, ProxyEnd) and end.protocol == "tcp" and end.bytes_s2c == len(payload_down)
    assert end.bytes_c2s == len(payload_up) + 5


def test_relay_backpressure_holds_little_when_the_client_does_not_read() -> None:
    """A server floods, the client reads nothing: the relay stops reading the server (bounded buffers)."""
    sent = 0

    async def server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sent
        block = b"x" * 65536
        try:
            while sent < 200 * 1024 * 1024:
                writer.write(block)
                await writer.drain()
                sent += len(block)
        except (ConnectionError, OSError):
            pass

    async def main() -> int:
        (_reader, writer), tasks, sink, servers = await _pair_through_relay(server)
        await asyncio.sleep(1.0)  # the client never reads
        relayed = sum(len(c.data) for c in sink.chunks if c.dir == "s2c")
        writer.transport.abort()
        await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 10)
        for s in servers:
            s.close()
        return relayed

    relayed = asyncio.run(main())
    # socket buffers on both sides plus a few 64 KiB chunks: megabytes at most, not the 200 MiB offered
    assert relayed < 32 * 1024 * 1024 and sent < 40 * 1024 * 1024


def test_sniffer_gives_the_same_records_whatever_the_chunking() -> None:
    from wiretool.codec.wsbuild import build_frame

    request = (b"GET /x HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
    response = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
    c2s = request + b"".join(build_frame(1, f"m{i}".encode(), mask_key=b"abcd") for i in range(5))
    s2c = response + b"".join(build_frame(1, f"r{i}".encode()) for i in range(5))

    def run(step: int | None) -> list[tuple]:
        sn = Sniffer()
        out = []
        rnd = random.Random(step)
        for data, dir in ((c2s[:len(request)], "c2s"), (s2c, "s2c"), (c2s[len(request):], "c2s")):
            pos = 0
            while pos < len(data):
                n = len(data) if step is None else rnd.randint(1, step)
                out += sn.feed(dir, data[pos:pos + n], 0.0)
                pos += n
        return [(r.type, getattr(r, "dir", None), getattr(r, "payload", None)) for r in out]

    whole = run(None)
    assert [t for t in whole if t[0] == "message"] == [("message", "s2c", f"r{i}".encode()) for i in range(5)] + [
        ("message", "c2s", f"m{i}".encode()) for i in range(5)]
    for step in (1, 2, 3, 7, 50):
        assert run(step) == whole


def test_count_and_expect_end_the_run() -> None:
    server = ServeProcess("ws")
    upstream = server.url.replace("ws://", "http://")
    try:
        counted = ProxyProcess(upstream, "--count", "2", "--timeout", "20")
        run_wiretool(["ws", "connect", f"ws://127.0.0.1:{counted.port}/", "--send", "a", "--count", "1"])
        records = counted.wait()
        assert counted.returncode == 0, counted.err
        assert records[-1]["type"] == "summary" and records[-1]["exit_code"] == 0

        expecting = ProxyProcess(upstream, "--expect", "^pong$", "--timeout", "20", "--show", "messages")
        run_wiretool(["ws", "connect", f"ws://127.0.0.1:{expecting.port}/", "--send", "ping", "--send", "pong",
                      "--count", "2"])
        expecting.wait()
        assert expecting.returncode == 0, expecting.err

        unmet = ProxyProcess(upstream, "--expect", "never", "--timeout", "2")
        run_wiretool(["ws", "connect", f"ws://127.0.0.1:{unmet.port}/", "--send", "x", "--count", "1"])
        unmet.wait()
        assert unmet.returncode == 7 and "--expect 'never'" in unmet.err

        short = ProxyProcess(upstream, "--count", "50", "--timeout", "1")
        short.wait()
        assert short.returncode == 6
        plain = ProxyProcess(upstream, "--timeout", "1")
        plain.wait()
        assert plain.returncode == 0  # --timeout alone: the length of the run asked for
    finally:
        server.stop()


def test_violation_seen_makes_exit_5() -> None:
    """An upstream that sends a masked frame (servers must not, RFC 6455 §5.1): named, and the run exits 5."""
    import socket

    from conftest import canned_server, read_head, ws_switching

    def bad(conn: socket.socket) -> None:
        conn.sendall(ws_switching(read_head(conn)) + b"\x81\x82abcd" + bytes([ord("h") ^ 97, ord("i") ^ 98]))

    with canned_server(bad) as port:
        proxy = ProxyProcess(f"http://127.0.0.1:{port}", "--timeout", "3")
        run_wiretool(["ws", "connect", f"ws://127.0.0.1:{proxy.port}/", "--count", "1", "--timeout", "2"])
        records = proxy.wait()
    assert proxy.returncode == 5, proxy.err
    frame = next(f for f in of(records, "ws", "frame") if f["dir"] == "s2c")
    assert frame["violations"] and "5.1" in frame["violations"][0]["rfc"]
    assert "protocol violation(s) seen on the wire" in proxy.err
    no_traceback(proxy.err)


def test_quiet_relay_and_host_filter() -> None:
    server = ServeProcess("ws")
    upstream = server.url.replace("ws://", "http://")
    try:
        quiet = ProxyProcess(upstream, "--only", "none")
        run_wiretool(["ws", "connect", f"ws://127.0.0.1:{quiet.port}/", "--send", "q", "--count", "1"])
        records = quiet.stop()
        assert not of(records, "ws") and of(records, "proxy", "end")[0]["bytes_s2c"] > 0

        hosted = ProxyProcess(upstream, "--host", "wanted.*")
        run_wiretool(["ws", "connect", f"ws://127.0.0.1:{hosted.port}/", "-H", "Host: other.example",
                      "--send", "1", "--count", "1"])
        run_wiretool(["ws", "connect", f"ws://127.0.0.1:{hosted.port}/", "-H", "Host: wanted.example",
                      "--send", "2", "--count", "1"])
        records = hosted.stop()
        assert {r["conn"] for r in records if "conn" in r} == {2}
    finally:
        server.stop()


@pytest.mark.parametrize(("args", "message"), [
    (["--listen", "nonsense"], "expected HOST:PORT"),
    (["--upstream", "ftp://x"], "expected http://HOST:PORT"),
    (["--upstream", "http://127.0.0.1:1", "--self-signed"], "--self-signed needs --tls"),
    (["--upstream", "http://127.0.0.1:1", "--tls"], "--tls needs --cert"),
    (["--upstream", "http://127.0.0.1:1", "--only", "none", "--only", "ws"], "cannot be combined"),
    (["--upstream", "http://127.0.0.1:1", "--expect", "("], "not a valid regular expression"),
])
def test_usage_errors_in_process(args: list[str], message: str) -> None:
    result = run_cli(["proxy", *args])
    assert result.exit_code == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    no_traceback(result.stderr)


def test_in_process_run_and_non_loopback_warning() -> None:
    """The real run() in-process (a thread), with --timeout; listening on 0.0.0.0 warns."""
    box: dict = {}

    def go() -> None:
        box["result"] = run_cli(["--json", "proxy", "--listen", "0.0.0.0:0", "--upstream", "http://127.0.0.1:1",
                                 "--timeout", "0.5"])

    t = threading.Thread(target=go)
    t.start()
    t.join(20)
    result = box["result"]
    assert result.exit_code == 0, result.stderr
    assert "not loopback" in result.stderr
    assert [r["type"] for r in result.json_lines()] == ["listening", "summary"]


def test_listen_port_taken_is_exit_3() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        result = run_wiretool(["proxy", "--listen", f"127.0.0.1:{port}", "--upstream", "http://127.0.0.1:1"])
    assert result.exit_code == 3 and "cannot listen on 127.0.0.1" in result.stderr
    no_traceback(result.stderr)


def test_keep_alive_head_chunked_and_length_on_one_connection() -> None:
    """HEAD answered with a Content-Length and no body, then a chunked and a sized response, kept alive."""
    def run(feeds: list[tuple[str, bytes]]) -> list:
        sn = Sniffer()
        out = []
        for dir, data in feeds:
            out += sn.feed(dir, data, 0.0)
        return out

    c2s = (b"HEAD /a HTTP/1.1\r\nHost: h\r\n\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"
           b"POST /c HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc")
    s2c = (b"HTTP/1.1 200 OK\r\nContent-Length: 999\r\n\r\n"
           b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
           b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok")
    records = run([("c2s", c2s), ("s2c", s2c)])
    heads = [(r.type, getattr(r, "target", None) or getattr(r, "status", None)) for r in records
             if r.type in ("request", "response")]
    assert heads == [("request", "/a"), ("request", "/b"), ("request", "/c"),
                     ("response", 200), ("response", 200), ("response", 201)]
    bodies = [(r.dir, r.length) for r in records if r.type == "body"]
    assert bodies == [("c2s", 3), ("s2c", 5), ("s2c", 2)]


def test_in_process_proxy_relays_a_real_websocket_session() -> None:
    """The whole command in-process (the real run(), in a thread) with a websockets client and serve ws."""
    import websockets
    from conftest import free_port
    from proxyhelp import wait_port

    server = ServeProcess("ws")
    port = free_port()
    box: dict = {}

    def go() -> None:
        box["result"] = run_cli(["--json", "proxy", "--listen", f"127.0.0.1:{port}", "--upstream",
                                 server.url.replace("ws://", "http://"), "--count", "2", "--timeout", "20"])

    t = threading.Thread(target=go)
    t.start()
    try:
        wait_port(port)

        async def chat() -> str:
            async with websockets.connect(f"ws://127.0.0.1:{port}/", compression=None) as ws:
                await ws.send("in process")
                return await ws.recv()

        assert asyncio.run(chat()) == "in process"
        t.join(20)
    finally:
        server.stop()
    result = box["result"]
    assert result.exit_code == 0, result.stderr
    records = result.json_lines()
    texts = [f for f in of(records, "ws", "frame") if f["opcode_name"] == "TEXT"]
    assert [(f["dir"], f["payload_text"]) for f in texts] == [("c2s", "in process"), ("s2c", "in process")]
    assert len({f["conn"] for f in texts}) == 1  # wait_port's probe was a connection of its own
    assert records[-1]["type"] == "summary" and records[-1]["exit_code"] == 0


def test_show_bytes_hexdumps_unknown_protocols() -> None:
    from conftest import canned_server

    def echo(conn) -> None:  # type: ignore[no-untyped-def]
        data = conn.recv(4096)
        conn.sendall(data[::-1])

    with canned_server(echo) as port:
        proxy = ProxyProcess(f"http://127.0.0.1:{port}", "--show", "bytes", "--only", "tcp")
        import socket

        with socket.create_connection(("127.0.0.1", proxy.port), timeout=10) as s:
            s.sendall(b"\x01\x02binary-protocol")
            assert s.recv(100) == b"locotorp-yranib\x02\x01"
        records = proxy.stop()
    chunks = of(records, "tcp", "bytes")
    assert [(c["dir"], bytes.fromhex(c["data"])) for c in chunks] == [("c2s", b"\x01\x02binary-protocol"),
                                                                      ("s2c", b"locotorp-yranib\x02\x01")]
    assert of(records, "proxy", "end")[0]["protocol"] == "tcp"


def test_goals_count_violations_of_connections_ended_after_the_stop() -> None:
    from wiretool.exitcodes import ExitCode
    from wiretool.proxy.goals import ProxyGoals
    from wiretool.session import Outcome

    total = {"n": 0}
    goals = ProxyGoals(count=1, violations=lambda: total["n"])
    assert goals.on_end(Outcome(ExitCode.OK)).code == ExitCode.OK
    total["n"] = 2  # a connection that ended while the run was stopping
    ended = goals.on_end(Outcome(ExitCode.OK))
    assert ended.code == ExitCode.PROTOCOL and "2 protocol violation(s)" in ended.message
    assert goals.on_end(Outcome(ExitCode.INTERRUPTED)).code == ExitCode.INTERRUPTED
