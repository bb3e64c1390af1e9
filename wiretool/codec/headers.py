"""HTTP field syntax checks (RFC 9110 §5.1, §5.5, §5.6.2), the one place each rule is written.

A method and a header name are *tokens*; a header value must not hold CR, LF or NUL, which would end
the header line early in HTTP/1.1 (request smuggling) and which HTTP/2 forbids outright (RFC 9113
§8.2.1). Commands check ``-H`` and ``-X`` with these before connecting, so a bad value is a usage
error, not a failure halfway through a run.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CR_LF_NUL = re.compile(r"[\r\n\0]")


def is_token(text: str) -> bool:
    """Whether ``text`` is an RFC 9110 §5.6.2 token (a method, a header name): one or more tchars."""
    return _TOKEN.fullmatch(text) is not None


def has_cr_lf_nul(text: str) -> bool:
    """Whether ``text`` holds CR, LF or NUL, which no header name or value may (RFC 9110 §5.5)."""
    return _CR_LF_NUL.search(text) is not None
