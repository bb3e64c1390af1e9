"""Open the byte pipe a WebSocket runs over: TCP, optionally through an HTTP CONNECT proxy, then TLS.

Kept apart from the WebSocket logic so that ``transport/ws.py`` only ever sees an asyncio transport
that already carries the server's bytes. Failures become :class:`~wiretool.errors.ConnectError`
(exit 3); the caller bounds the whole thing with ``--connect-timeout``.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
import urllib.parse
import urllib.request
from dataclasses import dataclass

from wiretool.errors import ConnectError
from wiretool.secrets import redact_url
from wiretool.transport.tls import describe_ssl_error


@dataclass
class ProxyTarget:
    """An HTTP proxy to tunnel through with CONNECT (``--proxy`` or the proxy environment variables)."""

    url: str
    host: str
    port: int
    auth: str | None = None  # "user:password"


def parse_proxy(url: str, show_secrets: bool = False) -> ProxyTarget:
    """``http://[user:pass@]host[:port]`` into a :class:`ProxyTarget`; only HTTP CONNECT proxies are supported.

    An error line names the proxy with its password redacted (unless ``show_secrets``)."""
    shown = redact_url(url if "://" in url else f"http://{url}", show_secrets)
    parsed = urllib.parse.urlsplit(url if "://" in url else f"http://{url}")
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise ConnectError(f"unsupported proxy {shown!r}: only http://host:port (HTTP CONNECT) proxies are supported")
    auth = None
    if parsed.username is not None:
        auth = f"{urllib.parse.unquote(parsed.username)}:{urllib.parse.unquote(parsed.password or '')}"
    try:
        port = parsed.port or 80
    except ValueError as exc:  # http://proxy:99999 or http://proxy:abc
        raise ConnectError(f"unsupported proxy {shown!r}: {exc}") from None
    return ProxyTarget(url=url, host=parsed.hostname, port=port, auth=auth)


def proxy_from_env(host: str, port: int, secure: bool) -> str | None:
    """The proxy the usual environment variables ask for (``wss_proxy``/``https_proxy``/``http_proxy``, ``no_proxy``)."""
    if urllib.request.proxy_bypass(f"{host}:{port}") or urllib.request.proxy_bypass(host):
        return None
    proxies = urllib.request.getproxies()
    for scheme in (("wss", "https") if secure else ("ws", "http")):
        if proxies.get(scheme):
            return proxies[scheme]
    return None


class _ConnectReply(asyncio.Protocol):
    """Collects the proxy's reply to CONNECT, up to the blank line; keeps any bytes that follow it."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.done: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if b"\r\n\r\n" in self.buffer and not self.done.done():
            self.done.set_result(bytes(self.buffer))
        elif len(self.buffer) > 65536 and not self.done.done():
            self.done.set_exception(ConnectError("proxy reply to CONNECT is too long"))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.done.done():
            self.done.set_exception(ConnectError("proxy closed the connection during CONNECT"))


async def open_transport(protocol: asyncio.Protocol, host: str, port: int, *, ssl_context: ssl.SSLContext | None,
                         server_hostname: str | None, proxy: ProxyTarget | None) -> asyncio.Transport:
    """Connect ``protocol`` to ``host:port`` (through ``proxy``), with TLS when ``ssl_context`` is given.

    Returns the transport, already wired to ``protocol``. Raises ConnectError for DNS, TCP, proxy
    and TLS failures.
    """
    loop = asyncio.get_running_loop()
    if proxy is None:
        try:
            transport, _ = await loop.create_connection(lambda: protocol, host, port, ssl=ssl_context,
                                                        server_hostname=server_hostname if ssl_context else None)
        except ssl.SSLError as exc:
            raise ConnectError(describe_ssl_error(exc)) from None
        except OSError as exc:
            raise ConnectError(f"cannot connect to {_hostport(host, port)}: {exc.strerror or exc}") from None
        return transport  # type: ignore[return-value]

    reply = _ConnectReply()
    try:
        transport, _ = await loop.create_connection(lambda: reply, proxy.host, proxy.port)
    except OSError as exc:
        raise ConnectError(f"cannot connect to proxy {_hostport(proxy.host, proxy.port)}: "
                           f"{exc.strerror or exc}") from None
    target = _hostport(host, port)
    lines = [f"CONNECT {target} HTTP/1.1", f"Host: {target}"]
    if proxy.auth:
        lines.append("Proxy-Authorization: Basic " + base64.b64encode(proxy.auth.encode()).decode())
    transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    try:
        head = await reply.done
    except BaseException:
        transport.abort()
        raise
    status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[1].startswith("2"):
        transport.abort()
        raise ConnectError(f"proxy refused CONNECT {target}: {status_line!r}")
    transport.set_protocol(protocol)
    if ssl_context is not None:
        try:
            tls = await loop.start_tls(transport, protocol, ssl_context, server_hostname=server_hostname)
        except ssl.SSLError as exc:
            transport.abort()
            raise ConnectError(describe_ssl_error(exc)) from None
        except (OSError, ConnectionError) as exc:
            transport.abort()
            raise ConnectError(f"TLS through proxy failed: {exc}") from None
        assert tls is not None
        protocol.connection_made(tls)
        return tls  # type: ignore[return-value]
    protocol.connection_made(transport)
    rest = head[head.index(b"\r\n\r\n") + 4:]
    if rest:
        protocol.data_received(rest)
    return transport


def _hostport(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
