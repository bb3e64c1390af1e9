"""Real servers for the view tests, each run in its own subprocess on 127.0.0.1 and a free port.

``python peer_servers.py pysio PORT``: python-socketio (PyPI) as an ASGI app under hypercorn, the same
events as the npm server (tests/peers/npm/views1/sio_server.js): "chat message" acked "got <msg>" and
echoed, namespace /admin with "whoami" acked "admin", pingInterval 1 s.

``python peer_servers.py signalr PORT``: a SignalR-style hub written here (no SignalR server installs from
a registry this machine reaches: ASP.NET Core is not on PyPI, npm or Debian), speaking the JSON hub
protocol over WebSocket with websockets: the handshake, ``Send(user, text)`` answered with a Completion
and a ``ReceiveMessage`` invocation, ``Fail()`` answered with a Completion error, a Ping after each call.

Each prints ``listening PORT`` when it accepts connections and exits when stdin closes.
"""

from __future__ import annotations

import asyncio
import json
import sys

RS = "\x1e"


async def _until_stdin_closes() -> None:
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)


async def pysio(port: int) -> None:
    import socketio
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    sio = socketio.AsyncServer(async_mode="asgi", ping_interval=1, ping_timeout=2, transports=["websocket"])

    @sio.on("chat message")
    async def chat(sid: str, msg: object) -> str:
        async def echo() -> None:  # after the ack, as the npm server does
            await asyncio.sleep(0.01)
            await sio.emit("chat message", msg, to=sid)

        sio.start_background_task(echo)
        return f"got {msg}"

    @sio.on("whoami", namespace="/admin")
    async def whoami(sid: str) -> str:
        return "admin"

    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None
    config.errorlog = None
    stop = asyncio.Event()
    server = asyncio.ensure_future(serve(socketio.ASGIApp(sio), config, shutdown_trigger=stop.wait))
    await _ready(port)
    await _until_stdin_closes()
    stop.set()
    await server


async def signalr(port: int) -> None:
    from websockets.asyncio.server import serve

    async def hub(ws) -> None:  # type: ignore[no-untyped-def]
        buffer = ""
        handshaken = False
        async for message in ws:
            buffer += message if isinstance(message, str) else message.decode()
            *records, buffer = buffer.split(RS)
            for text in records:
                value = json.loads(text)
                if not handshaken:
                    handshaken = True
                    await ws.send("{}" + RS)
                    continue
                if value.get("type") != 1:
                    continue
                ident = value.get("invocationId")
                if value.get("target") == "Send":
                    user, said = value["arguments"]
                    await ws.send(json.dumps({"type": 1, "target": "ReceiveMessage", "arguments": [user, said]}) + RS)
                    if ident is not None:
                        await ws.send(json.dumps({"type": 3, "invocationId": ident, "result": len(said)}) + RS)
                elif ident is not None:
                    await ws.send(json.dumps({"type": 3, "invocationId": ident, "error": "no such method"}) + RS)
                await ws.send(json.dumps({"type": 6}) + RS)

    async with serve(hub, "127.0.0.1", port):
        print(f"listening {port}", flush=True)
        await _until_stdin_closes()


async def _ready(port: int) -> None:
    for _ in range(200):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.02)
            continue
        writer.close()
        print(f"listening {port}", flush=True)
        return
    raise SystemExit(f"the server did not listen on {port}")


if __name__ == "__main__":
    kind, port_text = sys.argv[1], sys.argv[2]
    asyncio.run({"pysio": pysio, "signalr": signalr}[kind](int(port_text)))
