"""A tiny ASGI app for hypercorn in the proxy tests: ``/`` says hello, ``/stream`` is an SSE stream of 3 events.

hypercorn speaks HTTP/1.1, h2c (Upgrade) and HTTP/2 by prior knowledge on one plain port, which is what the
proxy's sniffing has to tell apart.
"""

from __future__ import annotations


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] == "lifespan":  # not supported: returning says so, and the server goes on without it (ASGI)
        return
    if scope["path"] == "/stream":
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream")]})
        for i in range(3):
            await send({"type": "http.response.body", "body": f"id: {i}\ndata: tick {i}\n\n".encode(),
                        "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    body = f"hello over HTTP/{scope['http_version']}\n".encode()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
