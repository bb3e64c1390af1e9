"""Names of HTTP/2 frame types, flags, settings and error codes (RFC 9113 §6, §6.5.2, §7; RFC 8441).

A debugger shows names, not numbers; unknown values get a stable name (``UNKNOWN_0xNN``) instead of
an error, because an extension or a hostile peer may send anything.
"""

from __future__ import annotations

FRAME_TYPES: dict[int, str] = {
    0x0: "DATA",
    0x1: "HEADERS",
    0x2: "PRIORITY",
    0x3: "RST_STREAM",
    0x4: "SETTINGS",
    0x5: "PUSH_PROMISE",
    0x6: "PING",
    0x7: "GOAWAY",
    0x8: "WINDOW_UPDATE",
    0x9: "CONTINUATION",
    0xA: "ALTSVC",
    0xC: "ORIGIN",
    0x10: "PRIORITY_UPDATE",
}

# Flag bits by frame type, in bit order (RFC 9113 §6).
FLAGS: dict[int, tuple[tuple[str, int], ...]] = {
    0x0: (("END_STREAM", 0x1), ("PADDED", 0x8)),
    0x1: (("END_STREAM", 0x1), ("END_HEADERS", 0x4), ("PADDED", 0x8), ("PRIORITY", 0x20)),
    0x4: (("ACK", 0x1),),
    0x5: (("END_HEADERS", 0x4), ("PADDED", 0x8)),
    0x6: (("ACK", 0x1),),
    0x9: (("END_HEADERS", 0x4),),
}

SETTINGS: dict[int, str] = {
    0x1: "HEADER_TABLE_SIZE",
    0x2: "ENABLE_PUSH",
    0x3: "MAX_CONCURRENT_STREAMS",
    0x4: "INITIAL_WINDOW_SIZE",
    0x5: "MAX_FRAME_SIZE",
    0x6: "MAX_HEADER_LIST_SIZE",
    0x8: "ENABLE_CONNECT_PROTOCOL",
    0x9: "NO_RFC7540_PRIORITIES",
}
SETTING_CODES: dict[str, int] = {v: k for k, v in SETTINGS.items()}

ERROR_CODES: dict[int, str] = {
    0x0: "NO_ERROR",
    0x1: "PROTOCOL_ERROR",
    0x2: "INTERNAL_ERROR",
    0x3: "FLOW_CONTROL_ERROR",
    0x4: "SETTINGS_TIMEOUT",
    0x5: "STREAM_CLOSED",
    0x6: "FRAME_SIZE_ERROR",
    0x7: "REFUSED_STREAM",
    0x8: "CANCEL",
    0x9: "COMPRESSION_ERROR",
    0xA: "CONNECT_ERROR",
    0xB: "ENHANCE_YOUR_CALM",
    0xC: "INADEQUATE_SECURITY",
    0xD: "HTTP_1_1_REQUIRED",
}
ERROR_NUMBERS: dict[str, int] = {v: k for k, v in ERROR_CODES.items()}

#: Error codes that end a stream or connection without anything having gone wrong (exit 0, not 5).
BENIGN_ERRORS = frozenset({"NO_ERROR", "CANCEL"})


def frame_type_name(code: int) -> str:
    """``HEADERS`` for 1; ``UNKNOWN_0x42`` for a type no RFC we know defines."""
    return FRAME_TYPES.get(code) or f"UNKNOWN_0x{code:02x}"


def flag_names(type_code: int, flag_byte: int) -> list[str]:
    """The names of the flags set in ``flag_byte`` for this frame type; undefined bits as ``0xNN``."""
    names = []
    known = 0
    for name, bit in FLAGS.get(type_code, ()):
        known |= bit
        if flag_byte & bit:
            names.append(name)
    rest = flag_byte & ~known
    if rest:
        names.append(f"0x{rest:02x}")
    return names


def setting_name(code: int) -> str:
    return SETTINGS.get(code) or f"UNKNOWN_0x{code:02x}"


def error_name(code: int) -> str:
    return ERROR_CODES.get(code) or f"UNKNOWN_0x{code:x}"


def parse_error_code(text: str) -> int:
    """``CANCEL``, ``cancel``, ``8`` or ``0x8`` → 8; raises ValueError on anything else."""
    upper = text.strip().upper()
    if upper in ERROR_NUMBERS:
        return ERROR_NUMBERS[upper]
    return int(text, 0)
