"""What ``h2 get`` is asked to do and what it saw: the request specs, the client configuration, each
stream's story, the run's outcome, and the one function that maps an outcome onto the exit codes.

Plain data with no I/O, so the CLI, the demo and the tests can build and read them without asyncio.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from wiretool.codec.headers import has_cr_lf_nul
from wiretool.exitcodes import ExitCode

if TYPE_CHECKING:
    from wiretool.codec.grpcview import GrpcStreams
    from wiretool.records.grpc import GrpcStatus


CONNECTION_HEADERS = frozenset({"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"})
"""Connection-specific header fields, which HTTP/2 forbids (RFC 9113 §8.2.2)."""


def header_problem(name: str, value: str) -> str | None:
    """Why a header (or trailer) the user gave cannot be sent in HTTP/2, or None if it can.

    RFC 9113 §8.2.2 and §8.3: h2 sets the pseudo-headers itself and has no connection-specific fields;
    §8.2.1: no CR, LF or NUL in a name or a value. Checked before connecting, as a usage error.
    """
    if name.lower() in CONNECTION_HEADERS or name.startswith(":"):
        return (f"{name!r} cannot be sent in HTTP/2 (RFC 9113 §8.2.2, §8.3): h2 sets the "
                "pseudo-headers and has no connection-specific headers")
    if has_cr_lf_nul(name + value):
        return f"header {name!r} holds CR, LF or NUL, which HTTP/2 forbids (RFC 9113 §8.2.1)"
    return None


@dataclass
class RequestSpec:
    """One request to make: the path on the connection's origin, and what to send."""

    url: str
    path: str
    method: str = "GET"
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    trailers: list[tuple[str, str]] = field(default_factory=list)
    grpc: bool = False
    """A gRPC call: no ``accept`` or ``content-length`` header, metadata right after the pseudo-headers."""


@dataclass
class ClientConfig:
    """Everything :class:`H2Client` needs; built by ``cli/h2.py`` from the options."""

    scheme: str
    host: str
    port: int
    authority: str
    requests: list[RequestSpec]
    max_concurrent: int = 100
    push: bool = True
    ping: bool = False
    upgrade: bool = False
    window_bits: int | None = None
    max_frame_size: int | None = None
    ssl_context: ssl.SSLContext | None = None
    connect_timeout: float | None = 10.0
    idle_timeout: float | None = None
    hexdump: bool = False
    body: bool = False
    hpack: bool = False
    stats: bool = False
    show_secrets: bool = False
    grpc: GrpcStreams | None = None
    """The gRPC view to follow application/grpc streams with (one with a schema); None: a schema-less one."""


@dataclass
class StreamState:
    """What happened on one stream, for ``--stats`` and the exit code."""

    stream_id: int
    url: str
    method: str
    start: float
    pushed: bool = False
    status: int | None = None
    headers_at: float | None = None
    first_byte_at: float | None = None
    end_at: float | None = None
    bytes: int = 0
    outcome: str = "open"
    error_code: str | None = None


@dataclass
class Outcome:
    """What the run saw; :func:`exit_code` turns it into the documented exit status."""

    streams: list[StreamState] = field(default_factory=list)
    protocol_error: str | None = None
    closed_early: str | None = None
    timeout: str | None = None
    violations: int = 0
    frames_sent: int = 0
    frames_received: int = 0
    bytes_sent: int = 0
    bytes_received: int = 0
    rtt_ms: float | None = None
    deadline: bool = False
    """The run's ``--timeout`` passed and it was a gRPC call's deadline (set when the run stops the call)."""
    grpc_statuses: dict[int, GrpcStatus] = field(default_factory=dict)
    grpc_sent: int = 0
    grpc_received: int = 0

    def counts(self) -> dict[str, object]:
        requests = [s for s in self.streams if not s.pushed]
        return {
            "requests": len(requests),
            "responses": sum(1 for s in requests if s.outcome == "ok"),
            "pushed": sum(1 for s in self.streams if s.pushed),
            "resets": sum(1 for s in self.streams if s.outcome == "reset"),
            "frames_sent": self.frames_sent, "frames_received": self.frames_received,
            "bytes_sent": self.bytes_sent, "bytes_received": self.bytes_received,
            "violations": self.violations,
            **({"ping_rtt_ms": self.rtt_ms} if self.rtt_ms is not None else {}),
            **({"grpc_messages_sent": self.grpc_sent, "grpc_messages_received": self.grpc_received}
               if self.grpc_statuses or self.grpc_sent or self.grpc_received else {}),
        }


def exit_code(outcome: Outcome, *, fail: bool = False) -> tuple[int, str | None]:
    """Map a run's outcome onto (exit code, message): 5 protocol, 6 timeout, 8 cut short, 4 ``--fail``."""
    if outcome.protocol_error:
        return ExitCode.PROTOCOL, outcome.protocol_error
    if outcome.timeout:
        return ExitCode.TIMEOUT, outcome.timeout
    if outcome.closed_early:
        return ExitCode.ABNORMAL_CLOSE, outcome.closed_early
    if fail:
        bad = [s for s in outcome.streams if s.status is not None and s.status >= 400]
        if bad:
            return ExitCode.REFUSED, f"HTTP status {bad[0].status} for {bad[0].url} (--fail)"
    return ExitCode.OK, None
