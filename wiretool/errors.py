"""The one exception type that carries a user-facing message and an exit code.

Anything raised as :class:`WiretoolError` is shown as a single line (``wiretool: error: ...``)
and ends the process with its exit code; anything else is a bug (exit 1), shown with a
traceback only under ``--debug``.
"""

from __future__ import annotations

import errno

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


OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO})
"""Why writing our own output can fail that is the machine's doing, not a bug: a full disk, a quota, a dead device."""


def output_failure(exc: BaseException) -> WiretoolError | None:
    """``cannot write to stdout: No space left on device`` (exit 2) for an OSError of :data:`OUTPUT_ERRNOS`.

    A closed pipe is not one of them: ``| head`` ends quietly with 0 (see cli/main.py).
    """
    if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError) and exc.errno in OUTPUT_ERRNOS:
        return WiretoolError(f"cannot write to stdout: {exc.strerror or exc}", ExitCode.USAGE)
    return None
