"""WebSocket through ``wiretool proxy``: real clients and servers (websockets, npm ws), frames both ways, bytes exact."""

from __future__ import annotations

import asyncio
import json

from conftest import ServeProcess, free_port
from proxyhelp import NPM, ProxyProcess, Recorder, Server, no_traceback, node, of


def _websockets_chat(port: int, messages: list[str], *, compression: str | None = "deflate") -> list[str]:
    import websockets

    async def main() -> list[str]:
        got = []
        async with websockets.connect(f"ws://127.0.0.1:{port}/chat", compression=compression) as ws:
            for m in messages:
                await ws.send(m)
                got.append(await ws.recv())
        return got

    return asyncio.run(main())


def test_websockets_client_through_proxy_to_serve_ws_byte_exact() -> None:
    server = ServeProcess("ws")
    back = Recorder(int(server.url.rsplit(":", 1)[1]))
    proxy = ProxyProcess(f"http://127.0.0.1:{back.port}", "--show-secrets")
    front = Recorder(proxy.port)
    try:
        got = _websockets_chat(front.port, ["hello", "x" * 300, "é"])
        assert got == ["hello", "x" * 300, "é"]
    finally:
        records = proxy.stop()
        front.close()
        back.close()
        server.stop()
    no_traceback(proxy.err)
    # what the client sent reached the server unchanged, and what the server sent reached the client
    assert bytes(front.c2s) == bytes(back.c2s) and len(front.c2s) > 0
    assert bytes(front.s2c) == bytes(back.s2c) and len(front.s2c) > 0
    hs = of(records, "ws", "handshake")
    assert [h["dir"] for h in hs] == ["c2s", "s2c"] and hs[1]["status"] == 101 and hs[1]["accept_ok"] is True
    assert all(r["conn"] == 1 for r in records if r["type"] not in ("listening", "summary", "error"))
    frames = of(records, "ws", "frame")
    c2s = [f for f in frames if f["dir"] == "c2s"]
    s2c = [f for f in frames if f["dir"] == "s2c"]
    assert all(f["masked"] for f in c2s) and not any(f["masked"] for f in s2c)
    assert all(f["violations"] == [] for f in frames)
    # permessage-deflate was negotiated: frames are compressed, the messages shown inflated
    assert any(f["rsv1"] for f in c2s)
    texts = [m["text"] for m in of(records, "ws", "message") if m["dir"] == "s2c"]
    assert texts == ["hello", "x" * 300, "é"]
    end = of(records, "proxy", "end")[0]
    assert end["protocol"] == "ws" and end["close_code"] == 1000 and end["messages"] == 6 and end["error"] is None
    assert end["bytes_c2s"] == len(front.c2s) and end["bytes_s2c"] == len(front.s2c)


def test_node_ws_client_and_server_through_proxy() -> None:
    port = free_port()
    server = Server(["node", "ws_server.js", str(port)], port, cwd=NPM)
    proxy = ProxyProcess(f"http://127.0.0.1:{port}")
    try:
        done = node("ws_client.js", f"ws://127.0.0.1:{proxy.port}/", "one", "two")
        assert done.returncode == 0, done.stderr
        lines = [json.loads(x) for x in done.stdout.splitlines()]
        assert lines == [{"binary": False, "text": "one"}, {"binary": False, "text": "two"},
                         {"binary": True, "text": "000102ff"}, {"close": 1000}]
    finally:
        records = proxy.stop()
        server.stop()
    no_traceback(proxy.err)
    frames = of(records, "ws", "frame")
    assert [(f["dir"], f["opcode_name"], f["payload_text"]) for f in frames if f["opcode_name"] == "TEXT"] == [
        ("c2s", "TEXT", "one"), ("c2s", "TEXT", "two"), ("s2c", "TEXT", "one"), ("s2c", "TEXT", "two")]
    binary = [f for f in frames if f["opcode_name"] == "BINARY"]
    assert [f["payload_hex"] for f in binary] == ["000102ff", "000102ff"]
    closes = [f for f in frames if f["opcode_name"] == "CLOSE"]
    assert closes[0]["dir"] == "c2s" and closes[0]["close_code"] == 1000 and closes[0]["close_reason"] == "done"
    assert of(records, "proxy", "end")[0]["close_code"] == 1000


def test_many_connections_at_once_each_with_its_conn_and_summary() -> None:
    server = ServeProcess("ws")
    proxy = ProxyProcess(server.url.replace("ws://", "http://"), "--show", "messages")

    async def main() -> list[list[str]]:
        import websockets

        async def one(i: int) -> list[str]:
            async with websockets.connect(f"ws://127.0.0.1:{proxy.port}/", compression=None) as ws:
                out = []
                for j in range(3):
                    await ws.send(f"c{i}-{j}")
                    out.append(await ws.recv())
                return out

        return await asyncio.gather(*(one(i) for i in range(4)))

    try:
        results = asyncio.run(main())
    finally:
        records = proxy.stop()
        server.stop()
    assert results == [[f"c{i}-{j}" for j in range(3)] for i in range(4)]
    ends = of(records, "proxy", "end")
    assert sorted(e["conn"] for e in ends) == [1, 2, 3, 4]
    assert all(e["protocol"] == "ws" and e["messages"] == 6 for e in ends)
    # --show messages: messages, no frames; every message of a connection belongs to that connection
    assert not of(records, "ws", "frame")
    for conn in (1, 2, 3, 4):
        texts = {m["text"] for m in of(records, "ws", "message", conn=conn)}
        assert len(texts) == 3 and len({t.split("-")[0] for t in texts}) == 1
    summary = records[-1]
    assert summary["type"] == "summary" and summary["connections"] == 4 and summary["failed"] == 0
    assert proxy.returncode == 130


def test_pretty_view_prefixes_each_connection() -> None:
    server = ServeProcess("ws")
    proxy = ProxyProcess(server.url.replace("ws://", "http://"), json_output=False)
    try:
        assert _websockets_chat(proxy.port, ["pretty"], compression=None) == ["pretty"]
    finally:
        proxy.stop()
        server.stop()
    lines = [x for x in proxy.out.splitlines() if x.startswith("#1 ")]
    assert any("TEXT" in x for x in lines), proxy.out
    assert any("end ws" in x and "close 1000" in x for x in lines), proxy.out
    no_traceback(proxy.err)
