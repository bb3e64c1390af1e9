"""``serve ws``: the in-process API with a plain websockets client as the peer, the script language, and
the command through the installed entry point (listening line, SIGTERM, server-side frame view).
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess

import pytest
from conftest import WIRETOOL, run_cli

from wiretool.errors import UsageError
from wiretool.output.env import Environment
from wiretool.output.sink import Output
from wiretool.serve.ws import DEFAULT_PORT, ServeOptions, running_server
from wiretool.serve.ws_script import parse_script


def quiet_output() -> tuple[Output, io.StringIO]:
    buf = io.StringIO()
    return Output(Environment(stdout=buf, stderr=io.StringIO(), json=True), proto="ws"), buf


def lines_of(buf: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buf.getvalue().splitlines()]


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(asyncio.wait_for(coro, 30))


def test_default_port_is_8765() -> None:
    assert DEFAULT_PORT == 8765 and ServeOptions().port == 8765
    assert "8765" in run_cli(["serve", "ws", "--help"]).stdout


def test_echo_with_websockets_client_and_server_side_view() -> None:
    from websockets.asyncio.client import connect

    async def main() -> tuple[str, list[dict]]:
        out, buf = quiet_output()
        async with running_server(out, ServeOptions(port=0)) as server:
            async with connect(server.url, compression=None) as ws:
                await ws.send("hello")
                reply = await ws.recv()
            await asyncio.sleep(0.1)
        return str(reply), lines_of(buf)

    reply, lines = run(main())
    assert reply == "hello"
    frames = [r for r in lines if r["type"] == "frame"]
    got = next(f for f in frames if f["dir"] == "recv" and f["opcode_name"] == "TEXT")
    sent = next(f for f in frames if f["dir"] == "send" and f["opcode_name"] == "TEXT")
    assert got["masked"] is True and got["mask_key"] and got["payload_text"] == "hello"
    assert sent["masked"] is False and sent["payload_text"] == "hello"
    assert [r["type"] for r in lines][:3] == ["accept", "handshake", "handshake"]


def test_echo_keeps_fragmentation() -> None:
    from websockets.asyncio.client import connect

    async def main() -> tuple[str, list[dict]]:
        out, buf = quiet_output()
        async with running_server(out, ServeOptions(port=0)) as server:
            async with connect(server.url, compression=None) as ws:
                await ws.send(["frag", "ment", "ed"])
                reply = await ws.recv()
        return str(reply), lines_of(buf)

    reply, lines = run(main())
    assert reply == "fragmented"
    sent = [f["opcode_name"] for f in lines if f["type"] == "frame" and f["dir"] == "send"]
    assert sent[:3] == ["TEXT", "CONT", "CONT"]


def test_flood_sends_n_messages_then_closes_1000() -> None:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosedOK

    async def main() -> tuple[list[str], int | None]:
        out, _ = quiet_output()
        got: list[str] = []
        async with running_server(out, ServeOptions(port=0, mode="flood", messages=500, size=8)) as server:
            async with connect(server.url, compression=None) as ws:
                try:
                    async for message in ws:
                        got.append(str(message))
                except ConnectionClosedOK:
                    pass
                code = ws.close_code
        return got, code

    got, code = run(main())
    assert len(got) == 500 and got[0] == "x" * 8 and code == 1000


def test_flood_with_deflate_goes_through_the_extension() -> None:
    from websockets.asyncio.client import connect

    async def main() -> list[str]:
        out, _ = quiet_output()
        async with running_server(out, ServeOptions(port=0, mode="flood", messages=50, size=100)) as server:
            async with connect(server.url) as ws:  # offers permessage-deflate
                return [str(m) async for m in ws]

    assert run(main()) == ["x" * 100] * 50


def test_script_mode_runs_each_step() -> None:
    from websockets.asyncio.client import connect

    steps = parse_script("# greeting\nsend welcome\nrecv\nsend-hex 0102\nping are-you-there\nclose 4000 bye\n")

    async def main() -> tuple[list[object], int | None, str | None]:
        out, _ = quiet_output()
        async with running_server(out, ServeOptions(port=0, mode="script", script=steps)) as server:
            async with connect(server.url, compression=None) as ws:
                first = await ws.recv()
                await ws.send("go")
                second = await ws.recv()
                await ws.wait_closed()
                return [first, second], ws.close_code, ws.close_reason

    got, code, reason = run(main())
    assert got == ["welcome", b"\x01\x02"] and code == 4000 and reason == "bye"


def test_subprotocol_is_selected() -> None:
    from websockets.asyncio.client import connect

    async def main() -> str | None:
        out, _ = quiet_output()
        async with running_server(out, ServeOptions(port=0, subprotocols=["v2", "v1"])) as server:
            async with connect(server.url, subprotocols=["v1"]) as ws:  # type: ignore[list-item]
                return ws.subprotocol

    assert run(main()) == "v1"


def test_script_errors_name_the_line() -> None:
    with pytest.raises(UsageError, match=r"s\.txt:2: unknown step 'dance'"):
        parse_script("send a\ndance\n", source="s.txt")
    with pytest.raises(UsageError, match="not hex"):
        parse_script("raw zz\n")


def test_script_mode_needs_a_file() -> None:
    result = run_cli(["serve", "ws", "--mode", "script"])
    assert result.exit_code == 2 and "needs a FILE" in result.stderr


def test_entry_point_prints_listening_first_and_exits_0_on_sigterm() -> None:
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.Popen([WIRETOOL, "serve", "ws", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None
    first = proc.stdout.readline().decode()
    assert first.startswith("listening on ws://127.0.0.1:")
    client = subprocess.run([WIRETOOL, "ws", "connect", first.split()[-1], "--send", "ping?", "--count", "1"],
                            capture_output=True, env=env, timeout=30)
    assert client.returncode == 0
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    text = out.decode()
    assert "accepted" in text and "mask=" in text and "ping?" in text


def test_echo_answers_data_sent_in_the_same_read_as_the_close() -> None:
    import base64
    import os as _os

    from wiretool.codec.wsbuild import build_frame
    from wiretool.codec.wsframe import WsFrameParser

    async def main() -> list[str]:
        out, _ = quiet_output()
        async with running_server(out, ServeOptions(port=0)) as server:
            host, port = server.url[5:].rsplit(":", 1)
            reader, writer = await asyncio.open_connection(host, int(port))
            key = base64.b64encode(_os.urandom(16)).decode()
            writer.write((f"GET / HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                          f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
            await reader.readuntil(b"\r\n\r\n")
            mask = b"\x01\x02\x03\x04"
            writer.write(build_frame(1, b"last words", mask_key=mask) + build_frame(8, b"\x03\xe8", mask_key=mask))
            data = await asyncio.wait_for(reader.read(-1), 10)
            writer.close()
        parser = WsFrameParser(sender="server")
        return [f.opcode_name for f in parser.feed(data) if f.type == "frame"]

    assert run(main()) == ["TEXT", "CLOSE"]


def test_show_messages_on_an_ipv6_server() -> None:
    from websockets.asyncio.client import connect

    async def main() -> tuple[str, str, list[dict]]:
        out, buf = quiet_output()
        async with running_server(out, ServeOptions(host="::1", port=0, show="messages")) as server:
            async with connect(server.url, compression=None) as ws:
                await ws.send(["two ", "parts"])
                reply = await ws.recv()
            await asyncio.sleep(0.1)
        return server.url, str(reply), lines_of(buf)

    url, reply, lines = run(main())
    assert url.startswith("ws://[::1]:") and reply == "two parts"
    assert not [r for r in lines if r["type"] == "frame"]
    got = next(r for r in lines if r["type"] == "message" and r["dir"] == "recv")
    assert got["text"] == "two parts" and got["frames"] >= 2  # websockets may end with an empty CONT
