"""An ASGI WebSocket app for hypercorn, which serves it over HTTP/2 too (RFC 8441, extended CONNECT):
``/ws`` says ``hello`` first, then echoes every message back with ``echo: ``; ``bye`` closes with 1000."""

from __future__ import annotations


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] == "lifespan":  # not supported: returning says so, and the server goes on without it (ASGI)
        return
    if scope["type"] != "websocket":
        await send({"type": "http.response.start", "status": 404, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
        return
    message = await receive()
    assert message["type"] == "websocket.connect"
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "text": "hello"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text == "bye":
            await send({"type": "websocket.close", "code": 1000, "reason": "bye"})
            return
        if text is not None:
            await send({"type": "websocket.send", "text": f"echo: {text}"})
        else:
            await send({"type": "websocket.send", "bytes": message.get("bytes") or b""})
