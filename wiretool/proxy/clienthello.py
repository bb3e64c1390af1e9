"""Read the server name (SNI) and the ALPN list from a TLS ClientHello, without answering it.

Forward mode must know what the client asked for *before* it answers: it connects to the server first,
offering the client's ALPN list, and only then offers the client the protocol the server chose, with a leaf
certificate for the name the client sent (RFC 8446 §4.1.2, RFC 6066 §3, RFC 7301 §3.1). Python's ``ssl``
has no hook that can wait for the server in the middle of a handshake, so the proxy reads the ClientHello
here and hands the same bytes to the TLS layer afterwards.

Pure and lenient: :func:`parse` returns ``None`` while the hello is incomplete and raises :class:`NotTls`
when the bytes are not a TLS handshake at all (a plain tunnel: ``ws://`` or h2c through CONNECT).
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_HELLO = 64 * 1024
"""A ClientHello longer than this is refused: real ones (post-quantum key shares included) are under 8 KiB."""

_HANDSHAKE, _CLIENT_HELLO = 0x16, 0x01
_EXT_SNI, _EXT_ALPN = 0x0000, 0x0010


class NotTls(ValueError):
    """The bytes are not a TLS ClientHello (or one too broken to read)."""


@dataclass(frozen=True)
class ClientHello:
    """What the proxy needs from a ClientHello: the name asked for and the protocols offered."""

    sni: str | None
    alpn: tuple[str, ...]


def looks_like_tls(first: bytes) -> bool:
    """A TLS handshake record starts 0x16 0x03: the test that tells a TLS tunnel from a plain one."""
    return len(first) >= 1 and first[0] == _HANDSHAKE and (len(first) < 2 or first[1] == 0x03)


def parse(data: bytes) -> ClientHello | None:
    """The ClientHello in ``data`` (one or more handshake records), or ``None`` if more bytes are needed."""
    body = bytearray()
    pos = 0
    need: int | None = None
    while need is None or len(body) < need:
        if len(data) - pos < 5:
            return None
        if data[pos] != _HANDSHAKE or data[pos + 1] != 0x03:
            raise NotTls("not a TLS handshake record")
        length = int.from_bytes(data[pos + 3:pos + 5], "big")
        if len(data) - pos - 5 < length:
            return None
        body += data[pos + 5:pos + 5 + length]
        pos += 5 + length
        if need is None and len(body) >= 4:
            if body[0] != _CLIENT_HELLO:
                raise NotTls("the first handshake message is not a ClientHello")
            need = 4 + int.from_bytes(body[1:4], "big")
            if need > MAX_HELLO:
                raise NotTls(f"ClientHello of {need} bytes (more than {MAX_HELLO})")
        if pos > MAX_HELLO + 1024:
            raise NotTls("ClientHello too long")
    return _hello(bytes(body[4:need]))


def _hello(b: bytes) -> ClientHello:
    try:
        p = 2 + 32  # legacy_version, random
        p += 1 + b[p]  # legacy_session_id
        p += 2 + int.from_bytes(b[p:p + 2], "big")  # cipher_suites
        p += 1 + b[p]  # legacy_compression_methods
        if p >= len(b):
            return ClientHello(None, ())
        end = min(len(b), p + 2 + int.from_bytes(b[p:p + 2], "big"))
        p += 2
        sni: str | None = None
        alpn: tuple[str, ...] = ()
        while p + 4 <= end:
            kind, size = int.from_bytes(b[p:p + 2], "big"), int.from_bytes(b[p + 2:p + 4], "big")
            ext = b[p + 4:p + 4 + size]
            p += 4 + size
            if kind == _EXT_SNI:
                sni = _server_name(ext)
            elif kind == _EXT_ALPN:
                alpn = _protocols(ext)
    except IndexError:
        raise NotTls("truncated ClientHello") from None
    return ClientHello(sni, alpn)


def _server_name(ext: bytes) -> str | None:
    q = 2
    while q + 3 <= len(ext):
        kind, size = ext[q], int.from_bytes(ext[q + 1:q + 3], "big")
        name = ext[q + 3:q + 3 + size]
        q += 3 + size
        if kind == 0:
            text = name.decode("ascii", "replace")
            # a host name is letters, digits, '-', '.' (RFC 6066 §3); anything else is not a name to sign
            if text and all(c.isalnum() or c in "-._" for c in text) and len(text) <= 253:
                return text.lower()
            return None
    return None


def _protocols(ext: bytes) -> tuple[str, ...]:
    out: list[str] = []
    q = 2
    while q < len(ext):
        size = ext[q]
        name = ext[q + 1:q + 1 + size]
        q += 1 + size
        if name and len(name) == size:
            out.append(name.decode("ascii", "replace"))
    return tuple(out)
