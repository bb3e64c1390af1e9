"""tornado's WebSocket echo server for tests/probe (port from argv)."""

import asyncio
import sys

import tornado.web
import tornado.websocket


class Echo(tornado.websocket.WebSocketHandler):
    def get_compression_options(self) -> dict:
        return {}

    def on_message(self, message: str | bytes) -> None:
        self.write_message(message, binary=isinstance(message, bytes))


async def main() -> None:
    app = tornado.web.Application([(r"/", Echo)], websocket_max_message_size=64 << 20)
    app.listen(int(sys.argv[1]), address="127.0.0.1")
    print("ready", flush=True)
    await asyncio.Event().wait()


asyncio.run(main())
