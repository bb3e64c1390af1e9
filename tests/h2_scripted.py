"""A scripted HTTP/2 server for the tests: a raw socket, hyperframe and hpack, no state machine.

The script sees every frame the client sends and may answer any of them (tests/h2_misbehaving.py is one
such script: one crafted answer to stream 1), and the server's first SETTINGS can wait for the client's
first HEADERS (a slow server: the case of issue 11 #4). It keeps the connection until the client closes
it, so a client that does not end its run by itself is caught by its own ``--timeout`` (exit 6), never by
the server. Every byte both ways is kept in wire order as the server saw it (:class:`Wire`).
"""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from hpack import Encoder
from hyperframe.frame import DataFrame, HeadersFrame, SettingsFrame

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
RESP = [(":status", "200"), ("content-type", "text/plain")]


@dataclass
class Conn:
    """What the script gets: the HPACK encoder, the frames the client sent so far, and a scratch dict."""

    enc: Encoder = field(default_factory=Encoder)
    frames: list[tuple[int, int, int, bytes]] = field(default_factory=list)
    state: dict = field(default_factory=dict)

    def response(self, sid: int, body: bytes = b"ok", headers=RESP) -> bytes:
        return (HeadersFrame(sid, data=self.enc.encode(headers), flags=["END_HEADERS"]).serialize()
                + DataFrame(sid, data=body, flags=["END_STREAM"]).serialize())


Script = Callable[[Conn, int, int, int, bytes], bytes]
"""(conn, frame type, flags, stream id, body) → bytes to send back."""


@dataclass
class Wire:
    """The client's bytes as the server read them (``send``), and the server's as it wrote them (``recv``), in
    order: seen from the client, as a wiretool capture names them."""

    chunks: list[tuple[str, bytes]] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def sent_by_client(self) -> bytes:
        return b"".join(b for d, b in self.chunks if d == "send")

    def write_capture(self, path: Path, url: str) -> None:
        """A wiretool capture (docs/capture-format.md) of the exchange, seen from the client."""
        lines = [{"capture": "wiretool", "format": 1, "proto": "h2", "url": url, "request_headers": [],
                  "start": "2026-01-01T00:00:00.000+00:00", "secrets": "redacted"}]
        lines += [{"kind": "bytes", "dir": d, "t": i / 1000, "b64": base64.b64encode(b).decode()}
                  for i, (d, b) in enumerate(self.chunks)]
        path.write_text("".join(json.dumps(line) + "\n" for line in lines))


def _frames(buf: bytearray) -> Iterator[tuple[int, int, int, bytes]]:
    """Pop whole frames (type, flags, stream, body) off the front of ``buf``."""
    while len(buf) >= 9:
        length = int.from_bytes(buf[:3], "big")
        if len(buf) < 9 + length:
            return
        typ, flags, sid = buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF
        body = bytes(buf[9:9 + length])
        del buf[:9 + length]
        yield typ, flags, sid, body


def _serve(sock: socket.socket, script: Script, wire: Wire, settings: dict[int, int], late_settings: bool,
           upgrade_head: bytes | None = None) -> None:
    conn = Conn()

    def send(data: bytes) -> None:
        wire.chunks.append(("recv", data))
        sock.sendall(data)

    buf = bytearray()
    preface_seen = settings_sent = False
    try:
        if upgrade_head is not None:  # h2c Upgrade: read the HTTP/1.1 request, answer 101, then stream 1
            sock.settimeout(30)
            while b"\r\n\r\n" not in buf:
                data = sock.recv(65536)
                if not data:
                    return
                wire.chunks.append(("send", data))
                buf += data
            del buf[:buf.index(b"\r\n\r\n") + 4]
            send(upgrade_head + SettingsFrame(0, settings=settings).serialize() + conn.response(1))
            settings_sent = True
        elif not late_settings:
            send(SettingsFrame(0, settings=settings).serialize())
            settings_sent = True
        sock.settimeout(30)
        while True:
            data = sock.recv(65536)
            if not data:
                return
            wire.chunks.append(("send", data))
            buf += data
            if not preface_seen:
                if len(buf) < len(PREFACE):
                    continue
                del buf[:len(PREFACE)]
                preface_seen = True
            out = b""
            for typ, flags, sid, body in _frames(buf):
                conn.frames.append((typ, flags, sid, body))
                if typ == 0x4 and not flags & 1:
                    out += SettingsFrame(0, flags=["ACK"]).serialize()
                if typ == 0x1 and not settings_sent:
                    out += SettingsFrame(0, settings=settings).serialize()
                    settings_sent = True
                out += script(conn, typ, flags, sid, body)
            if out:
                send(out)
    except OSError:
        return
    finally:
        sock.close()
        wire.done.set()


@contextmanager
def scripted_server(script: Script, *, settings: dict[int, int] | None = None, late_settings: bool = False,
                    upgrade_head: bytes | None = None) -> Iterator[tuple[str, Wire]]:
    """Serve one h2c connection on 127.0.0.1 by ``script``; yield its URL and the wire.

    Prior knowledge, or with ``upgrade_head`` the HTTP/1.1 Upgrade dance: that head (a 101) answers the
    request, then SETTINGS and the response on stream 1.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    wire = Wire()

    def accept() -> None:
        try:
            sock, _ = listener.accept()
        except OSError:
            return
        _serve(sock, script, wire, {0x3: 100} if settings is None else settings, late_settings, upgrade_head)

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", wire
    finally:
        listener.close()
