"""What an h2 library exception means, in the words wiretool uses: the error code by name, the rule broken.

h2 raises on bytes it cannot accept, with messages meant for programmers ("Invalid input
ConnectionInputs.RECV_HEADERS in state ConnectionState.CLOSED", "Invalid stream ID for peer.", or just a
stream number). The frame view names the RFC 9113 rule first in most cases (codec/h2streams.py); this is
the line shown when it did not, so no bare number or state-machine name reaches the user (issue 11 #3).
"""

from __future__ import annotations

import re

import h2.errors
import h2.exceptions

from wiretool.codec.h2names import error_name

_STATE_INPUT = re.compile(r"Invalid input (?:ConnectionInputs|StreamInputs)\.(\w+) in state (?:ConnectionState|StreamState)\.(\w+)")
_WINDOW = re.compile(r"May not increment flow control window past (\d+)")


def describe(exc: h2.exceptions.H2Error) -> str:
    """One line for a protocol error h2 raised on the server's bytes: ``(CODE_NAME): what broke (section)``."""
    code = getattr(exc, "error_code", h2.errors.ErrorCodes.PROTOCOL_ERROR)
    try:
        name = error_name(int(code))
    except (TypeError, ValueError):
        name = "PROTOCOL_ERROR"
    return f"HTTP/2 protocol error from the server ({name}): {_what(exc)}"


def _what(exc: h2.exceptions.H2Error) -> str:
    text = str(exc).strip()
    if isinstance(exc, h2.exceptions.StreamIDTooLowError):
        return (f"stream {exc.stream_id} is lower than stream {exc.max_stream_id}, already used "
                "(RFC 9113 §5.1.1)")
    if isinstance(exc, h2.exceptions.StreamClosedError):  # its text is only the stream id
        return f"a frame on stream {exc.stream_id}, which is closed (RFC 9113 §5.1)"
    if isinstance(exc, h2.exceptions.NoSuchStreamError):  # likewise
        return f"a frame on stream {exc.stream_id}, which is idle: never opened (RFC 9113 §5.1)"
    if text == "Attempted to push on closed stream.":
        return "a PUSH_PROMISE on a stream that is not open (RFC 9113 §6.6)"
    match = _STATE_INPUT.search(text)
    if match:
        what, state = match.group(1), match.group(2).lower().replace("_", " ")
        frame = what.removeprefix("RECV_").removeprefix("SEND_").replace("_", " ")
        return f"a {frame} frame where the {'stream' if 'StreamInputs' in text else 'connection'} is {state} (RFC 9113 §5.1)"
    if text == "Invalid stream ID for peer.":
        return "a stream identifier the server may not use (even for a client-initiated stream, RFC 9113 §5.1.1)"
    match = _WINDOW.search(text)
    if match:
        return f"a WINDOW_UPDATE took a flow-control window past {match.group(1)} (2^31-1, RFC 9113 §6.9.1)"
    if not text or text.isdigit():
        return f"{type(exc).__name__} (h2 said only {text!r})" if text else type(exc).__name__
    return text


EXCERPT = 200
"""How many characters of a peer's text (GOAWAY debug data, a grpc-message, a status line) an error line keeps."""


def excerpt(text: str, *, what: str = "characters", whole: int | None = None) -> str:
    """``text`` cut to :data:`EXCERPT` characters for a one-line error, saying how long the whole was.

    A peer chooses these strings and their length (up to 16 MiB of debug data): the line stays bounded;
    the record (frame, status) keeps the whole.
    """
    if len(text) <= EXCERPT and whole is None:
        return text
    return f"{text[:EXCERPT]}... ({whole if whole is not None else len(text)} {what} in all)"
