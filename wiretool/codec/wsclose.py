"""Close codes (RFC 6455 §7.4 and the IANA "WebSocket Close Code Number Registry"): wire rules.

The names live in records/ws.py (records do not import codec) and are re-exported here.
"""

from __future__ import annotations

from wiretool.records.ws import CLOSE_CODE_NAMES, close_code_name

__all__ = ["CLOSE_CODE_NAMES", "close_code_allowed", "close_code_name", "close_payload"]

_NOT_ON_WIRE = frozenset({1004, 1005, 1006, 1015})
"""Reserved (1004) or only for reporting locally, never sent in a close frame (§7.4.1)."""


def close_code_allowed(code: int) -> bool:
    """Whether an endpoint may send ``code`` in a close frame (RFC 6455 §7.4.1, §7.4.2; IANA registry)."""
    if 3000 <= code <= 4999:
        return True
    return 1000 <= code <= 1014 and code not in _NOT_ON_WIRE


def close_payload(code: int | None, reason: bytes | str = b"") -> bytes:
    """The body of a close frame: a 2-byte code then the UTF-8 reason (empty body when code is None)."""
    if isinstance(reason, str):
        reason = reason.encode("utf-8")
    if code is None:
        return bytes(reason)
    return code.to_bytes(2, "big") + reason
