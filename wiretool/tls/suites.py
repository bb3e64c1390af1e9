"""Cipher suites: their IANA names, and for the decryptable ones the AEAD, key length and hash.

Only AEAD suites whose keys follow from the key log are decryptable: TLS 1.3's three, and TLS 1.2's AES-GCM
and ChaCha20-Poly1305 suites (the key block comes from the master secret whatever the key exchange). Every
other suite is named as not decryptable, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Suite:
    """How to decrypt records of one cipher suite."""

    code: int
    name: str
    aead: str  # "aes-gcm" | "chacha20-poly1305"
    key_length: int
    hash_name: str  # "sha256" | "sha384": HKDF (1.3) or PRF (1.2)
    tls13: bool

    @property
    def fixed_iv_length(self) -> int:
        """The IV bytes from the key schedule: 4 for TLS 1.2 AES-GCM (8 more are explicit per record), else 12."""
        return 4 if (self.aead == "aes-gcm" and not self.tls13) else 12

    @property
    def explicit_nonce_length(self) -> int:
        """Bytes of nonce carried at the start of each record: 8 for TLS 1.2 AES-GCM (RFC 5288), else 0."""
        return 8 if (self.aead == "aes-gcm" and not self.tls13) else 0


def _s(code: int, name: str, aead: str, key: int, hash_name: str, tls13: bool = False) -> Suite:
    return Suite(code, name, aead, key, hash_name, tls13)


DECRYPTABLE: dict[int, Suite] = {s.code: s for s in (
    _s(0x1301, "TLS_AES_128_GCM_SHA256", "aes-gcm", 16, "sha256", True),
    _s(0x1302, "TLS_AES_256_GCM_SHA384", "aes-gcm", 32, "sha384", True),
    _s(0x1303, "TLS_CHACHA20_POLY1305_SHA256", "chacha20-poly1305", 32, "sha256", True),
    _s(0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "aes-gcm", 16, "sha256"),
    _s(0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "aes-gcm", 32, "sha384"),
    _s(0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "aes-gcm", 16, "sha256"),
    _s(0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "aes-gcm", 32, "sha384"),
    _s(0x009C, "TLS_RSA_WITH_AES_128_GCM_SHA256", "aes-gcm", 16, "sha256"),
    _s(0x009D, "TLS_RSA_WITH_AES_256_GCM_SHA384", "aes-gcm", 32, "sha384"),
    _s(0x009E, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", "aes-gcm", 16, "sha256"),
    _s(0x009F, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384", "aes-gcm", 32, "sha384"),
    _s(0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "chacha20-poly1305", 32, "sha256"),
    _s(0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "chacha20-poly1305", 32, "sha256"),
    _s(0xCCAA, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "chacha20-poly1305", 32, "sha256"),
)}

#: Names of common suites that are not decryptable, so that the status names them as IANA does.
OTHER_NAMES: dict[int, str] = {
    0x1304: "TLS_AES_128_CCM_SHA256",
    0x1305: "TLS_AES_128_CCM_8_SHA256",
    0x002F: "TLS_RSA_WITH_AES_128_CBC_SHA",
    0x0035: "TLS_RSA_WITH_AES_256_CBC_SHA",
    0x003C: "TLS_RSA_WITH_AES_128_CBC_SHA256",
    0x003D: "TLS_RSA_WITH_AES_256_CBC_SHA256",
    0x000A: "TLS_RSA_WITH_3DES_EDE_CBC_SHA",
    0x0005: "TLS_RSA_WITH_RC4_128_SHA",
    0x0033: "TLS_DHE_RSA_WITH_AES_128_CBC_SHA",
    0x0039: "TLS_DHE_RSA_WITH_AES_256_CBC_SHA",
    0x0067: "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256",
    0x006B: "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256",
    0xC009: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA",
    0xC00A: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA",
    0xC013: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
    0xC014: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA",
    0xC023: "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256",
    0xC024: "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384",
    0xC027: "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256",
    0xC028: "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384",
    0xC09C: "TLS_RSA_WITH_AES_128_CCM",
    0xC09D: "TLS_RSA_WITH_AES_256_CCM",
    0xC0AC: "TLS_ECDHE_ECDSA_WITH_AES_128_CCM",
    0xC0AD: "TLS_ECDHE_ECDSA_WITH_AES_256_CCM",
    0x00FF: "TLS_EMPTY_RENEGOTIATION_INFO_SCSV",
}


def suite_name(code: int) -> str:
    """The IANA name of a cipher suite, or its number in hex (``0xC0FF``) when this table lacks it."""
    known = DECRYPTABLE.get(code)
    if known:
        return known.name
    return OTHER_NAMES.get(code, f"0x{code:04X}")


VERSION_NAMES = {0x0300: "SSL 3.0", 0x0301: "TLS 1.0", 0x0302: "TLS 1.1", 0x0303: "TLS 1.2", 0x0304: "TLS 1.3"}


def version_name(code: int) -> str:
    """``TLS 1.3`` for 0x0304 and so on; an unknown version in hex."""
    return VERSION_NAMES.get(code, f"0x{code:04X}")
