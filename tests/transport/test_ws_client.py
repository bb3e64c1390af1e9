"""``ws connect`` in-process against real servers on loopback: a raw asyncio server that answers the
handshake and then writes chosen (often broken) frames, and a plain websockets server.

Each test checks one behaviour of the contract: exit code, records in --json, close codes.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from conftest import free_port, run_cli

from wiretool.codec.wsbuild import build_frame

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class ThreadServer:
    """An asyncio server running in its own thread, so the in-process CLI can use the main thread's loop."""

    def __init__(self, handler: Handler | None = None, *, websockets_handler: Any = None, **ws_kwargs: Any) -> None:
        self.handler = handler
        self.websockets_handler = websockets_handler
        self.ws_kwargs = ws_kwargs
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._start())
        self.ready.set()
        self.loop.run_forever()

    async def _start(self) -> None:
        if self.websockets_handler is not None:
            from websockets.asyncio.server import serve

            self.server = await serve(self.websockets_handler, "127.0.0.1", 0, **self.ws_kwargs)
        else:
            self.server = await asyncio.start_server(self.handler, "127.0.0.1", 0)
        self.port = next(iter(self.server.sockets)).getsockname()[1]

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        assert self.ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            self.server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


async def answer_handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *,
                           status: str = "101 Switching Protocols", accept: str | None = None,
                           extra: str = "", body: bytes = b"") -> None:
    """Read the client's request and answer it (101 with the right Accept unless told otherwise)."""
    head = await reader.readuntil(b"\r\n\r\n")
    key = ""
    for line in head.decode().split("\r\n"):
        if line.lower().startswith("sec-websocket-key:"):
            key = line.split(":", 1)[1].strip()
    if accept is None:
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    if status.startswith("101"):
        writer.write((f"HTTP/1.1 {status}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                      f"Sec-WebSocket-Accept: {accept}\r\n{extra}\r\n").encode())
    else:
        writer.write((f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\nContent-Type: text/plain\r\n"
                      f"{extra}\r\n").encode() + body)
    await writer.drain()


async def answer_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Read the client's frames until its close frame; echo the close and end TCP (as a server must)."""
    from wiretool.codec.wsframe import WsFrameParser

    parser = WsFrameParser(sender="client", messages=False)
    while data := await reader.read(65536):
        for frame in parser.feed(data):
            if frame.opcode == 8:
                writer.write(build_frame(8, frame.payload))
                await writer.drain()
                return


def raw_server(frames: bytes, *, then: str = "wait", **handshake: Any) -> ThreadServer:
    """A server that answers the handshake, writes ``frames``, then waits for EOF (or closes at once: ``then='close'``)."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await answer_handshake(reader, writer, **handshake)
            writer.write(frames)
            await writer.drain()
            if then == "wait":
                await asyncio.wait_for(answer_close(reader, writer), 10)
            elif then == "hang":  # send nothing more, but answer a close
                await asyncio.wait_for(answer_close(reader, writer), 30)
        except (ConnectionError, asyncio.TimeoutError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    return ThreadServer(handler)


def close_frame(code: int, reason: bytes = b"") -> bytes:
    return build_frame(8, code.to_bytes(2, "big") + reason)


def records(result: Any, kind: str) -> list[dict]:
    return [r for r in result.json_lines() if r["type"] == kind]


# -- normal sessions against a websockets server -------------------------------------------------------

async def echo(ws: Any) -> None:
    async for message in ws:
        await ws.send(message)


def test_echo_against_websockets_server_shows_frames_both_ways() -> None:
    with ThreadServer(websockets_handler=echo, compression=None) as srv:
        result = run_cli(["ws", "connect", srv.url, "--send", "hello", "--count", "1", "--json"])
    assert result.exit_code == 0, result.stderr
    frames = records(result, "frame")
    sent = [f for f in frames if f["dir"] == "send" and f["opcode_name"] == "TEXT"]
    got = [f for f in frames if f["dir"] == "recv" and f["opcode_name"] == "TEXT"]
    assert sent[0]["masked"] is True and len(sent[0]["mask_key"]) == 8 and sent[0]["payload_text"] == "hello"
    assert got[0]["masked"] is False and got[0]["payload_text"] == "hello"
    hs = records(result, "handshake")
    assert hs[0]["dir"] == "send" and hs[1]["dir"] == "recv" and hs[1]["status"] == 101 and hs[1]["accept_ok"] is True
    close = records(result, "close")[0]
    assert close["code"] == 1000 and close["clean"] is True
    assert result.json_lines()[-1]["type"] == "summary"


def test_messages_mode_reassembles_fragmented_message() -> None:
    payload = b"x" * 10 + b"y" * 10
    frames = build_frame(1, payload[:7], fin=False) + build_frame(0, payload[7:14], fin=False)
    frames += build_frame(9, b"mid") + build_frame(0, payload[14:]) + close_frame(1000)
    with raw_server(frames) as srv:
        result = run_cli(["ws", "connect", srv.url, "--show", "messages", "--json", "--count", "1"])
    assert result.exit_code == 0, result.stderr
    msgs = [m for m in records(result, "message") if m["dir"] == "recv"]
    assert msgs[0]["text"] == payload.decode() and msgs[0]["length"] == 20


def test_frames_mode_shows_each_fragment_and_answers_the_ping() -> None:
    frames = build_frame(1, b"ab", fin=False) + build_frame(9, b"p1") + build_frame(0, b"cd") + close_frame(1000)
    with raw_server(frames) as srv:
        result = run_cli(["ws", "connect", srv.url, "--json", "--count", "1"])
    assert result.exit_code == 0, result.stderr
    recv = [f["opcode_name"] for f in records(result, "frame") if f["dir"] == "recv"]
    assert recv[:3] == ["TEXT", "PING", "CONT"]
    pongs = [f for f in records(result, "frame") if f["dir"] == "send" and f["opcode_name"] == "PONG"]
    assert pongs and pongs[0]["payload_text"] == "p1" and pongs[0]["masked"] is True


def test_ping_shows_round_trip_time() -> None:
    with ThreadServer(websockets_handler=echo, compression=None) as srv:
        result = run_cli(["ws", "connect", srv.url, "--json", "--ping-interval", "0.05", "--wait", "0.5"])
    assert result.exit_code == 0, result.stderr
    rtts = records(result, "rtt")
    assert rtts and rtts[0]["rtt_ms"] >= 0


def test_subprotocol_and_deflate_are_negotiated_and_inflated() -> None:
    with ThreadServer(websockets_handler=echo, subprotocols=["chat", "superchat"]) as srv:
        result = run_cli(["ws", "connect", srv.url, "-s", "superchat", "--compression", "deflate",
                          "--send", "hello hello hello hello", "--count", "1", "--json"])
    assert result.exit_code == 0, result.stderr
    hs = records(result, "handshake")[1]
    assert hs["subprotocol"] == "superchat"
    assert any(e.startswith("permessage-deflate") for e in hs["extensions"])
    got = next(f for f in records(result, "frame") if f["dir"] == "recv" and f["opcode_name"] == "TEXT")
    assert got["rsv1"] is True and not got["violations"]


def test_expect_matches_in_order_and_exits_0() -> None:
    with ThreadServer(websockets_handler=echo, compression=None) as srv:
        result = run_cli(["ws", "connect", srv.url, "--send", "one", "--send", "two", "--expect", "^one$",
                          "--expect", "t.o", "--timeout", "10", "--json"])
    assert result.exit_code == 0, result.stderr


def test_expect_unmatched_when_server_closes_exits_7() -> None:
    frames = build_frame(1, b"nope") + close_frame(1000)
    with raw_server(frames) as srv:
        result = run_cli(["ws", "connect", srv.url, "--expect", "yes", "--json"])
    assert result.exit_code == 7
    assert records(result, "error")[0]["exit_code"] == 7


def test_expect_unmatched_at_timeout_exits_7() -> None:
    with raw_server(build_frame(1, b"nope"), then="hang") as srv:
        result = run_cli(["ws", "connect", srv.url, "--expect", "yes", "--timeout", "0.5"])
    assert result.exit_code == 7


def test_expect_close_code() -> None:
    with raw_server(close_frame(4001, b"bye")) as srv:
        ok = run_cli(["ws", "connect", srv.url, "--expect-close", "4001", "--json"])
    with raw_server(close_frame(4001, b"bye")) as srv:
        bad = run_cli(["ws", "connect", srv.url, "--expect-close", "1000", "--json"])
    assert ok.exit_code == 0, ok.stderr
    assert records(ok, "close")[0]["code"] == 4001 and records(ok, "close")[0]["reason"] == "bye"
    assert bad.exit_code == 7


@pytest.mark.parametrize("show", ["messages", "frames"])
def test_count_shows_exactly_n_messages_though_one_read_brought_more(show: str) -> None:
    # five messages and the close in one write: --count 3 shows m0..m2, not the two after them in that read
    frames = b"".join(build_frame(1, f"m{i}".encode()) for i in range(5)) + close_frame(1000, b"")
    with raw_server(frames) as srv:
        result = run_cli(["ws", "connect", srv.url, "--count", "3", "--show", show, "--json"])
    assert result.exit_code == 0, result.stderr
    if show == "messages":
        shown = [m["text"] for m in records(result, "message")]
    else:
        shown = [f["payload_text"] for f in records(result, "frame") if f["dir"] == "recv" and f["opcode"] == 1]
    assert shown == ["m0", "m1", "m2"]
    assert result.json_lines()[-1]["messages_in"] >= 3  # the summary counts what was received
    assert records(result, "close"), "the closing handshake is still shown"


def test_server_close_codes_are_shown_with_names() -> None:
    with raw_server(close_frame(1001, b"going")) as srv:
        result = run_cli(["ws", "connect", srv.url, "--json"])
    assert result.exit_code == 0, result.stderr
    close = records(result, "close")[0]
    assert (close["code"], close["code_name"], close["reason"], close["clean"]) == (1001, "GOING_AWAY", "going", True)


def test_server_protocol_error_close_exits_5() -> None:
    with raw_server(close_frame(1002, b"bad")) as srv:
        result = run_cli(["ws", "connect", srv.url, "--json"])
    assert result.exit_code == 5


# -- failures ----------------------------------------------------------------------------------------

def test_refused_upgrade_403_exits_4_with_body() -> None:
    with raw_server(b"", status="403 Forbidden", body=b"go away") as srv:
        result = run_cli(["ws", "connect", srv.url, "--json"])
    assert result.exit_code == 4
    hs = records(result, "handshake")[1]
    assert hs["status"] == 403 and hs["body_text"] == "go away"


def test_bad_accept_exits_5() -> None:
    with raw_server(b"", accept="AAAAAAAAAAAAAAAAAAAAAAAAAAA=") as srv:
        result = run_cli(["ws", "connect", srv.url, "--json"])
    assert result.exit_code == 5
    assert records(result, "handshake")[1]["accept_ok"] is False


def test_refused_connection_exits_3() -> None:
    result = run_cli(["ws", "connect", f"ws://127.0.0.1:{free_port()}", "--json"])
    assert result.exit_code == 3
    assert "cannot connect" in result.stderr


def test_idle_timeout_exits_6() -> None:
    with raw_server(b"", then="hang") as srv:
        result = run_cli(["ws", "connect", srv.url, "--idle-timeout", "0.3"])
    assert result.exit_code == 6


def test_timeout_exits_6() -> None:
    with raw_server(b"", then="hang") as srv:
        result = run_cli(["ws", "connect", srv.url, "--timeout", "0.3"])
    assert result.exit_code == 6


def test_abrupt_tcp_close_exits_8() -> None:
    with raw_server(build_frame(1, b"hi"), then="close") as srv:
        result = run_cli(["ws", "connect", srv.url, "--json"])
    assert result.exit_code == 8
    assert records(result, "close")[0]["code"] == 1006


def test_abrupt_close_expected_with_expect_close_1006() -> None:
    with raw_server(b"", then="close") as srv:
        result = run_cli(["ws", "connect", srv.url, "--expect-close", "1006"])
    assert result.exit_code == 0


def test_bad_url_is_a_usage_error() -> None:
    result = run_cli(["ws", "connect", "http://example.org"])
    assert result.exit_code == 2


# -- broken frames from the server: named violation, the right close code, exit 5 ----------------------

BROKEN = [
    ("reserved opcode", build_frame(3, b"x"), 1002),
    ("rsv1 without extension", build_frame(1, b"x", rsv1=True), 1002),
    ("masked server frame", build_frame(1, b"x", mask_key=b"abcd"), 1002),
    ("control frame too long", build_frame(9, b"p" * 126), 1002),
    ("fragmented control frame", build_frame(9, b"p", fin=False), 1002),
    ("unexpected continuation", build_frame(0, b"x"), 1002),
    ("new data frame inside message", build_frame(1, b"a", fin=False) + build_frame(1, b"b"), 1002),
    ("invalid utf-8 text", build_frame(1, b"\xff\xfe"), 1007),
    ("close payload of one byte", build_frame(8, b"\x03"), 1002),
    ("close code not allowed", close_frame(1005), 1002),
    ("non-minimal length", build_frame(1, b"abc", length_bits=16), 1002),
]


@pytest.mark.parametrize(("name", "frames", "close_code"), BROKEN, ids=[b[0] for b in BROKEN])
@pytest.mark.parametrize("show", ["frames", "messages"])
def test_broken_frame_is_named_and_exits_5(name: str, frames: bytes, close_code: int, show: str) -> None:
    with raw_server(frames) as srv:
        result = run_cli(["ws", "connect", srv.url, "--json", "--show", show, "--timeout", "10"])
    assert result.exit_code == 5, (name, result.stdout, result.stderr)
    lines = result.json_lines()
    violations = [v for r in lines if r.get("dir") == "recv" for v in r.get("violations", [])]
    assert violations, f"{name}: no violation named"
    assert all(v["rfc"] for v in violations)
    sent_close = records(result, "close")[0]["sent_code"]
    assert sent_close == close_code, (name, sent_close)


def test_message_larger_than_max_size_closes_1009() -> None:
    with raw_server(build_frame(2, b"z" * 2000)) as srv:
        result = run_cli(["ws", "connect", srv.url, "--json", "--max-size", "1000"])
    assert result.exit_code == 5
    assert records(result, "close")[0]["sent_code"] == 1009


# -- --record and --proxy ------------------------------------------------------------------------------

def test_record_writes_every_chunk_and_the_records_rebuild_from_them(tmp_path: Any) -> None:
    from wiretool.capture.file import read_capture

    path = tmp_path / "session.ndjson"
    with ThreadServer(websockets_handler=echo, compression=None) as srv:
        result = run_cli(["ws", "connect", srv.url, "--send", "hi", "--count", "1", "--json", "--record", str(path)])
    assert result.exit_code == 0, result.stderr
    cap = read_capture(path)
    assert cap.proto == "ws"
    assert cap.stream("recv").startswith(b"HTTP/1.1 101")
    assert cap.stream("send").startswith(b"GET / HTTP/1.1")
    assert [r["type"] for r in cap.records] == ["connect"]  # kept: no byte says where it went; the rest is rebuilt
    assert cap.connections[0].server is not None and cap.connections[0].client is not None
    kinds = [r["type"] for r in run_cli(["frame", "decode", "--capture", str(path), "--json"]).json_lines()]
    assert "handshake" in kinds and "frame" in kinds and kinds[-1] == "summary"


def connect_proxy(seen: list[str]) -> ThreadServer:
    """A minimal HTTP CONNECT proxy: records the request line, then pipes bytes both ways."""

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode()
        line = head.split("\r\n", 1)[0]
        seen.append(head)
        host, port = line.split()[1].rsplit(":", 1)
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        await writer.drain()
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    return ThreadServer(handler)


def test_http_connect_proxy() -> None:
    seen: list[str] = []
    with ThreadServer(websockets_handler=echo, compression=None) as srv, connect_proxy(seen) as proxy:
        result = run_cli(["ws", "connect", srv.url, "--proxy", f"http://user:pw@127.0.0.1:{proxy.port}",
                          "--send", "via proxy", "--count", "1", "--json"])
    assert result.exit_code == 0, result.stderr
    assert seen and seen[0].startswith(f"CONNECT 127.0.0.1:{srv.port} HTTP/1.1")
    assert "Proxy-Authorization: Basic dXNlcjpwdw==" in seen[0]
    assert records(result, "connect")[0]["proxy"].startswith("http://")


def test_proxy_refusing_connect_exits_3() -> None:
    async def refuse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()
        writer.close()

    with ThreadServer(refuse) as proxy:
        result = run_cli(["ws", "connect", "ws://127.0.0.1:9/", "--proxy", f"http://127.0.0.1:{proxy.port}"])
    assert result.exit_code == 3 and "proxy refused" in result.stderr


def test_connect_timeout_when_the_handshake_never_comes() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    with ThreadServer(silent) as srv:
        result = run_cli(["ws", "connect", srv.url, "--connect-timeout", "0.3"])
    assert result.exit_code == 6 and "connect-timeout" in result.stderr


def test_count_unmet_when_server_closes_exits_7() -> None:
    with raw_server(build_frame(1, b"only one") + close_frame(1000)) as srv:
        result = run_cli(["ws", "connect", srv.url, "--count", "2", "--json"])
    assert result.exit_code == 7 and "--count 2" in result.stderr


def test_ipv6_loopback_url() -> None:
    import socket

    if not socket.has_ipv6:
        pytest.fail("IPv6 is needed for this test")

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await answer_handshake(reader, writer)
        writer.write(build_frame(1, b"v6"))
        await answer_close(reader, writer)
        writer.close()

    class V6Server(ThreadServer):
        async def _start(self) -> None:
            self.server = await asyncio.start_server(self.handler, "::1", 0)
            self.port = next(iter(self.server.sockets)).getsockname()[1]

    with V6Server(handler) as server:
        result = run_cli(["ws", "connect", f"ws://[::1]:{server.port}/path?q=1", "--count", "1", "--json"])
    assert result.exit_code == 0, result.stderr
    assert records(result, "handshake")[0]["request_line"] == "GET /path?q=1 HTTP/1.1"
    assert records(result, "connect")[0]["peer"].startswith("::1")


def test_garbage_instead_of_http_exits_4() -> None:
    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(30)

    with ThreadServer(garbage) as srv:
        result = run_cli(["ws", "connect", srv.url, "--connect-timeout", "10"])
    assert result.exit_code == 4 and "did not receive a valid HTTP response" in result.stderr


def test_wss_through_proxy_and_sslkeylogfile(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from wiretool.serve.certs import self_signed

    tls = self_signed(directory=tmp_path)
    keylog = tmp_path / "keys.log"
    monkeypatch.setenv("SSLKEYLOGFILE", str(keylog))
    seen: list[str] = []
    with ThreadServer(websockets_handler=echo, compression=None, ssl=tls.context) as srv, \
            connect_proxy(seen) as proxy:
        url = f"wss://localhost:{srv.port}/secure"
        result = run_cli(["ws", "connect", url, "--cacert", str(tls.ca_file), "--proxy",
                          f"http://127.0.0.1:{proxy.port}", "--send", "over tls", "--count", "1", "--json"])
    assert result.exit_code == 0, result.stderr
    assert seen[0].startswith(f"CONNECT localhost:{srv.port} ")
    assert records(result, "connect")[0]["tls_version"].startswith("TLS")
    assert keylog.exists() and keylog.stat().st_size > 0


def test_proxy_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    with ThreadServer(websockets_handler=echo, compression=None) as srv, connect_proxy(seen) as proxy:
        monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{proxy.port}")
        result = run_cli(["ws", "connect", srv.url, "--send", "env", "--count", "1"])
    assert result.exit_code == 0, result.stderr
    assert seen and seen[0].startswith("CONNECT 127.0.0.1:")


def test_close_after_a_violation_is_still_shown_from_the_wire() -> None:
    with raw_server(build_frame(1, b"abc", length_bits=16)) as srv:  # then answers our close 1002
        result = run_cli(["ws", "connect", srv.url, "--json"])
    assert result.exit_code == 5
    close = records(result, "close")[0]
    assert (close["code"], close["sent_code"], close["clean"], close["initiator"]) == (1002, 1002, True, "client")


def test_messages_mode_with_deflate_shows_each_message_once() -> None:
    with ThreadServer(websockets_handler=echo) as srv:
        result = run_cli(["ws", "connect", srv.url, "--compression", "deflate", "--show", "messages", "--json",
                          "--send", "alpha", "--send", "beta", "--count", "2"])
    assert result.exit_code == 0, result.stderr
    got = [m["text"] for m in records(result, "message") if m["dir"] == "recv"]
    assert got == ["alpha", "beta"]


def test_client_certificate_for_mutual_tls(tmp_path: Any) -> None:
    import ssl

    import trustme

    ca = trustme.CA()
    server_cert = ca.issue_cert("localhost")
    client_cert = ca.issue_cert("wiretool-client")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_cert.configure_cert(ctx)
    ca.configure_trust(ctx)
    ctx.verify_mode = ssl.CERT_REQUIRED
    ca_file, cert_file, key_file = tmp_path / "ca.pem", tmp_path / "client.pem", tmp_path / "client.key"
    ca.cert_pem.write_to_path(str(ca_file))
    client_cert.cert_chain_pems[0].write_to_path(str(cert_file))
    client_cert.private_key_pem.write_to_path(str(key_file))
    with ThreadServer(websockets_handler=echo, compression=None, ssl=ctx) as srv:
        url = f"wss://localhost:{srv.port}"
        ok = run_cli(["ws", "connect", url, "--cacert", str(ca_file), "--cert", str(cert_file), "--key",
                      str(key_file), "--send", "mtls", "--count", "1"])
        without = run_cli(["ws", "connect", url, "--cacert", str(ca_file), "--send", "mtls", "--count", "1",
                           "--timeout", "10"])
    assert ok.exit_code == 0, ok.stderr
    # TLS 1.3: the server refuses after the client finished its handshake, so the client sees the connection end
    assert without.exit_code in (3, 8) and "Traceback" not in without.stderr, without.stderr
