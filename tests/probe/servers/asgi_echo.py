"""A plain ASGI WebSocket echo app, served by uvicorn with ``--ws websockets`` or ``--ws wsproto``."""


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] == "lifespan":  # not supported: returning says so, and the server goes on without it (ASGI)
        return
    if scope["type"] != "websocket":
        return
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})
        elif message.get("bytes") is not None:
            await send({"type": "websocket.send", "bytes": message["bytes"]})
