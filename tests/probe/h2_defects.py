"""A loopback proxy in front of a real HTTP/2 server that breaks one rule in what the server sends.

``probe h2``'s tests put it between the probe and nghttpd: each defect rewrites or drops one kind of frame
from the server, so the cases that rely on that frame must turn FAILED and every other case must keep its
verdict.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
import threading

PREFACE_LEN = 24

DEFECTS = ("drop-rst-stream", "compression-error-as-protocol-error", "strip-end-stream")


def rewrite(defect: str, typ: int, flags: int, sid: int, payload: bytes) -> bytes | None:
    """The frame as the defective server sends it (None: not sent at all)."""
    if defect == "drop-rst-stream" and typ == 0x3:
        return None
    if defect == "compression-error-as-protocol-error" and typ == 0x7 and len(payload) >= 8:
        code = struct.unpack(">I", payload[4:8])[0]
        if code == 0x9:
            payload = payload[:4] + struct.pack(">I", 0x1) + payload[8:]
    if defect == "strip-end-stream" and typ in (0x0, 0x1) and sid:
        flags &= ~0x1
    return struct.pack(">I", len(payload))[1:] + bytes((typ, flags)) + struct.pack(">I", sid) + payload


class DefectProxy:
    """Accepts on 127.0.0.1, relays to ``upstream_port``, rewriting the server's frames by ``defect``."""

    def __init__(self, upstream_port: int, defect: str) -> None:
        assert defect in DEFECTS
        self.upstream_port = upstream_port
        self.defect = defect
        self.loop = asyncio.new_event_loop()
        self.port = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> str:
        self._thread.start()
        self._ready.wait(10)
        return f"http://127.0.0.1:{self.port}/"

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._conn, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self.loop.run_forever()

    async def _conn(self, creader: asyncio.StreamReader, cwriter: asyncio.StreamWriter) -> None:
        try:
            ureader, uwriter = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            cwriter.close()
            return

        async def up() -> None:
            with contextlib.suppress(Exception):
                while data := await creader.read(65536):
                    uwriter.write(data)
                    await uwriter.drain()
            with contextlib.suppress(Exception):
                uwriter.close()

        async def down() -> None:
            buf = bytearray()
            with contextlib.suppress(Exception):
                while data := await ureader.read(65536):
                    buf += data
                    while len(buf) >= 9:
                        length = int.from_bytes(buf[:3], "big")
                        if len(buf) < 9 + length:
                            break
                        typ, flags = buf[3], buf[4]
                        sid = int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
                        out = rewrite(self.defect, typ, flags, sid, bytes(buf[9:9 + length]))
                        del buf[:9 + length]
                        if out is not None:
                            cwriter.write(out)
                    await cwriter.drain()
            with contextlib.suppress(Exception):
                cwriter.close()

        await asyncio.gather(up(), down())
