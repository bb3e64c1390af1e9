"""Name what websockets' state machine rejected: handshake errors as one line, frame errors as violations.

The frame codec names violations itself when it sees the frames; these are for what only websockets
saw (``--show messages`` skips per-frame decoding) and for handshake failures, with the same codes.
"""

from __future__ import annotations

from websockets.exceptions import InvalidStatus, PayloadTooBig, SecurityError

from wiretool.records import Violation


def describe_handshake_error(exc: BaseException, received: bytes = b"") -> str:
    """One line for why websockets refused the handshake response (``received``: the bytes it came from)."""
    if isinstance(exc, InvalidStatus):
        return f"server answered HTTP {exc.response.status_code} instead of 101 Switching Protocols"
    cause = exc.__cause__
    text = str(exc)
    if isinstance(cause, SecurityError) and not any(w in str(cause) for w in ("body", "chunk", "content")):
        # a header line longer than websockets reads, or too many header lines
        return f"{text}: response head longer than the client accepts: {cause}"
    if cause is not None and str(cause):
        text = f"{text}: {cause}"
    if len(received) >= 5 and not received.startswith(b"HTTP/"):
        first = bytes(received.split(b"\n", 1)[0][:80].rstrip(b"\r")).decode("ascii", "backslashreplace")
        text = f"{text} (not an HTTP response: {first!r})"
    return text


_WS_MESSAGES: list[tuple[str, str, str, str]] = [
    # websockets' message fragment, then the codec's violation code, RFC section and message
    ("invalid opcode", "reserved-opcode", "RFC 6455 §5.2", "reserved opcode"),
    ("incorrect masking", "server-masked", "RFC 6455 §5.1", "a server must not mask the frames it sends"),
    ("reserved bits must be 0", "rsv-without-extension", "RFC 6455 §5.2",
     "RSV bit set without a negotiated extension"),
    ("control frame too long", "control-too-long", "RFC 6455 §5.5", "control frame payload longer than 125 bytes"),
    ("fragmented control frame", "control-fragmented", "RFC 6455 §5.5", "control frames must not be fragmented"),
    ("expected a continuation frame", "interleaved-data-frame", "RFC 6455 §5.4",
     "new data frame inside a fragmented message"),
    ("unexpected continuation frame", "unexpected-continuation", "RFC 6455 §5.4",
     "continuation frame with no fragmented message to continue"),
    ("invalid status code", "close-code-invalid", "RFC 6455 §7.4", "close code not allowed on the wire"),
    ("close frame too short", "close-payload-1-byte", "RFC 6455 §5.5.1", "close payload of 1 byte"),
    ("incomplete fragmented message", "interleaved-data-frame", "RFC 6455 §5.4",
     "close frame inside a fragmented message"),
    ("decompression failed", "inflate-failed", "RFC 7692 §7.2.2", "compressed message could not be inflated"),
]


def violation_from_exception(exc: BaseException) -> Violation:
    """Name what websockets' protocol rejected as a :class:`Violation` (used when the codec did not see it)."""
    if isinstance(exc, UnicodeDecodeError):
        return Violation("close-reason-invalid-utf8", "RFC 6455 §5.5.1", f"close reason is not valid UTF-8: {exc.reason}")
    if isinstance(exc, PayloadTooBig):
        return Violation("message-too-big", "RFC 6455 §10.4", f"message larger than --max-size: {exc}")
    text = str(exc)
    for fragment, code, rfc, message in _WS_MESSAGES:
        if fragment in text:
            return Violation(code, rfc, message)
    return Violation("protocol-error", "RFC 6455 §5", text or type(exc).__name__)
