"""The rules of RFC 6455 (and RFC 7692) a single frame can break, as named violations.

Each violation has a stable ``code`` (scripts match on it), the RFC section that states the rule, and a
readable message. The frame parser (:mod:`wiretool.codec.wsframe`) calls these checks on frames that
leave its fast path; rules that need the message context (continuation, interleaving, UTF-8 across
fragments, inflation) are decided there and named here.
"""

from __future__ import annotations

from wiretool.codec.wsclose import close_code_allowed, close_code_name
from wiretool.records import Violation
from wiretool.records.ws import opcode_name

_RSV_NAMES = ((0x40, "RSV1"), (0x20, "RSV2"), (0x10, "RSV3"))


def _v(code: str, rfc: str, message: str) -> Violation:
    return Violation(code=code, rfc=rfc, message=message)


V_CLIENT_UNMASKED = _v("client-unmasked", "RFC 6455 §5.1", "a client must mask every frame it sends")
V_SERVER_MASKED = _v("server-masked", "RFC 6455 §5.1", "a server must not mask the frames it sends")
V_CONTROL_FRAGMENTED = _v("control-fragmented", "RFC 6455 §5.5",
                          "control frame without FIN: control frames must not be fragmented")
V_UNEXPECTED_CONT = _v("unexpected-continuation", "RFC 6455 §5.4",
                       "continuation frame with no fragmented message to continue")
V_AFTER_CLOSE = _v("frame-after-close", "RFC 6455 §5.5.1",
                  "data frame sent after the sender's own CLOSE frame: after a close, no more data frames")
V_CLOSE_1_BYTE = _v("close-payload-1-byte", "RFC 6455 §5.5.1",
                    "close payload of 1 byte: it must be empty or start with a 2-byte code")
V_CLOSE_REASON_UTF8 = _v("close-reason-invalid-utf8", "RFC 6455 §5.5.1", "close reason is not valid UTF-8")
V_RSV1_CONTROL = _v("rsv1-on-control", "RFC 7692 §6", "RSV1 (compressed) set on a control frame")
V_RSV1_CONT = _v("rsv1-on-continuation", "RFC 7692 §6.1",
                 "RSV1 (compressed) set on a continuation frame; only the first frame carries it")
V_LENGTH_MSB = _v("length-msb-set", "RFC 6455 §5.2",
                  "64-bit payload length has its most significant bit set")


def header_violations(head: bytes, bad_mask: int, rsv1_allowed: bool) -> list[Violation]:
    """What the header bytes break: opcode, RSV bits, length encoding, masking, control frame limits.

    ``bad_mask`` is the MASK bit value that is wrong for the sender (0 for a client, 0x80 for a server,
    -1 when the sender is unknown). ``head`` may be cut short; only what is there is checked.
    """
    b0 = head[0]
    op = b0 & 0x0F
    v: list[Violation] = []
    length: int | None = None
    if 3 <= op <= 7 or op >= 11:
        v.append(_v("reserved-opcode", "RFC 6455 §5.2", f"opcode {op} is reserved"))
    for bit, name in _RSV_NAMES:
        if b0 & bit and (bit != 0x40 or not rsv1_allowed):
            v.append(_v("rsv-without-extension", "RFC 6455 §5.2", f"{name} set but no negotiated extension defines it"))
    if b0 & 0x40 and rsv1_allowed:
        if op >= 8:
            v.append(V_RSV1_CONTROL)
        elif op == 0:
            v.append(V_RSV1_CONT)
    if len(head) >= 2:
        b1 = head[1]
        ln = b1 & 0x7F
        if ln < 126:
            length = ln
        elif ln == 126 and len(head) >= 4:
            length = int.from_bytes(head[2:4], "big")
            if length < 126:
                v.append(_v("non-minimal-length", "RFC 6455 §5.2",
                            f"length {length} encoded in 16 bits; the minimal encoding is 7 bits"))
        elif ln == 127 and len(head) >= 10:
            length = int.from_bytes(head[2:10], "big")
            if length >> 63:
                v.append(V_LENGTH_MSB)
            elif length < 65536:
                minimal = 7 if length < 126 else 16
                v.append(_v("non-minimal-length", "RFC 6455 §5.2",
                            f"length {length} encoded in 64 bits; the minimal encoding is {minimal} bits"))
        if (b1 & 0x80) == bad_mask:
            v.append(V_CLIENT_UNMASKED if bad_mask == 0 else V_SERVER_MASKED)
    if op >= 8:
        if length is not None and length > 125:
            v.append(_v("control-too-long", "RFC 6455 §5.5",
                        f"control frame payload of {length} bytes; at most 125 are allowed"))
        if not b0 & 0x80:
            v.append(V_CONTROL_FRAGMENTED)
    return v


def close_violations(payload: bytes) -> list[Violation]:
    """What a close frame's body breaks: its size, its code (§7.4), its reason's encoding."""
    v: list[Violation] = []
    if len(payload) == 1:
        v.append(V_CLOSE_1_BYTE)
    elif len(payload) >= 2:
        code = int.from_bytes(payload[:2], "big")
        if not close_code_allowed(code):
            v.append(_v("close-code-invalid", "RFC 6455 §7.4",
                        f"close code {code} ({close_code_name(code)}) must not be sent on the wire"))
        try:
            payload[2:].decode("utf-8")
        except UnicodeDecodeError:
            v.append(V_CLOSE_REASON_UTF8)
    return v


def truncated(missing: int) -> Violation:
    return _v("truncated-frame", "RFC 6455 §5.2",
              f"input ended {missing} byte{'s' if missing != 1 else ''} before the end of the frame")


def interleaved(op: int, message_op: int) -> Violation:
    return _v("interleaved-data-frame", "RFC 6455 §5.4",
              f"{opcode_name(op)} frame inside an unfinished fragmented {opcode_name(message_op)} message")


def invalid_utf8(frame_number: int) -> Violation:
    return _v("invalid-utf8", "RFC 6455 §8.1",
              f"text message is not valid UTF-8 (found in frame {frame_number} of the message)")


MAX_MESSAGE_FRAMES = 1_000_000
"""Frames one received message may have before a connection gives up on it (close 1009, exit 5): a message of
empty CONTINUATION frames never reaches --max-size, and without this would never end (RFC 6455 §10.4 asks
implementations to limit what a peer can make them hold)."""


def too_many_frames(frames: int) -> Violation:
    return _v("message-too-many-frames", "RFC 6455 §10.4",
              f"message still not complete after {frames} frames (the limit is {MAX_MESSAGE_FRAMES})")


def inflate_too_big(limit: int, inflated: int, consumed: int) -> Violation:
    """A compressed message that inflates past the local limit (``--max-size``): not broken data, too big."""
    return _v("message-too-big", "RFC 6455 §10.4",
              f"message larger than the local limit ({limit} bytes, --max-size in ws connect) once inflated: inflation "
              f"stopped at {inflated} bytes, {consumed} compressed bytes into the message")


def inflate_failed(exc: Exception) -> Violation:
    return _v("inflate-failed", "RFC 7692 §7.2.2", f"compressed message could not be inflated: {exc}")


def parser_error(exc: Exception) -> Violation:
    """Not a protocol rule: a bug in the parser, reported on the stream instead of raised."""
    return _v("parser-error", "-", f"internal parser error: {exc!r}")
