"""hypercorn serving a tiny ASGI app over h2c (or TLS with CERT KEY): ``PORT [CERT KEY]``."""

import asyncio
import sys

from hypercorn.asyncio import serve
from hypercorn.config import Config


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


config = Config()
config.bind = [f"127.0.0.1:{sys.argv[1]}"]
if len(sys.argv) > 3:
    config.certfile, config.keyfile = sys.argv[2], sys.argv[3]
asyncio.run(serve(app, config))
