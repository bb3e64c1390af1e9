"""The key schedules and the record protection: logged secrets → AEAD keys → plaintext of each record.

TLS 1.3 (RFC 8446 section 7): each traffic secret gives ``key`` and ``iv`` by HKDF-Expand-Label; the nonce is
the iv XOR the record sequence number; the record header is the additional data; the plaintext ends with its
real content type and zero padding. A KeyUpdate moves a direction to the next secret ("traffic upd").
TLS 1.2 (RFC 5246 section 6.3, RFC 5288, RFC 7905): the key block is PRF(master secret, "key expansion",
server random + client random); AES-GCM nonces are a 4-byte salt plus 8 explicit bytes at the start of each
record, ChaCha20-Poly1305 nonces the iv XOR the sequence number; the additional data is seq + type + version +
plaintext length.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

from wiretool.tls.suites import Suite

TAG_LENGTH = 16

__all__ = ["TAG_LENGTH", "DecryptError", "InvalidTag", "RecordCipher", "hkdf_expand_label", "next_secret",
           "prf", "tls12_ciphers", "tls13_cipher"]


class DecryptError(ValueError):
    """A record that cannot be decrypted: too short for its tag, or no content type inside."""


def _hash(name: str) -> hashes.HashAlgorithm:
    return hashes.SHA384() if name == "sha384" else hashes.SHA256()


def hkdf_expand_label(secret: bytes, label: bytes, context: bytes, length: int, hash_name: str) -> bytes:
    """HKDF-Expand-Label of RFC 8446 section 7.1 (label without its ``tls13 `` prefix)."""
    full = b"tls13 " + label
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + bytes([len(context)]) + context
    return HKDFExpand(algorithm=_hash(hash_name), length=length, info=info).derive(secret)


def next_secret(suite: Suite, secret: bytes) -> bytes:
    """The traffic secret after a KeyUpdate: HKDF-Expand-Label(secret, "traffic upd", "", Hash.length)."""
    return hkdf_expand_label(secret, b"traffic upd", b"", len(secret), suite.hash_name)


def prf(secret: bytes, label: bytes, seed: bytes, length: int, hash_name: str) -> bytes:
    """The TLS 1.2 PRF, P_hash(secret, label + seed) cut to ``length`` bytes (RFC 5246 section 5)."""
    digest = hashlib.sha384 if hash_name == "sha384" else hashlib.sha256
    seed = label + seed
    out = bytearray()
    a = seed
    while len(out) < length:
        a = hmac.new(secret, a, digest).digest()
        out += hmac.new(secret, a + seed, digest).digest()
    return bytes(out[:length])


@dataclass
class RecordCipher:
    """One direction's record protection; ``seq`` counts the records it has opened since its keys were set."""

    suite: Suite
    key: bytes
    iv: bytes
    tls13: bool
    seq: int = 0

    def __post_init__(self) -> None:
        self._aead = ChaCha20Poly1305(self.key) if self.suite.aead == "chacha20-poly1305" else AESGCM(self.key)

    def open(self, content_type: int, version: int, fragment: bytes) -> tuple[int, bytes]:
        """Decrypt one record: (content type, plaintext). Raises InvalidTag (wrong keys) or DecryptError."""
        header_aad = bytes([content_type]) + version.to_bytes(2, "big")
        explicit = self.suite.explicit_nonce_length
        if len(fragment) < explicit + TAG_LENGTH:
            raise DecryptError(f"a {len(fragment)}-byte encrypted record is shorter than its nonce and tag")
        if explicit:
            nonce = self.iv + fragment[:explicit]
            sealed = fragment[explicit:]
        else:
            nonce = (int.from_bytes(self.iv, "big") ^ self.seq).to_bytes(len(self.iv), "big")
            sealed = fragment
        if self.tls13:
            aad = header_aad + len(fragment).to_bytes(2, "big")
        else:
            aad = self.seq.to_bytes(8, "big") + header_aad + (len(sealed) - TAG_LENGTH).to_bytes(2, "big")
        plain = self._aead.decrypt(nonce, sealed, aad)
        self.seq += 1
        if not self.tls13:
            return content_type, plain
        end = len(plain)
        while end and not plain[end - 1]:  # zero padding after the content type (rarely any)
            end -= 1
        if end == 0:
            raise DecryptError("a TLS 1.3 record has no content type inside (all padding)")
        return plain[end - 1], plain[:end - 1]


def tls13_cipher(suite: Suite, secret: bytes) -> RecordCipher:
    """The record protection for one TLS 1.3 traffic secret."""
    key = hkdf_expand_label(secret, b"key", b"", suite.key_length, suite.hash_name)
    iv = hkdf_expand_label(secret, b"iv", b"", 12, suite.hash_name)
    return RecordCipher(suite, key, iv, tls13=True)


def tls12_ciphers(suite: Suite, master: bytes, client_random: bytes,
                  server_random: bytes) -> tuple[RecordCipher, RecordCipher]:
    """(client→server, server→client) record protection from a TLS 1.2 master secret."""
    k, n = suite.key_length, suite.fixed_iv_length
    block = prf(master, b"key expansion", server_random + client_random, 2 * (k + n), suite.hash_name)
    client_key, server_key = block[:k], block[k:2 * k]
    client_iv, server_iv = block[2 * k:2 * k + n], block[2 * k + n:]
    return (RecordCipher(suite, client_key, client_iv, tls13=False),
            RecordCipher(suite, server_key, server_iv, tls13=False))
