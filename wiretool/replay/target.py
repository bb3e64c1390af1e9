"""Where a replayed HTTP request goes: the capture header's (or the user's) origin, and nowhere else.

A capture is a file anyone may have edited. Its recorded request target is pasted after the origin, so a
target that is not an origin-form path (``/path?query``, RFC 9112 §3.2.1) could name another host
(``@127.0.0.1:PORT_B/x`` turns the origin into userinfo) or break the URL (an absolute-form target): such a
target is refused with one line (exit 2), before anything is sent.
"""

from __future__ import annotations

from urllib.parse import SplitResult

from wiretool.errors import UsageError


def origin(parts: SplitResult) -> str:
    """``scheme://host[:port]`` of a parsed URL, without its userinfo (that is sent as a header, or not at all)."""
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}" + (f":{parts.port}" if parts.port is not None else "")


def origin_form(target: str, n: int) -> str:
    """``target`` if it is an origin-form path, else UsageError naming request ``n`` of the capture."""
    if (target.startswith("/") and not target.startswith("//") and target.isascii() and target.isprintable()
            and not any(c in target for c in " #\\")):
        return target
    raise UsageError(f"unreadable capture: request {n}'s target {target[:80]!r} is not an origin-form path "
                     "(/path?query); replay sends requests only to the capture's (or your) origin")
