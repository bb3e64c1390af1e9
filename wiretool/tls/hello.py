"""ClientHello, ServerHello and EncryptedExtensions: the facts the key log and the views need.

RFC 8446 section 4.1.2 / 4.1.3 (TLS 1.3) and RFC 5246 section 7.4.1 (TLS 1.2) give the layout; extensions are
server_name (RFC 6066), ALPN (RFC 7301), supported_versions and key_share (RFC 8446). A malformed hello raises
:class:`HelloError` with what is wrong; the caller names it and stops decrypting that connection.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

EXT_SERVER_NAME = 0
EXT_ALPN = 16
EXT_EARLY_DATA = 42
EXT_SUPPORTED_VERSIONS = 43
EXT_KEY_SHARE = 51

#: A ServerHello with this random is a HelloRetryRequest (RFC 8446 section 4.1.3).
HELLO_RETRY_RANDOM = hashlib.sha256(b"HelloRetryRequest").digest()


class HelloError(ValueError):
    """A hello message that does not parse; the message says where."""


@dataclass(frozen=True)
class ClientHello:
    """What a ClientHello offers."""

    random: bytes
    legacy_version: int
    session_id: bytes
    cipher_suites: tuple[int, ...]
    sni: str | None
    alpn: tuple[str, ...]
    supported_versions: tuple[int, ...]
    key_share_groups: tuple[int, ...]
    early_data: bool


@dataclass(frozen=True)
class ServerHello:
    """What a ServerHello chose."""

    random: bytes
    legacy_version: int
    session_id: bytes
    cipher_suite: int
    version: int  # supported_versions when present (TLS 1.3), else legacy_version
    alpn: str | None  # TLS 1.2 only: in TLS 1.3 ALPN is in EncryptedExtensions
    key_share_group: int | None

    @property
    def is_retry(self) -> bool:
        """A HelloRetryRequest: the real ServerHello follows a second ClientHello."""
        return self.random == HELLO_RETRY_RANDOM


class _Reader:
    """Bounds-checked reads over one message body; a short read raises HelloError naming the field."""

    def __init__(self, data: bytes, what: str) -> None:
        self.data, self.pos, self.what = data, 0, what

    def take(self, n: int, field: str) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise HelloError(f"{self.what}: {field} runs past the end ({n} bytes, {len(self.data) - self.pos} left)")
        chunk = self.data[self.pos:end]
        self.pos = end
        return chunk

    def uint(self, n: int, field: str) -> int:
        return int.from_bytes(self.take(n, field), "big")

    def vector(self, length_bytes: int, field: str) -> bytes:
        return self.take(self.uint(length_bytes, f"{field} length"), field)

    @property
    def left(self) -> int:
        return len(self.data) - self.pos


def _extensions(r: _Reader) -> dict[int, bytes]:
    """The extensions block (may be absent in an old hello); a repeated extension keeps its first value."""
    if r.left == 0:
        return {}
    block = _Reader(r.vector(2, "extensions"), r.what)
    found: dict[int, bytes] = {}
    while block.left:
        kind = block.uint(2, "extension type")
        found.setdefault(kind, block.vector(2, f"extension {kind}"))
    return found


def _alpn_list(data: bytes, what: str) -> tuple[str, ...]:
    r = _Reader(_Reader(data, what).vector(2, "ALPN list"), what)
    names = []
    while r.left:
        names.append(r.vector(1, "ALPN protocol").decode("ascii", "replace"))
    return tuple(names)


def _sni(data: bytes, what: str) -> str | None:
    r = _Reader(_Reader(data, what).vector(2, "server name list"), what)
    while r.left:
        kind = r.uint(1, "server name type")
        name = r.vector(2, "server name")
        if kind == 0:
            return name.decode("ascii", "replace")
    return None


def parse_client_hello(body: bytes) -> ClientHello:
    """Parse a ClientHello body (after the 4-byte handshake header)."""
    r = _Reader(body, "ClientHello")
    legacy_version = r.uint(2, "version")
    random = r.take(32, "random")
    session_id = r.vector(1, "session id")
    suites_raw = r.vector(2, "cipher suites")
    suites = tuple(int.from_bytes(suites_raw[i:i + 2], "big") for i in range(0, len(suites_raw) - 1, 2))
    r.vector(1, "compression methods")
    ext = _extensions(r)
    versions: tuple[int, ...] = ()
    if EXT_SUPPORTED_VERSIONS in ext:
        raw = _Reader(ext[EXT_SUPPORTED_VERSIONS], "ClientHello").vector(1, "supported versions")
        versions = tuple(int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw) - 1, 2))
    groups: list[int] = []
    if EXT_KEY_SHARE in ext:
        shares = _Reader(_Reader(ext[EXT_KEY_SHARE], "ClientHello").vector(2, "key shares"), "ClientHello")
        while shares.left:
            groups.append(shares.uint(2, "key share group"))
            shares.vector(2, "key exchange")
    return ClientHello(
        random=random, legacy_version=legacy_version, session_id=session_id, cipher_suites=suites,
        sni=_sni(ext[EXT_SERVER_NAME], "ClientHello") if ext.get(EXT_SERVER_NAME) else None,
        alpn=_alpn_list(ext[EXT_ALPN], "ClientHello") if EXT_ALPN in ext else (),
        supported_versions=versions, key_share_groups=tuple(groups), early_data=EXT_EARLY_DATA in ext)


def parse_server_hello(body: bytes) -> ServerHello:
    """Parse a ServerHello (or HelloRetryRequest) body."""
    r = _Reader(body, "ServerHello")
    legacy_version = r.uint(2, "version")
    random = r.take(32, "random")
    session_id = r.vector(1, "session id")
    suite = r.uint(2, "cipher suite")
    r.uint(1, "compression method")
    ext = _extensions(r)
    version = legacy_version
    if EXT_SUPPORTED_VERSIONS in ext:
        version = _Reader(ext[EXT_SUPPORTED_VERSIONS], "ServerHello").uint(2, "supported version")
    alpn = None
    if EXT_ALPN in ext:
        names = _alpn_list(ext[EXT_ALPN], "ServerHello")
        alpn = names[0] if names else None
    group = None
    if EXT_KEY_SHARE in ext and len(ext[EXT_KEY_SHARE]) >= 2:
        group = int.from_bytes(ext[EXT_KEY_SHARE][:2], "big")
    return ServerHello(random=random, legacy_version=legacy_version, session_id=session_id, cipher_suite=suite,
                       version=version, alpn=alpn, key_share_group=group)


def parse_encrypted_extensions_alpn(body: bytes) -> str | None:
    """The ALPN protocol the server chose, from a TLS 1.3 EncryptedExtensions body."""
    r = _Reader(body, "EncryptedExtensions")
    ext = _extensions(r) if r.left else {}
    if EXT_ALPN not in ext:
        return None
    names = _alpn_list(ext[EXT_ALPN], "EncryptedExtensions")
    return names[0] if names else None


def read_client_hello(data: bytes) -> ClientHello | None:
    """The ClientHello at the start of a client's byte stream (it may span records), or None if there is none.

    For listing a connection without keys (SNI, ALPN offered) and for protocol detection; never raises.
    """
    from wiretool.tls.framing import HANDSHAKE, HandshakeReader, RecordReader

    handshake = HandshakeReader(frozenset({1}))
    for record in RecordReader().feed(data):
        if record.content_type != HANDSHAKE:
            return None
        for message in handshake.feed(record.fragment):
            if message.msg_type != 1 or message.body is None:
                return None
            try:
                return parse_client_hello(message.body)
            except HelloError:
                return None
        if handshake.error:
            return None
    return None
