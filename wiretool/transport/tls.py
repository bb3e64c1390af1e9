"""TLS client contexts with the shared options: ``--insecure``, ``--cacert``, ``--cert/--key``, ALPN, SSLKEYLOGFILE."""

from __future__ import annotations

import os
import ssl
from collections.abc import Sequence

from wiretool.errors import UsageError


def client_context(*, insecure: bool = False, cacert: str | None = None, cert: str | None = None,
                   key: str | None = None, alpn: Sequence[str] = ()) -> ssl.SSLContext:
    """An ``ssl.SSLContext`` for connecting to a server, as the shared options ask.

    SSLKEYLOGFILE is honoured (as browsers and curl do) so that a capture can be decrypted in Wireshark.
    """
    try:
        ctx = ssl.create_default_context(cafile=cacert) if cacert else ssl.create_default_context()
    except (OSError, ssl.SSLError) as exc:  # not PEM, a directory, unreadable: a usage error, not a crash
        raise UsageError(f"cannot load CA certificates {cacert}: {getattr(exc, 'reason', None) or exc}") from None
    if insecure:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    if cert:
        try:
            ctx.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as exc:
            raise UsageError(f"cannot load client certificate {cert}: {exc}") from None
    elif key:
        raise UsageError("--key needs --cert")
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    keylog = os.environ.get("SSLKEYLOGFILE")
    if keylog:
        ctx.keylog_filename = keylog
    return ctx


def describe_ssl_error(exc: BaseException) -> str:
    """A one-line reason for a failed TLS handshake, without the library's noise."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate verification failed: {exc.verify_message or exc.reason} (use --cacert or --insecure)"
    if isinstance(exc, ssl.SSLError):
        return f"TLS handshake failed: {exc.reason or exc}"
    return f"TLS failed: {exc}"
