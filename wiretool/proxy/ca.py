"""The local CA of forward mode: made once per user, it signs a short-lived leaf certificate per intercepted host.

A client that trusts the CA (``curl --cacert``, an NSS db, ``--ignore-certificate-errors-spki-list``) accepts
the proxy as the host it asked for, so the proxy can show the decrypted traffic. The CA lives in the user's
data directory (``$XDG_DATA_HOME/wiretool/ca``, else ``~/.local/share/wiretool/ca``, or ``WIRETOOL_CA_DIR``
for tests and CI): ``ca.pem`` (the certificate, shareable) and ``ca.key`` (mode 0600, never shareable).

Leaves are cached in memory per (host, ALPN) for the life of the process, all signed with one EC key made
at start (as mitmproxy does: a key per leaf would cost a key generation per host for no gain, since the
leaf key never leaves the process). They are valid for a few days only: a leaked leaf is worth little.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from wiretool.errors import UsageError

CA_NAME = "wiretool local CA"
CA_DAYS = 3650
LEAF_DAYS = 7
CLOCK_SKEW = datetime.timedelta(days=1)
"""Leaves and the CA start a day in the past, so a client whose clock is a little behind still accepts them."""


def default_dir() -> Path:
    """Where the CA lives: ``WIRETOOL_CA_DIR``, else ``$XDG_DATA_HOME/wiretool/ca``, else ``~/.local/share/...``."""
    explicit = os.environ.get("WIRETOOL_CA_DIR")
    if explicit:
        return Path(explicit)
    data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
    return Path(data) / "wiretool" / "ca"


@dataclass(frozen=True)
class CAFiles:
    """The two files of a CA, and whether this call made them (the caller prints the path the first time)."""

    cert: Path
    key: Path
    created: bool


def ensure_ca(directory: Path | None = None) -> CAFiles:
    """Load the CA from ``directory`` or make it there (a P-256 key, mode 0600, in a 0700 directory)."""
    folder = directory or default_dir()
    cert_path, key_path = folder / "ca.pem", folder / "ca.key"
    if cert_path.is_file() and key_path.is_file():
        return CAFiles(cert_path, key_path, created=False)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _ca_certificate(key)
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption())
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(key_pem)
        os.chmod(key_path, 0o600)  # O_CREAT's mode does not apply to a file that was already there
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    except OSError as exc:
        raise UsageError(f"cannot create the proxy CA in {folder}: {exc.strerror or exc}") from None
    return CAFiles(cert_path, key_path, created=True)


def _ca_certificate(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "wiretool"),
                      x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    now = datetime.datetime.now(datetime.timezone.utc)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW).not_valid_after(now + datetime.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                         content_commitment=False, key_encipherment=False,
                                         data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(ski, critical=False)
            .sign(key, hashes.SHA256()))


def _san(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return x509.DNSName(host)


class LocalCA:
    """The loaded CA: signs leaves and hands out server contexts for them, cached per (host, ALPN)."""

    def __init__(self, files: CAFiles) -> None:
        self.files = files
        try:
            self._cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
            key = serialization.load_pem_private_key(files.key.read_bytes(), password=None)
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot load the proxy CA from {files.cert.parent}: {exc} "
                             "(remove the directory to make a new one)") from None
        if not isinstance(key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
            raise UsageError(f"the proxy CA key {files.key} is neither EC nor RSA: it cannot sign leaves")
        self._key = key
        self._leaf_key = ec.generate_private_key(ec.SECP256R1())
        self._leaf_key_pem = self._leaf_key.private_bytes(serialization.Encoding.PEM,
                                                          serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption())
        self._contexts: dict[tuple[str, tuple[str, ...]], ssl.SSLContext] = {}
        self._leaves: dict[str, bytes] = {}
        self._lock = threading.Lock()

    @property
    def cert_pem(self) -> bytes:
        """The CA certificate as PEM: what a client must trust."""
        return self._cert.public_bytes(serialization.Encoding.PEM)

    def leaf_pem(self, host: str) -> bytes:
        """The PEM of a certificate for ``host`` (SAN: DNS name or IP address), signed by the CA, cached."""
        host = host.lower().rstrip(".")
        pem = self._leaves.get(host)
        if pem is None:
            now = datetime.datetime.now(datetime.timezone.utc)
            issuer_ski = self._cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            cert = (x509.CertificateBuilder()
                    .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host[:64] or "wiretool")]))
                    .issuer_name(self._cert.subject).public_key(self._leaf_key.public_key())
                    .serial_number(x509.random_serial_number())
                    .not_valid_before(now - CLOCK_SKEW).not_valid_after(now + datetime.timedelta(days=LEAF_DAYS))
                    .add_extension(x509.SubjectAlternativeName([_san(host)]), critical=False)
                    .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                    .add_extension(x509.KeyUsage(digital_signature=True, key_encipherment=False,
                                                 content_commitment=False, data_encipherment=False,
                                                 key_agreement=False, key_cert_sign=False, crl_sign=False,
                                                 encipher_only=False, decipher_only=False), critical=True)
                    .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                    .add_extension(x509.SubjectKeyIdentifier.from_public_key(self._leaf_key.public_key()),
                                   critical=False)
                    .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(issuer_ski),
                                   critical=False)
                    .sign(self._key, hashes.SHA256()))
            pem = cert.public_bytes(serialization.Encoding.PEM)
            self._leaves[host] = pem
        return pem

    def server_context(self, host: str, alpn: tuple[str, ...] = ()) -> ssl.SSLContext:
        """A server-side context presenting a leaf for ``host`` and offering exactly ``alpn`` (may be empty)."""
        key = (host.lower().rstrip("."), alpn)
        ctx = self._contexts.get(key)
        if ctx is None:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            with self._lock, tempfile.TemporaryDirectory(prefix="wiretool-leaf-") as tmp:
                # load_cert_chain reads files only; the leaf key is written 0600 to a private directory and
                # removed at once.
                path = os.path.join(tmp, "leaf.pem")
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(self.leaf_pem(host) + self.cert_pem + self._leaf_key_pem)
                ctx.load_cert_chain(path)
            if alpn:
                ctx.set_alpn_protocols(list(alpn))
            keylog = os.environ.get("SSLKEYLOGFILE")
            if keylog:
                ctx.keylog_filename = keylog
            self._contexts[key] = ctx
        return ctx


def spki_hash(cert_pem: bytes) -> str:
    """base64(SHA-256(SubjectPublicKeyInfo)) of a certificate: what Chromium's
    ``--ignore-certificate-errors-spki-list`` takes."""
    import base64

    cert = x509.load_pem_x509_certificate(cert_pem)
    spki = cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)
    digest = hashes.Hash(hashes.SHA256())
    digest.update(spki)
    return base64.b64encode(digest.finalize()).decode()
