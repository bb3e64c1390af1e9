"""The page's second origin for the browser test: a WebSocket echo and an event stream, HTTP/1.1 over TLS.

Run as ``python live_origin.py CERT KEY``: hypercorn on 127.0.0.1, a free port, ALPN http/1.1 only (so the
browser speaks HTTP/1.1 here and the proxy shows WebSocket frames and SSE events, not h2 DATA frames);
the first line on stdout is the port. ``/events`` answers with CORS for the page's other origin and stays
open after its events (``/events?end`` ends it).
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

EVENTS = 3


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            kind = (await receive())["type"]
            await send({"type": kind + ".complete"})
            if kind == "lifespan.shutdown":
                return
    if scope["type"] == "websocket":
        await receive()  # websocket.connect
        await send({"type": "websocket.accept"})
        while True:
            msg = await receive()
            if msg["type"] != "websocket.receive":
                return
            await send({"type": "websocket.send", "text": "echo: " + (msg.get("text") or "")})
    if scope["path"] == "/events":
        await send({"type": "http.response.start", "status": 200, "headers": [
            (b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache"),
            (b"access-control-allow-origin", b"*")]})
        for n in range(1, EVENTS + 1):
            await send({"type": "http.response.body", "body": f"id: {n}\nevent: tick\ndata: tick {n}\n\n".encode(),
                        "more_body": True})
            await asyncio.sleep(0.1)
        if b"end" not in scope.get("query_string", b""):
            await asyncio.sleep(30)  # keep the stream open, as a live feed would: the page closes it
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 404, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"not found\n"})


async def main(cert: str, key: str) -> None:
    import socket

    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.certfile, config.keyfile = cert, key
    config.alpn_protocols = ["http/1.1"]
    config.accesslog = None
    config.errorlog = None
    print(port, flush=True)
    await serve(app, config)  # type: ignore[arg-type]


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
