"""What is a secret, and how it is hidden: one place for the header names and the redaction rules.

Used by the output layer (what is shown), the capture writer (what is stored) and the transports and
codecs (HPACK fields, URL userinfo). A secret reaches a terminal, an NDJSON line or a capture only with
``--show-secrets``. This module imports nothing of wiretool, so every layer may use it.
"""

from __future__ import annotations

import re

SECRET_HEADERS = frozenset({"authorization", "cookie", "set-cookie", "proxy-authorization"})
"""Header names (lower case) whose values are secrets."""
SECRET_HEADERS_B = frozenset(n.encode() for n in SECRET_HEADERS)
"""The same names as bytes, for HPACK and raw HTTP/1 heads."""
REDACTED = "<redacted>"

_SECRET_LINE = re.compile(rb"(?im)^(" + b"|".join(sorted(SECRET_HEADERS_B)) + rb")[ \t]*:[^\r\n]*")


def is_secret(name: str | bytes) -> bool:
    """Is a header of this name a secret (case-insensitive)?"""
    if isinstance(name, (bytes, bytearray, memoryview)):
        return bytes(name).lower() in SECRET_HEADERS_B
    return name.lower() in SECRET_HEADERS


def redact(name: str, value: str, show_secrets: bool = False) -> str:
    """Hide the value of a secret header (Authorization, Cookie...) unless ``--show-secrets``."""
    if show_secrets or name.lower() not in SECRET_HEADERS:
        return value
    return REDACTED


def redact_head(head: bytes) -> bytes:
    """An HTTP/1 head with the values of secret headers replaced by ``<redacted>``."""
    return _SECRET_LINE.sub(lambda m: m.group(1) + b": " + REDACTED.encode(), head)


def redact_url(url: str, show_secrets: bool = False) -> str:
    """A URL with the password of its userinfo (``ws://alice:PASSWORD@host``) replaced by ``<redacted>``.

    The user name stays (it says who connected); the password is sent as ``Authorization: Basic``, which is
    redacted, so it must not reach a record, a capture header or an error line in clear either.
    """
    if show_secrets:
        return url
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = len(rest)
    for stop in "/?#":
        i = rest.find(stop)
        if 0 <= i < end:
            end = i
    authority = rest[:end]
    at = authority.rfind("@")
    if at < 0:
        return url
    user, colon, _ = authority[:at].partition(":")
    if not colon:
        return url
    return f"{scheme}://{user}:{REDACTED}@{authority[at + 1:]}{rest[end:]}"
