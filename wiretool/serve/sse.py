"""``serve sse``: a local Server-Sent Events server, a small ASGI app on hypercorn.

hypercorn gives HTTP/1.1, h2c (prior knowledge and Upgrade) and HTTP/2 over TLS by ALPN for free, so the
client can be tried against every transport it supports. Routes:

- ``GET /`` or ``/events``: numbered events (``id: N``, data ``{"n": N, "text": "tick N"}``), resuming after
  ``Last-Event-ID``; a ``retry:`` field first when asked; ``: heartbeat`` comments; with ``count`` set, the
  stream ends after event ``count`` and a reconnection gets 204 (browsers then stop); with ``drop_every`` the
  server ends the response every N events to show reconnection. Query parameters override the options for
  one request: ``interval``, ``count``, ``retry``, ``drop_every``, ``heartbeat``, ``types`` (comma list cycled
  as event types), ``batch``.
- ``POST /v1/chat/completions`` (any POST path with ``mode="llm"``): tokens as chat-completion chunks, then
  ``data: [DONE]``, as LLM streaming APIs do.
- Test routes: ``/status/CODE`` (that status, text body), ``/text`` (200 but text/plain), ``/nocontent``
  (204), ``/endless-line`` (a line that never ends: a hostile server), ``/silent`` (headers, then nothing).
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs

from wiretool.codec.http1 import is_digits
from wiretool.records.sse import SseServed

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

LLM_TEXT = ("Server-Sent Events keep one HTTP response open and push lines of text: each event is a few "
            "fields and a blank line, and the browser reconnects with Last-Event-ID when it drops.")


@dataclass(frozen=True)
class ServeOptions:
    """What the server streams; every field but ``mode`` can be overridden per request by a query parameter."""

    interval: float = 1.0
    """Seconds between events; 0 streams as fast as possible, ``batch`` events per write."""
    count: int | None = None
    """Last event number; after it the stream ends and reconnections get 204. None: endless."""
    retry: int | None = None
    """Send ``retry: MS`` at the start of each stream."""
    heartbeat: float | None = None
    """Send a ``: heartbeat`` comment every S seconds."""
    drop_every: int | None = None
    """End the response after every N events (the client should reconnect with Last-Event-ID)."""
    types: tuple[str, ...] = ()
    """Event types to cycle through (none: unnamed ``message`` events)."""
    batch: int = 500
    """Events per write when ``interval`` is 0."""
    mode: str = "ticks"
    """``ticks`` (numbered events) or ``llm`` (every POST path streams tokens)."""


def _event(n: int, types: tuple[str, ...]) -> bytes:
    kind = f"event: {types[(n - 1) % len(types)]}\n" if types else ""
    return f'id: {n}\n{kind}data: {{"n": {n}, "text": "tick {n}"}}\n\n'.encode()


def _with_query(opts: ServeOptions, query: str) -> ServeOptions:
    q = {k: v[-1] for k, v in parse_qs(query).items()}
    changes: dict[str, Any] = {}
    try:
        for name in ("interval", "heartbeat"):
            if name in q:
                changes[name] = float(q[name])
        for name in ("count", "retry", "drop_every", "batch"):
            if name in q:
                changes[name] = int(q[name])
    except ValueError:
        pass
    if "types" in q:
        changes["types"] = tuple(t for t in q["types"].split(",") if t)
    return replace(opts, **changes)


def _number(text: str) -> int | None:
    """``text`` as a number if it is 1 to 18 ASCII digits (``str.isdigit`` alone takes '²', and a client's
    5000-digit Last-Event-ID would hit Python's int-string limit), else None."""
    if is_digits(text, 18):
        return int(text)
    return None


class SseApp:
    """The ASGI application. ``on_served`` hears of every response when it ends (for the server's log)."""

    def __init__(self, options: ServeOptions, on_served: Callable[[SseServed], None] | None = None) -> None:
        self.options = options
        self.on_served = on_served
        self.stopping = asyncio.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while True:
                msg = await receive()
                if msg["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif msg["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        served = {"status": 200, "events": 0, "reason": ""}
        try:
            await self._route(scope, receive, send, served)
        finally:
            if self.on_served is not None:
                headers = dict(scope.get("headers") or [])
                lei = headers.get(b"last-event-id")
                self.on_served(SseServed(method=scope["method"], path=scope["path"],
                                         http_version=scope.get("http_version", ""), status=served["status"],
                                         last_event_id=lei.decode("latin-1") if lei is not None else None,
                                         events=served["events"], reason=served["reason"]))

    async def _route(self, scope: Scope, receive: Receive, send: Send, served: dict[str, Any]) -> None:
        path, method = scope["path"], scope["method"]
        opts = _with_query(self.options, scope.get("query_string", b"").decode("latin-1"))
        if method == "POST" and (opts.mode == "llm" or path == "/v1/chat/completions"):
            body = await _read_body(receive)
            await self._stream(send, receive, served, self._llm(opts, body))
            return
        if opts.mode == "llm":
            await _plain(send, served, 405, "POST a chat request here to get a token stream\n")
            return
        if path.startswith("/status/"):
            code = _number(path[8:])
            code = code if code is not None and 200 <= code <= 599 else 400
            await _plain(send, served, code, f"status {code} as asked\n")
            return
        if path == "/text":
            await _plain(send, served, 200, "this is not an event stream\n")
            return
        if path == "/nocontent":
            await _plain(send, served, 204, "")
            return
        if path == "/endless-line":
            await self._stream(send, receive, served, _endless())
            return
        if path == "/silent":
            await self._stream(send, receive, served, _silent())
            return
        if path not in ("/", "/events"):
            await _plain(send, served, 404, f"no route {path}; try /events\n")
            return
        headers = dict(scope.get("headers") or [])
        lei = headers.get(b"last-event-id", b"").decode("latin-1").strip()
        seen = _number(lei)
        start = seen + 1 if seen is not None else 1
        if opts.count is not None and start > opts.count:
            served["reason"] = "all events sent"
            await _plain(send, served, 204, "")
            return
        await self._stream(send, receive, served, self._ticks(opts, start, served))

    async def _stream(self, send: Send, receive: Receive, served: dict[str, Any],
                      chunks: AsyncIterator[bytes]) -> None:
        """Send an event-stream response from ``chunks`` until they end, the client leaves, or we stop."""
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/event-stream; charset=utf-8"),
                                (b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")]})

        async def pump() -> None:
            async for chunk in chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        tasks = [asyncio.ensure_future(pump()), asyncio.ensure_future(watch()),
                 asyncio.ensure_future(self.stopping.wait())]
        try:
            done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with suppress(BaseException):
                    await task
        if tasks[0] in done and tasks[0].exception() is None:
            served["reason"] = served["reason"] or "stream ended"
        else:
            served["reason"] = "client left" if tasks[1] in done else "server stopping"
        with suppress(Exception):
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def _ticks(self, opts: ServeOptions, start: int, served: dict[str, Any]) -> AsyncIterator[bytes]:
        if opts.retry is not None:
            yield f"retry: {opts.retry}\n\n".encode()
        n = start
        sent = 0
        loop = asyncio.get_running_loop()
        next_beat = loop.time() + opts.heartbeat if opts.heartbeat else None
        while opts.count is None or n <= opts.count:
            if opts.interval <= 0:
                stop = n + opts.batch
                if opts.count is not None:
                    stop = min(stop, opts.count + 1)
                if opts.drop_every:
                    stop = min(stop, n + opts.drop_every - sent)
                yield b"".join(_event(i, opts.types) for i in range(n, stop))
                sent += stop - n
                served["events"] += stop - n
                n = stop
                await asyncio.sleep(0)
            else:
                due = loop.time() + opts.interval
                while next_beat is not None and next_beat < due:
                    await asyncio.sleep(max(0.0, next_beat - loop.time()))
                    yield b": heartbeat\n\n"
                    next_beat += opts.heartbeat or 0
                await asyncio.sleep(max(0.0, due - loop.time()))
                yield _event(n, opts.types)
                n += 1
                sent += 1
                served["events"] += 1
            if opts.drop_every and sent >= opts.drop_every and (opts.count is None or n <= opts.count):
                served["reason"] = f"dropped after {sent} events (--drop-every)"
                return
        served["reason"] = "all events sent"

    async def _llm(self, opts: ServeOptions, body: bytes) -> AsyncIterator[bytes]:
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            request = {}
        model = request.get("model", "wiretool-echo") if isinstance(request, dict) else "wiretool-echo"
        interval = min(opts.interval, 0.05)
        words = LLM_TEXT.split(" ")
        for i, word in enumerate(words):
            chunk = {"id": "chatcmpl-wiretool", "object": "chat.completion.chunk", "model": model,
                     "choices": [{"index": 0, "delta": {"content": word if i == 0 else " " + word},
                                  "finish_reason": None}]}
            yield f"data: {json.dumps(chunk)}\n\n".encode()
            if interval > 0:
                await asyncio.sleep(interval)
        done = {"id": "chatcmpl-wiretool", "object": "chat.completion.chunk", "model": model,
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        yield f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode()


async def _endless() -> AsyncIterator[bytes]:
    """A hostile server: one line that never ends, 64 KiB at a time."""
    yield b"data: "
    block = b"x" * 65536
    while True:
        yield block
        await asyncio.sleep(0)


async def _silent() -> AsyncIterator[bytes]:
    await asyncio.Event().wait()
    yield b""


async def _read_body(receive: Receive) -> bytes:
    body = bytearray()
    while True:
        msg = await receive()
        if msg["type"] != "http.request":
            break
        body.extend(msg.get("body", b""))
        if not msg.get("more_body"):
            break
    return bytes(body)


async def _plain(send: Send, served: dict[str, Any], status: int, text: str) -> None:
    served["status"] = status
    headers = [(b"content-type", b"text/plain; charset=utf-8")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": text.encode() if status != 204 else b""})


@dataclass
class RunningServer:
    """A started server: its URL, and the CA file to trust it with ``--cacert`` (TLS only)."""

    url: str
    port: int
    ca_file: str | None
    app: SseApp


@asynccontextmanager
async def running_server(options: ServeOptions | None = None, *, host: str = "127.0.0.1", port: int = 0,
                         self_signed: bool = False, certfile: str | None = None, keyfile: str | None = None,
                         on_served: Callable[[SseServed], None] | None = None) -> AsyncIterator[RunningServer]:
    """Run the server in this event loop until the block ends: ``async with running_server() as srv: srv.url``.

    HTTP/1.1 and h2c on plain TCP; with ``self_signed`` (or ``certfile``/``keyfile``) TLS with ALPN h2 and
    http/1.1. The socket is bound here (``port=0`` picks a free one) and handed to hypercorn.
    """
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    app = SseApp(options or ServeOptions(), on_served)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        from wiretool.errors import ConnectError

        raise ConnectError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.listen(128)
    bound = sock.getsockname()[1]
    config = Config()
    config.bind = [f"fd://{os.dup(sock.fileno())}"]
    config.errorlog = None
    config.accesslog = None
    config.graceful_timeout = 1.0
    ca_file = None
    if self_signed:
        from wiretool.serve.certs import self_signed as make_certs

        made = make_certs()
        certfile, keyfile, ca_file = str(made.cert_file), str(made.key_file), str(made.ca_file)
    if certfile:
        config.certfile, config.keyfile = certfile, keyfile
    scheme = "https" if certfile else "http"
    shown = f"[{host}]" if ":" in host else host
    stop = asyncio.Event()
    task = asyncio.ensure_future(serve(app, config, shutdown_trigger=stop.wait))  # type: ignore[arg-type]
    try:
        # The socket already listens, so clients queue in its backlog; only a failed start needs catching.
        for _ in range(3):
            await asyncio.sleep(0)
        if task.done():
            task.result()
        yield RunningServer(f"{scheme}://{shown}:{bound}/", bound, ca_file, app)
    finally:
        app.stopping.set()
        stop.set()
        with suppress(BaseException):
            await asyncio.wait_for(task, 5)
        sock.close()
