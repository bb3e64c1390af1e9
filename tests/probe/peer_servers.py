"""Start the real WebSocket servers `probe ws` is checked against, each in its own process on loopback.

Each yields its URL once the port accepts connections; each is stopped (killed) at the end of the block.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parent
NODE_DIR = HERE.parent / "peers" / "npm" / "probe"

SERVERS = ("websockets", "node-ws", "aiohttp", "tornado", "uvicorn-websockets", "uvicorn-wsproto", "wiretool")
"""Every peer server, by the name the docs table uses."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _command(name: str, port: int) -> list[str]:
    py = sys.executable
    if name == "websockets":
        return [py, "-m", "websockets.cli", "--help"]  # replaced below (websockets has no echo CLI)
    if name == "node-ws":
        return ["node", str(NODE_DIR / "ws_echo.js"), str(port)]
    if name == "aiohttp":
        return [py, str(HERE / "servers" / "aiohttp_echo.py"), str(port)]
    if name == "tornado":
        return [py, str(HERE / "servers" / "tornado_echo.py"), str(port)]
    if name.startswith("uvicorn-"):
        return [py, "-m", "uvicorn", "--app-dir", str(HERE / "servers"), "asgi_echo:app", "--host", "127.0.0.1",
                "--port", str(port), "--ws", name.split("-", 1)[1], "--log-level", "warning",
                "--ws-max-size", str(64 << 20)]
    if name == "wiretool":
        return [str(Path(py).parent / "wiretool"), "serve", "ws", "--port", str(port), "--show", "none"]
    raise ValueError(name)


WEBSOCKETS_ECHO = """
import asyncio, sys
from websockets.asyncio.server import serve
async def echo(ws):
    try:
        async for m in ws:
            await ws.send(m)
    except Exception:
        pass
async def main():
    async with serve(echo, "127.0.0.1", int(sys.argv[1]), max_size=None):
        await asyncio.Future()
asyncio.run(main())
"""


@contextlib.contextmanager
def running(name: str) -> Iterator[str]:
    """Run server ``name``; yield its ws:// URL."""
    port = _free_port()
    cmd = [sys.executable, "-c", WEBSOCKETS_ECHO, str(port)] if name == "websockets" else _command(name, port)
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "NO_COLOR": "1"})
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode} before listening")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not listen on {port} within 20 s")
            time.sleep(0.05)
        yield f"ws://127.0.0.1:{port}/"
    finally:
        proc.kill()
        proc.wait(5)
