"""Records of a WebSocket *session* (not of single frames): connect, handshake, ping RTT, close, server events.

Frames and reassembled messages are ``records/ws.py`` (the codec's records); these are the facts the
transport observes around them. Field names follow the NDJSON contract of shared/ARCHITECTURE.md:
``handshake`` has ``dir``, ``status`` (recv), ``headers`` (list of [name, value]) and ``accept_ok``
(recv); ``close`` has ``code``, ``reason`` and ``clean``. More fields are added, never renamed.
"""

from __future__ import annotations

from typing import Any, ClassVar

import msgspec

from wiretool.records import Record, Violation
from wiretool.records.ws import close_code_name


def close_name(code: int | None) -> str | None:
    """The ``close`` record's ``code_name``: the name the ``frame`` record gives (records/ws.py)."""
    return None if code is None else close_code_name(code)


class WsConnect(Record, frozen=True, kw_only=True):
    """The TCP (and TLS) connection is up: where to, through which proxy, with which TLS parameters."""

    proto: ClassVar[str] = "ws"
    type: ClassVar[str] = "connect"

    url: str = ""
    peer: str = ""
    proxy: str | None = None
    tls_version: str | None = None
    tls_cipher: str | None = None
    alpn: str | None = None


class WsHandshake(Record, frozen=True, kw_only=True):
    """One half of the opening handshake: the HTTP request as sent, or the response as received.

    ``headers`` hold values already redacted (unless --show-secrets) so no renderer can leak them.
    On the response, ``accept_expected``/``accept_received``/``accept_ok`` are the Sec-WebSocket-Accept
    verdict, ``subprotocol``/``extensions`` what was negotiated, ``error`` why the handshake failed
    and ``body_text``/``body_hex`` the first KiB of the body of a refused upgrade.
    """

    proto: ClassVar[str] = "ws"
    type: ClassVar[str] = "handshake"

    dir: str = "send"
    request_line: str | None = None
    status: int | None = None
    reason: str | None = None
    headers: list[list[str]] = msgspec.field(default_factory=list)
    accept_ok: bool | None = None
    accept_expected: str | None = None
    accept_received: str | None = None
    subprotocol: str | None = None
    extensions: list[str] = msgspec.field(default_factory=list)
    body_length: int | None = None
    body_text: str | None = None
    body_hex: str | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"proto": "ws", "type": "handshake", "t": self.t, "dir": self.dir}
        if self.request_line is not None:
            out["request_line"] = self.request_line
            out["headers"] = self.headers
            return out
        out.update(status=self.status, reason=self.reason, headers=self.headers, accept_ok=self.accept_ok,
                   accept_expected=self.accept_expected, accept_received=self.accept_received,
                   subprotocol=self.subprotocol, extensions=self.extensions, error=self.error)
        if self.body_length is not None:
            out.update(body_length=self.body_length, body_text=self.body_text, body_hex=self.body_hex)
        return out


class WsRtt(Record, frozen=True, kw_only=True):
    """A pong answered one of our pings: the round-trip time."""

    proto: ClassVar[str] = "ws"
    type: ClassVar[str] = "rtt"

    payload_hex: str = ""
    rtt_ms: float = 0.0


class WsClose(Record, frozen=True, kw_only=True):
    """How the connection ended: the peer's close code/reason, ours, and whether the close handshake completed.

    ``code`` is the code received (1006 when none was: abnormal closure), ``clean`` is true when close
    frames went both ways before TCP closed. ``initiator`` says who sent the first close frame.
    """

    proto: ClassVar[str] = "ws"
    type: ClassVar[str] = "close"

    code: int = 1006
    reason: str = ""
    clean: bool = False
    code_name: str | None = None
    sent_code: int | None = None
    sent_reason: str | None = None
    initiator: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"proto": "ws", "type": "close", "t": self.t, "code": self.code, "reason": self.reason,
                "clean": self.clean, "code_name": self.code_name, "sent_code": self.sent_code,
                "sent_reason": self.sent_reason, "initiator": self.initiator}


class WsProtocolError(Record, frozen=True, kw_only=True):
    """The protocol state machine (websockets) rejected what the peer sent, named as a violation.

    Emitted when the frame view did not already name the problem (e.g. ``--show messages``, where
    frames are not decoded one by one), so a violation is never silent.
    """

    proto: ClassVar[str] = "ws"
    type: ClassVar[str] = "violation"

    dir: str = "recv"
    violations: list[Violation] = msgspec.field(default_factory=list)
    close_code: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"proto": "ws", "type": "violation", "t": self.t, "dir": self.dir,
                "violations": [v.to_json() for v in self.violations], "close_code": self.close_code}


class WsAccept(Record, frozen=True, kw_only=True):
    """``serve ws``: a client connected (``conn`` numbers the connections of the run)."""

    proto: ClassVar[str] = "ws"
    type: ClassVar[str] = "accept"

    conn: int = 0
    peer: str = ""


class WsDisconnect(Record, frozen=True, kw_only=True):
    """``serve ws``: a client connection ended."""

    proto: ClassVar[str] = "ws"
    type: ClassVar[str] = "disconnect"

    conn: int = 0
    peer: str = ""
    frames_in: int = 0
    frames_out: int = 0
