"""Close codes (RFC 6455 §7.4 and the IANA "WebSocket Close Code Number Registry"): names and wire rules."""

from __future__ import annotations

CLOSE_CODE_NAMES: dict[int, str] = {
    1000: "NORMAL_CLOSURE",
    1001: "GOING_AWAY",
    1002: "PROTOCOL_ERROR",
    1003: "UNSUPPORTED_DATA",
    1004: "RESERVED",
    1005: "NO_STATUS_RCVD",
    1006: "ABNORMAL_CLOSURE",
    1007: "INVALID_PAYLOAD_DATA",
    1008: "POLICY_VIOLATION",
    1009: "MESSAGE_TOO_BIG",
    1010: "MANDATORY_EXTENSION",
    1011: "INTERNAL_ERROR",
    1012: "SERVICE_RESTART",
    1013: "TRY_AGAIN_LATER",
    1014: "BAD_GATEWAY",
    1015: "TLS_HANDSHAKE",
}

_NOT_ON_WIRE = frozenset({1004, 1005, 1006, 1015})
"""Reserved (1004) or only for reporting locally, never sent in a close frame (§7.4.1)."""


def close_code_name(code: int) -> str:
    """The registry name of a close code, or the range it falls in."""
    name = CLOSE_CODE_NAMES.get(code)
    if name is not None:
        return name
    if code < 1000:
        return "UNUSED"
    if code < 3000:
        return "UNASSIGNED"
    if code < 4000:
        return "REGISTERED"
    if code < 5000:
        return "PRIVATE"
    return "OUT_OF_RANGE"


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
