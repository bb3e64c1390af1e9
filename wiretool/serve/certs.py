"""``--self-signed``: a throwaway CA and a server certificate for localhost, made with trustme.

The CA is written to a PEM file so that clients can trust it with ``--cacert``.
"""

from __future__ import annotations

import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass
class SelfSigned:
    """A server TLS context plus the CA file a client needs to trust it."""

    context: ssl.SSLContext
    ca_file: Path
    cert_file: Path
    key_file: Path


def self_signed(hosts: tuple[str, ...] = ("localhost", "127.0.0.1", "::1"), *, alpn: tuple[str, ...] = (),
                directory: str | Path | None = None) -> SelfSigned:
    """Make a CA and a certificate for ``hosts``; return a server context and the PEM paths."""
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert(*hosts)
    folder = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="wiretool-tls-"))
    ca_file = folder / "ca.pem"
    cert_file = folder / "server.pem"
    key_file = folder / "server.key"
    ca.cert_pem.write_to_path(str(ca_file))
    cert.cert_chain_pems[0].write_to_path(str(cert_file))
    for extra in cert.cert_chain_pems[1:]:
        extra.write_to_path(str(cert_file), append=True)
    cert.private_key_pem.write_to_path(str(key_file))
    ctx = server_context(str(cert_file), str(key_file), alpn=alpn)
    return SelfSigned(ctx, ca_file, cert_file, key_file)


def server_context(certfile: str, keyfile: str | None, *, alpn: tuple[str, ...] = ()) -> ssl.SSLContext:
    """A server-side context from PEM files (``--cert/--key``)."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(certfile, keyfile)
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    return ctx
