"""The one exception type that carries a user-facing message and an exit code.

Anything raised as :class:`WiretoolError` is shown as a single line (``wiretool: error: ...``)
and ends the process with its exit code; anything else is a bug (exit 1), shown with a
traceback only under ``--debug``.
"""

from __future__ import annotations

from wiretool.exitcodes import ExitCode


class WiretoolError(Exception):
    """A failure the user can act on: a one-line message and a documented exit code."""

    def __init__(self, message: str, exit_code: int = ExitCode.USAGE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = int(exit_code)


class UsageError(WiretoolError):
    """Bad option value or unreadable input (exit 2)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.USAGE)


class ConnectError(WiretoolError):
    """DNS, TCP, TLS or proxy failure (exit 3)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.CONNECT)


class TimeoutExpired(WiretoolError):
    """A ``--timeout``, ``--idle-timeout`` or ``--connect-timeout`` passed (exit 6)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.TIMEOUT)
