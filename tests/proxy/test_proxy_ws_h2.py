"""WebSocket over HTTP/2 (RFC 8441) through ``wiretool proxy``: hypercorn serves it, a client written with the
``h2`` library opens it with an extended CONNECT; the proxy shows the WebSocket frames and messages of that
stream (with its ``stream_id``) live, in ``--json`` and when the capture is decoded again."""

from __future__ import annotations

import os
import socket
import struct
import sys
from pathlib import Path

import pytest
from conftest import free_port, run_cli, run_wiretool
from proxyhelp import HERE, ProxyProcess, Server, no_traceback, of


@pytest.fixture
def hypercorn_ws():  # type: ignore[no-untyped-def]
    """hypercorn serving tests/proxy/h2wsapp.py on a plain port (h2 by prior knowledge, RFC 8441 enabled)."""
    port = free_port()
    server = Server([sys.executable, "-m", "hypercorn", "--bind", f"127.0.0.1:{port}", "h2wsapp:app"], port, cwd=HERE)
    yield port
    server.stop()


def _frame(opcode: int, payload: bytes) -> bytes:
    """A masked client frame (RFC 6455 §5.2), payload < 126 bytes."""
    key = os.urandom(4)
    masked = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + key + masked


def _ws_over_h2(port: int, texts: list[str]) -> list[bytes]:
    """Open ``/ws`` as stream 1 with an extended CONNECT, send ``texts`` then ``bye``; the server's raw DATA."""
    import h2.config
    import h2.connection
    import h2.events
    import h2.settings

    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    got: list[bytes] = []
    status: list[str] = []
    ended = False

    def pump(until) -> None:  # type: ignore[no-untyped-def]
        nonlocal ended
        while not until():
            data = sock.recv(65536)
            if not data:
                ended = True
                return
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.ResponseReceived):
                    status.extend(v for n, v in ev.headers if n == ":status")
                elif isinstance(ev, h2.events.DataReceived):
                    got.append(ev.data)
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded | h2.events.StreamReset):
                    ended = True
            sock.sendall(conn.data_to_send())

    with sock:
        conn.initiate_connection()
        sock.sendall(conn.data_to_send())
        pump(lambda: conn.remote_settings.get(h2.settings.SettingCodes.ENABLE_CONNECT_PROTOCOL) == 1)
        conn.send_headers(1, [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "http"),
                              (":path", "/ws"), (":authority", f"127.0.0.1:{port}"),
                              ("sec-websocket-version", "13")])
        sock.sendall(conn.data_to_send())
        pump(lambda: bool(status) and b"hello" in b"".join(got))
        assert status == ["200"], status
        for text in texts:
            before = len(b"".join(got))
            conn.send_data(1, _frame(0x1, text.encode()))
            sock.sendall(conn.data_to_send())
            want = f"echo: {text}".encode()
            pump(lambda b=before, w=want: len(b"".join(got)) > b and w in b"".join(got))  # type: ignore[misc]
        conn.send_data(1, _frame(0x1, b"bye"))  # the server closes with 1000; the client answers its close
        sock.sendall(conn.data_to_send())
        pump(lambda: b"\x88" in b"".join(got)[-8:] or ended)
        if not ended:
            conn.send_data(1, _frame(0x8, struct.pack(">H", 1000)), end_stream=True)
            sock.sendall(conn.data_to_send())
            pump(lambda: ended)
    return got


def test_websocket_over_h2_is_shown_per_stream(tmp_path: Path, hypercorn_ws: int) -> None:
    cap = tmp_path / "ws-h2.wtcap"
    proxy = ProxyProcess(f"http://127.0.0.1:{hypercorn_ws}", "--record", str(cap))
    try:
        got = _ws_over_h2(proxy.port, ["alpha", "beta"])
    finally:
        live = proxy.stop()
    no_traceback(proxy.err)
    assert b"echo: alpha" in b"".join(got)
    settings = [f for f in of(live, "h2", "frame", frame_type="SETTINGS", dir="s2c") if f.get("settings")]
    assert settings and settings[0]["settings"].get("ENABLE_CONNECT_PROTOCOL") == 1, settings
    connect = [f for f in of(live, "h2", "frame", dir="c2s") if f.get("headers")]
    assert [":protocol", "websocket"] in connect[0]["headers"]
    frames = of(live, "ws", "frame")
    assert frames and all(f["stream_id"] == 1 and f["conn"] == 1 for f in frames)
    c2s = [(f["opcode_name"], f["payload_text"], f["masked"]) for f in frames if f["dir"] == "c2s"]
    # the client's answering CLOSE crosses only when hypercorn has not ended the stream first
    assert c2s[:3] == [("TEXT", "alpha", True), ("TEXT", "beta", True), ("TEXT", "bye", True)], c2s
    s2c = [(f["opcode_name"], f["payload_text"], f["masked"]) for f in frames if f["dir"] == "s2c"]
    assert s2c[:3] == [("TEXT", "hello", False), ("TEXT", "echo: alpha", False), ("TEXT", "echo: beta", False)]
    assert all(not f["violations"] for f in frames), [f for f in frames if f["violations"]]
    end = of(live, "proxy", "end")[0]
    assert end["protocol"] == "ws" and end["close_code"] == 1000 and end["error"] is None, end
    assert end["messages"] >= 5, end

    decoded = run_wiretool(["--json", "frame", "decode", "--capture", str(cap)])
    assert decoded.exit_code == 0, decoded.stderr
    again = of(decoded.json_lines(), "ws", "frame")
    assert [(f["dir"], f["stream_id"], f["payload_hex"]) for f in again] == \
        [(f["dir"], f["stream_id"], f["payload_hex"]) for f in frames]
    messages = [(m["dir"], m["text"], m["stream_id"]) for m in of(decoded.json_lines(), "ws", "message")]
    assert ("c2s", "alpha", 1) in messages and ("s2c", "echo: beta", 1) in messages, messages

    pretty = run_cli(["frame", "decode", "--capture", str(cap)])  # the pretty view names the stream
    assert pretty.exit_code == 0, pretty.stderr
    assert any(x.startswith("#1 s1 ") and "TEXT" in x for x in pretty.stdout.splitlines()), pretty.stdout
    assert "echo: alpha" in pretty.stdout


def test_only_ws_shows_the_h2_websocket(hypercorn_ws: int) -> None:
    proxy = ProxyProcess(f"http://127.0.0.1:{hypercorn_ws}", "--only", "ws", "--show", "messages")
    try:
        _ws_over_h2(proxy.port, ["gamma"])
    finally:
        live = proxy.stop()
    no_traceback(proxy.err)
    assert proxy.proc.returncode == 130
    assert {r["proto"] for r in live} <= {"ws", "proxy"}, {r["proto"] for r in live}
    texts = [(m["dir"], m["text"]) for m in of(live, "ws", "message")]
    assert ("c2s", "gamma") in texts and ("s2c", "echo: gamma") in texts, texts
    assert of(live, "proxy", "end")[0]["protocol"] == "ws"


def test_expect_matches_a_message_of_the_h2_websocket(hypercorn_ws: int) -> None:
    proxy = ProxyProcess(f"http://127.0.0.1:{hypercorn_ws}", "--expect", "^echo: delta$", "--timeout", "20")
    try:
        _ws_over_h2(proxy.port, ["delta"])
    except OSError:
        pass  # the proxy ends (and closes its connections) as soon as the message matched: the client may see it
    records = proxy.wait()
    no_traceback(proxy.err)
    assert proxy.proc.returncode == 0, proxy.err
    assert ("s2c", "echo: delta", 1) in [(f["dir"], f["payload_text"], f["stream_id"]) for f in of(records, "ws", "frame")]
