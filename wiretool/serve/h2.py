"""``wiretool serve h2``: a small HTTP/2 server on the h2 library, for users, the demo and the tests.

It speaks h2c with prior knowledge, the HTTP/1.1 ``Upgrade: h2c`` dance, and h2 over TLS (ALPN).
The built-in routes exercise what a frame debugger wants to see: ``/`` (an index), ``/bytes/N``,
``/delay/S``, ``/push`` (a server push), ``/trailers``, ``/reset`` (RST_STREAM, ``?code=NAME``),
``/goaway`` (GOAWAY, ``?code=NAME``), ``/sse`` (an event stream), ``/echo`` (body and trailers back)
and ``/status/N``. With a directory, its files are served first. gRPC calls (content-type
``application/grpc``) go to a small ``wiretool.Echo`` service instead (``serve/h2_grpc.py``).

The h2 library is used directly rather than hypercorn so a route can reset a stream or end the
connection with any error code, which an ASGI application cannot do.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import h2.config
import h2.connection
import h2.events
import h2.exceptions

from wiretool import __version__
from wiretool.codec.grpcview import is_grpc_content_type
from wiretool.codec.h2frame import PREFACE
from wiretool.codec.h2names import parse_error_code
from wiretool.codec.http1 import is_digits

SERVER = f"wiretool/{__version__}"
MAX_BYTES = 100_000_000
MAX_DELAY = 60.0
_MAX_HEAD = 64 * 1024
_INDEX = """wiretool serve h2: built-in routes

/             this index
/bytes/N      N bytes of data (at most 100 MB)
/delay/S      answer after S seconds (at most 60)
/push         a page, with /pushed.txt pushed (PUSH_PROMISE) when the client allows push
/trailers     a response with trailers
/reset        RST_STREAM (INTERNAL_ERROR, or ?code=NAME)
/goaway       GOAWAY (ENHANCE_YOUR_CALM, or ?code=NAME) and close
/sse          a text/event-stream of ?count=5 events every ?interval=0.2 s
/echo         the request body back, and its trailers as response trailers
/status/N     an empty response with status N

gRPC (content-type: application/grpc): /wiretool.Echo/Echo answers each request message back,
/wiretool.Echo/Fail answers NOT_FOUND; try wiretool h2 grpc URL /wiretool.Echo/Echo --data-hex 0a03626f62
"""


@dataclass
class ServerConfig:
    """What to serve and how to report it."""

    directory: Path | None = None
    log: Callable[[dict[str, object]], None] | None = None


@dataclass
class _Request:
    stream_id: int
    headers: dict[str, str]
    body: bytearray = field(default_factory=bytearray)
    trailers: list[tuple[str, str]] = field(default_factory=list)


class H2ServerProtocol(asyncio.Protocol):
    """One client connection: detects prior knowledge or Upgrade (cleartext), then runs h2."""

    def __init__(self, cfg: ServerConfig, scheme: str) -> None:
        self.cfg = cfg
        self.scheme = scheme
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
        self.transport: asyncio.Transport | None = None
        self.mode = "detect"
        self.head = bytearray()
        self.requests: dict[int, _Request] = {}
        self.windows: dict[int, asyncio.Event] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    # -- connection ----------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        ssl_obj = transport.get_extra_info("ssl_object")
        if ssl_obj is not None:
            if ssl_obj.selected_alpn_protocol() != "h2":
                transport.close()
                return
            self._start_h2()

    def _start_h2(self) -> None:
        self.mode = "h2"
        self.conn.initiate_connection()
        self.flush()

    def data_received(self, data: bytes) -> None:
        if self.mode == "detect":
            self.head += data
            n = min(len(self.head), len(PREFACE))
            if bytes(self.head[:n]) == PREFACE[:n]:
                if n < len(PREFACE):
                    return
                data, self.head = bytes(self.head), bytearray()
                self._start_h2()
            else:
                self._http1()
                return
        if self.mode != "h2":
            return
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError:
            self.flush()
            self._close()
            return
        for ev in events:
            self._event(ev)
        self.flush()

    def connection_lost(self, exc: Exception | None) -> None:
        for task in self.tasks:
            task.cancel()
        for ev in self.windows.values():
            ev.set()

    def flush(self) -> None:
        """Write what h2 queued (frames, settings, window updates) to the socket now."""
        data = self.conn.data_to_send()
        if data and self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.close()

    # -- HTTP/1.1: Upgrade: h2c, or a polite refusal -----------------------------------------------
    def _http1(self) -> None:
        end = self.head.find(b"\r\n\r\n")
        if end < 0:
            if len(self.head) > _MAX_HEAD:
                self._close()
            return
        lines = bytes(self.head[:end]).decode("latin-1").split("\r\n")
        rest = bytes(self.head[end + 4:])
        self.head = bytearray()
        parts = lines[0].split(" ")
        headers = {n.strip().lower(): v.strip() for n, _, v in (line.partition(":") for line in lines[1:])}
        upgrade = headers.get("upgrade", "").strip().lower() == "h2c"
        has_body = headers.get("content-length", "0").strip() != "0" or "transfer-encoding" in headers
        if len(parts) != 3 or not upgrade or "http2-settings" not in headers or has_body:
            body = b"This is an HTTP/2 server: use h2c prior knowledge, or Upgrade: h2c on a request without a body.\n"
            assert self.transport is not None
            self.transport.write(b"HTTP/1.1 505 HTTP Version Not Supported\r\nContent-Type: text/plain\r\n"
                                 b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            self._close()
            return
        self.mode = "h2"
        assert self.transport is not None
        self.transport.write(b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
        try:
            self.conn.initiate_upgrade_connection(headers["http2-settings"].encode())
        except Exception:  # a bad HTTP2-Settings value: h2/hyperframe raise several types
            self._close()
            return
        self.flush()
        req = _Request(1, {":method": parts[0], ":path": parts[1], ":scheme": "http",
                           ":authority": headers.get("host", ""), **headers})
        self.requests[1] = req
        self._dispatch(req)
        if rest:
            self.data_received(rest)

    # -- h2 events -----------------------------------------------------------------------------------
    def _event(self, ev: h2.events.Event) -> None:
        if isinstance(ev, h2.events.RequestReceived):
            self.requests[ev.stream_id] = _Request(ev.stream_id, dict(ev.headers))  # type: ignore[arg-type]
        elif isinstance(ev, h2.events.DataReceived):
            req = self.requests.get(ev.stream_id)
            if req is not None and len(req.body) < MAX_BYTES:
                req.body += ev.data
            self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
        elif isinstance(ev, h2.events.TrailersReceived):
            req = self.requests.get(ev.stream_id)
            if req is not None:
                req.trailers = list(ev.headers)  # type: ignore[arg-type]
        elif isinstance(ev, h2.events.StreamEnded):
            req = self.requests.get(ev.stream_id)
            if req is not None:
                self._dispatch(req)
        elif isinstance(ev, h2.events.StreamReset):
            self.requests.pop(ev.stream_id, None)
            self._wake(ev.stream_id)
        elif isinstance(ev, h2.events.WindowUpdated):
            self._wake(ev.stream_id)
        elif isinstance(ev, h2.events.ConnectionTerminated):
            self._close()

    def _wake(self, stream_id: int) -> None:
        if stream_id == 0:
            for event in self.windows.values():
                event.set()
        elif stream_id in self.windows:
            self.windows[stream_id].set()

    def _dispatch(self, req: _Request) -> None:
        task = asyncio.ensure_future(self._handle(req))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    # -- routes --------------------------------------------------------------------------------------
    async def _handle(self, req: _Request) -> None:
        sid = req.stream_id
        url = urlsplit(req.headers.get(":path", "/"))
        path, query = unquote(url.path), {k: v[-1] for k, v in parse_qs(url.query).items()}
        status = 200
        try:
            if is_grpc_content_type(req.headers.get("content-type", "")):
                from wiretool.serve.h2_grpc import answer as grpc_answer

                served: int | None = await grpc_answer(self, req, server_name=SERVER)
            else:
                served = await self._file(sid, path) if self.cfg.directory else None
            if served is not None:
                status = served
            elif path == "/":
                await self.respond(sid, 200, _INDEX.encode(), "text/plain; charset=utf-8")
            elif path.startswith("/bytes/") and is_digits(path[7:]):
                n = min(int(path[7:]), MAX_BYTES)
                await self.respond(sid, 200, (b"0123456789abcdef" * (n // 16 + 1))[:n], "application/octet-stream")
            elif path.startswith("/delay/"):
                delay = min(max(_float(path[7:]), 0.0), MAX_DELAY)
                await asyncio.sleep(delay)
                await self.respond(sid, 200, f'{{"delay": {delay}}}\n'.encode(), "application/json")
            elif path == "/push":
                await self._push(req)
            elif path == "/trailers":
                await self.respond(sid, 200, b"this response has trailers\n", "text/plain",
                                   trailers=[("x-checksum", "c0ffee"), ("x-trailer", "yes")])
            elif path == "/reset":
                status = 0
                self.conn.reset_stream(sid, _code(query.get("code"), 0x2))
                self.flush()
            elif path == "/goaway":
                status = 0
                self.conn.close_connection(error_code=_code(query.get("code"), 0xB),
                                           additional_data=b"goaway requested by /goaway")
                self.flush()
                self._close()
            elif path == "/sse":
                await self._sse(sid, query)
            elif path == "/echo":
                await self.respond(sid, 200, bytes(req.body), req.headers.get("content-type", "application/octet-stream"),
                                   trailers=req.trailers or None)
            elif path.startswith("/status/") and is_digits(path[8:]) and 200 <= int(path[8:]) <= 599:
                status = int(path[8:])
                await self.respond(sid, status, b"", "text/plain")
            else:
                status = 404
                await self.respond(sid, 404, f"no route {path}\n".encode(), "text/plain")
        except (h2.exceptions.StreamClosedError, h2.exceptions.ProtocolError, ConnectionError):
            status = 0
        finally:
            self.requests.pop(sid, None)
            self.windows.pop(sid, None)
        if self.cfg.log:
            self.cfg.log({"stream_id": sid, "method": req.headers.get(":method", ""), "path": path,
                          "status": status or None})

    async def respond(self, sid: int, status: int, body: bytes, content_type: str, *,
                      trailers: list[tuple[str, str]] | None = None, extra: list[tuple[str, str]] = ()) -> None:
        """Send a whole response: headers, body within flow control, then trailers or END_STREAM."""
        headers = [(":status", str(status)), ("server", SERVER), ("content-type", content_type),
                   ("content-length", str(len(body))), *extra]
        self.conn.send_headers(sid, headers, end_stream=not body and not trailers)
        self.flush()
        if body:
            await self.send_body(sid, body, end=not trailers)
        if trailers:
            self.conn.send_headers(sid, trailers, end_stream=True)
            self.flush()

    async def send_body(self, sid: int, body: bytes, *, end: bool) -> None:
        """Send ``body`` on ``sid`` as fast as the client's windows allow."""
        view, offset = memoryview(body), 0
        while offset < len(body):
            window = min(self.conn.local_flow_control_window(sid), self.conn.max_outbound_frame_size)
            if window <= 0:
                event = self.windows.setdefault(sid, asyncio.Event())
                event.clear()
                await event.wait()
                if self.transport is None or self.transport.is_closing():
                    raise ConnectionError("connection closed")
                continue
            chunk = view[offset:offset + window].tobytes()
            offset += len(chunk)
            self.conn.send_data(sid, chunk, end_stream=end and offset >= len(body))
            self.flush()

    async def _push(self, req: _Request) -> None:
        sid = req.stream_id
        pushed = None
        if self.conn.remote_settings.enable_push:
            pushed = self.conn.get_next_available_stream_id()
            self.conn.push_stream(sid, pushed, [(":method", "GET"), (":scheme", self.scheme),
                                                (":authority", req.headers.get(":authority", "")),
                                                (":path", "/pushed.txt")])
        note = "with /pushed.txt pushed" if pushed else "push refused by the client (ENABLE_PUSH=0)"
        if pushed:  # first: a client ends its run (cancelling unfinished pushes) once the page it asked for ends
            await self.respond(pushed, 200, b"this was pushed\n", "text/plain")
        await self.respond(sid, 200, f"<p>a page {note}</p>\n".encode(), "text/html")

    async def _sse(self, sid: int, query: dict[str, str]) -> None:
        count = min(max(int(_float(query.get("count", "5"))), 0), 10_000)
        interval = min(max(_float(query.get("interval", "0.2")), 0.0), MAX_DELAY)
        self.conn.send_headers(sid, [(":status", "200"), ("server", SERVER), ("content-type", "text/event-stream"),
                                     ("cache-control", "no-cache")])
        self.flush()
        for i in range(1, count + 1):
            await self.send_body(sid, f"id: {i}\nevent: tick\ndata: tick {i}\n\n".encode(), end=False)
            if i < count:
                await asyncio.sleep(interval)
        self.conn.end_stream(sid)
        self.flush()

    async def _file(self, sid: int, path: str) -> int | None:
        root = self.cfg.directory
        assert root is not None
        target = (root / path.lstrip("/")).resolve()
        if not target.is_relative_to(root.resolve()):
            return None
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            return None
        try:
            data = target.read_bytes()
        except OSError:
            return None
        ctype = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        await self.respond(sid, 200, data, ctype)
        return 200


def _float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        return 0.0
    return value if value == value else 0.0  # NaN


def _code(text: str | None, default: int) -> int:
    if not text:
        return default
    try:
        return parse_error_code(text) & 0xFFFFFFFF
    except ValueError:
        return default


@dataclass
class H2Server:
    """A running server: its URL, and the CA file a client needs for TLS (``--cacert``)."""

    url: str
    port: int
    cacert: Path | None
    server: asyncio.base_events.Server


async def start_server(host: str = "127.0.0.1", port: int = 0, *, ssl_context: ssl.SSLContext | None = None,
                       cacert: Path | None = None, cfg: ServerConfig | None = None) -> H2Server:
    """Listen and return at once; close with ``server.server.close()``."""
    cfg = cfg or ServerConfig()
    loop = asyncio.get_running_loop()
    scheme = "https" if ssl_context else "http"
    server = await loop.create_server(lambda: H2ServerProtocol(cfg, scheme), host, port, ssl=ssl_context)
    bound = server.sockets[0].getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    return H2Server(url=f"{scheme}://{shown}:{bound}/", port=bound, cacert=cacert, server=server)


@contextlib.asynccontextmanager
async def running_server(host: str = "127.0.0.1", port: int = 0, *, tls: bool = False,
                         directory: str | Path | None = None,
                         log: Callable[[dict[str, object]], None] | None = None) -> AsyncIterator[H2Server]:
    """``async with running_server(tls=True) as srv: srv.url, srv.cacert``: for the demo and tests."""
    ctx, cacert = None, None
    if tls:
        from wiretool.serve.certs import self_signed

        made = self_signed(alpn=("h2",))
        ctx, cacert = made.context, made.ca_file
    srv = await start_server(host, port, ssl_context=ctx, cacert=cacert,
                             cfg=ServerConfig(directory=Path(directory) if directory else None, log=log))
    try:
        yield srv
    finally:
        srv.server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(srv.server.wait_closed(), 2)
