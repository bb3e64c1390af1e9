"""See the bytes httpx really sends and receives: a network backend for httpcore that copies every read and write.

``--record`` needs the bytes as they crossed the socket (request and response heads, chunked coding,
HTTP/2 frames), which httpx does not expose. httpcore lets a connection pool use any network backend, so
:func:`install` wraps the pool's backend: each TCP connection gets a number, and after TLS the plaintext
is what is copied (the TLS records would be of no use to a decoder).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import httpcore
import httpx

OnBytes = Callable[[int, str, bytes], None]
"""``on_bytes(conn, dir, data)``: ``conn`` numbers the connections from 0, ``dir`` is send or recv."""
OnConnect = Callable[[int, Callable[[str], Any]], None]
"""``on_connect(conn, get_extra_info)``: connection ``conn`` is up (again after TLS), for its addresses."""


class _TapStream(httpcore.AsyncNetworkStream):
    def __init__(self, inner: httpcore.AsyncNetworkStream, conn: int, on_bytes: OnBytes,
                 on_connect: OnConnect | None = None) -> None:
        self._inner = inner
        self._conn = conn
        self._on_bytes = on_bytes
        self._on_connect = on_connect
        self._tls = False
        if on_connect is not None:
            on_connect(conn, inner.get_extra_info)

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        data = await self._inner.read(max_bytes, timeout)
        if data:
            self._on_bytes(self._conn, "recv", data)
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if buffer:
            self._on_bytes(self._conn, "send", bytes(buffer))
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        inner = await self._inner.start_tls(ssl_context, server_hostname, timeout)
        return _TapStream(inner, self._conn, self._on_bytes, self._on_connect)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class TapBackend(httpcore.AsyncNetworkBackend):
    """Wrap a backend so every stream it opens reports its bytes to ``on_bytes``."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend, on_bytes: OnBytes,
                 on_connect: OnConnect | None = None) -> None:
        self._inner = inner
        self._on_bytes = on_bytes
        self._on_connect = on_connect
        self._ids = itertools.count()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout=timeout, local_address=local_address,
                                               socket_options=socket_options)
        return _TapStream(stream, next(self._ids), self._on_bytes, self._on_connect)

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_unix_socket(path, timeout=timeout, socket_options=socket_options)
        return _TapStream(stream, next(self._ids), self._on_bytes)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def install(client: httpx.AsyncClient, on_bytes: OnBytes, on_connect: OnConnect | None = None) -> bool:
    """Tap every connection ``client`` opens (directly or through a proxy); False if httpx changed shape."""
    from httpcore._backends.auto import AutoBackend

    backend = TapBackend(AutoBackend(), on_bytes, on_connect)
    done = False
    transports = [client._transport, *client._mounts.values()]  # private: httpx has no public hook
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        if pool is not None and hasattr(pool, "_network_backend"):
            pool._network_backend = backend
            done = True
    return done
