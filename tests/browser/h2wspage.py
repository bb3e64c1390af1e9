"""An ASGI app for hypercorn over TLS in the browser test: ``/`` is a page whose script opens a WebSocket to
``/ws`` on the same origin (over the page's HTTP/2 connection, RFC 8441, when the browser does that);
``/ws`` answers ``echo: `` + each message."""

from __future__ import annotations

PAGE = b"""<!doctype html><html><head><meta charset="utf-8"><title>running</title></head><body>
<p id="ws">WebSocket over HTTP/2: waiting</p>
<script>
const ws = new WebSocket("wss://" + location.host + "/ws");
ws.onopen = () => ws.send("hello over h2");
ws.onmessage = (e) => {
  document.getElementById("ws").textContent = "WebSocket over HTTP/2: " + e.data;
  ws.close(1000, "bye"); document.title = "done";
};
ws.onerror = () => { document.title = "ws error"; };
</script></body></html>"""


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] == "lifespan":  # not supported: returning says so, and the server goes on without it (ASGI)
        return
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/html"), (b"content-length", str(len(PAGE)).encode())]})
        await send({"type": "http.response.body", "body": PAGE})
        return
    await receive()
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        await send({"type": "websocket.send", "text": f"echo: {message.get('text')}"})
