"""Which protocol a TCP connection speaks, from the first bytes of its two directions.

The client's first bytes decide: the HTTP/2 connection preface (prior knowledge, RFC 9113 §3.4); a TLS
ClientHello (RFC 8446 §4.1.2; SNI and ALPN read from it); an HTTP/1.1 request, then the server's answer: a
101 to ``Upgrade: websocket`` is WebSocket (RFC 6455 §4), a 101 to ``Upgrade: h2c`` is HTTP/2 after the
upgrade (RFC 7540 §3.2), a ``text/event-stream`` response is SSE. Anything else is named for what it looks
like and listed, not decoded.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wiretool.codec.h2frame import PREFACE as H2_PREFACE
from wiretool.codec.http1 import Head, split_head

HEAD_LIMIT = 64 << 10
"""The most of a direction looked at for its first HTTP head: a head that never ends is not HTTP."""
_METHODS = (b"GET ", b"POST ", b"PUT ", b"HEAD ", b"OPTIONS ", b"DELETE ", b"PATCH ", b"CONNECT ")


@dataclass
class Detected:
    """What a connection speaks: ``proto`` a registry name (``ws``, ``sse``, ``h2``), or ``tls``, ``http``,
    ``tcp`` (not decoded), with the facts that say why."""

    proto: str
    why: str
    url: str = ""
    sni: str | None = None
    alpn: list[str] = field(default_factory=list)
    skip: dict[str, int] = field(default_factory=dict)
    """Bytes of each direction (``send``/``recv``) to pass over before the decoder's input (an h2c upgrade's
    HTTP/1.1 heads)."""


def looks_like_client(data: bytes) -> bool:
    """Bytes a client sends first: an HTTP request, the h2 preface or a TLS ClientHello."""
    return data.startswith(_METHODS) or (bool(data) and H2_PREFACE.startswith(data[:24])) or _is_client_hello(data)


def detect(c2s: bytes, s2c: bytes) -> Detected:
    """The protocol of a connection whose directions start with ``c2s`` and ``s2c`` (the first bytes of each)."""
    if c2s.startswith(H2_PREFACE) or (c2s and H2_PREFACE.startswith(c2s)):
        return Detected("h2", "the HTTP/2 connection preface (prior knowledge)")
    if _is_client_hello(c2s):
        sni, alpn = client_hello_facts(c2s)
        return Detected("tls", "a TLS ClientHello", sni=sni, alpn=alpn)
    if c2s.startswith(_METHODS):
        req, _ = split_head(c2s[:HEAD_LIMIT])
        resp, _ = split_head(s2c[:HEAD_LIMIT])
        if req is None:
            return Detected("http", "an HTTP/1.1 request whose head never ends")
        host = req.get("host") or ""
        upgrade = (req.get("upgrade") or "").lower()
        status = resp.status if resp is not None else None
        if "websocket" in upgrade:
            url = f"ws://{host}{req.target}" if host else req.target
            if status is not None and status != 101:
                return Detected("ws", f"a WebSocket upgrade refused with {status}", url=url)
            return Detected("ws", "HTTP/1.1 Upgrade: websocket", url=url)
        if "h2c" in upgrade and status == 101:
            return Detected("h2", "HTTP/1.1 Upgrade: h2c, then HTTP/2", url=f"http://{host}{req.target}",
                            skip={"send": _head_end(c2s), "recv": _head_end(s2c)})
        ctype = (resp.get("content-type") or "").lower() if resp is not None else ""
        if ctype.startswith("text/event-stream") or (resp is None and "text/event-stream" in
                                                     (req.get("accept") or "").lower()):
            return Detected("sse", "a text/event-stream response", url=f"http://{host}{req.target}")
        return Detected("http", "HTTP/1.1 (no WebSocket, event stream or h2c in it)", url=f"http://{host}{req.target}")
    if not c2s and not s2c:
        return Detected("tcp", "no payload")
    return Detected("tcp", "no protocol wiretool knows at the start of the connection")


def _head_end(data: bytes) -> int:
    end = data.find(b"\r\n\r\n", 0, HEAD_LIMIT)
    return end + 4 if end >= 0 else 0


def _is_client_hello(data: bytes) -> bool:
    return len(data) >= 6 and data[0] == 0x16 and data[1] == 3 and data[2] <= 4 and data[5] == 1


def client_hello_facts(data: bytes) -> tuple[str | None, list[str]]:
    """``(SNI, ALPN protocols offered)`` of the ClientHello at the start of ``data`` (it may span records);
    the one ClientHello parser is :func:`wiretool.tls.read_client_hello`, which never raises."""
    from wiretool.tls import read_client_hello

    hello = read_client_hello(data)
    return (hello.sni, list(hello.alpn)) if hello is not None else (None, [])


def request_head(data: bytes) -> Head | None:
    """The first HTTP head of ``data``, if whole within :data:`HEAD_LIMIT`."""
    return split_head(data[:HEAD_LIMIT])[0]
