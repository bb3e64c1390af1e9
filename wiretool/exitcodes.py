"""The exit status table of the architecture (shared/ARCHITECTURE.md), one place for all commands.

Scripts in CI depend on these numbers: never renumber, only add.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Documented exit statuses of every ``wiretool`` subcommand."""

    OK = 0
    """The run ended as asked."""
    INTERNAL = 1
    """A bug in wiretool. Never shows a traceback unless ``--debug``."""
    USAGE = 2
    """Bad option or unreadable input."""
    CONNECT = 3
    """Could not connect: DNS, TCP, TLS, proxy."""
    REFUSED = 4
    """Handshake or HTTP status refused."""
    PROTOCOL = 5
    """Protocol violation seen, or the peer ended with an error code."""
    TIMEOUT = 6
    """``--timeout``, ``--idle-timeout`` or ``--connect-timeout`` passed."""
    EXPECTATION = 7
    """``--expect``, ``--expect-close`` or a replay check failed."""
    ABNORMAL_CLOSE = 8
    """Connection closed abnormally when not expected (1006, reset, EOF mid-message)."""
    INTERRUPTED = 130
    """Ctrl-C, after a clean close where possible."""

    GRPC_BASE = 64
    """``h2 grpc``: the call ended with grpc-status N != 0 exits with 64 + N."""


def grpc_exit_code(status: int) -> int:
    """Map a non-zero grpc-status onto the documented 64 + N exit code."""
    return ExitCode.OK if status == 0 else ExitCode.GRPC_BASE + status


def worst(*codes: int) -> int:
    """Pick the exit code to report when several outcomes happened in one run.

    The first non-zero code wins: a run reports the first thing that went wrong.
    """
    for code in codes:
        if code:
            return code
    return ExitCode.OK
