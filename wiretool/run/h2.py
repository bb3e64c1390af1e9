"""``h2 get``'s and ``h2 grpc``'s part of the run: what ``--timeout`` means for them. Pure: no I/O.

The run layer's clock ends the run; what that means depends on how far it got, which these goals read
from the records the session emits: still connecting (no ``connect`` record yet, or an h2c upgrade not yet
answered 101) is exit 6 "connecting took longer"; after that ``h2 get`` says "the run took longer" (6), and
a gRPC call ends DEADLINE_EXCEEDED (68, as if the server had said so) unless its status already came.
"""

from __future__ import annotations

from wiretool.codec.grpc import status_name
from wiretool.exitcodes import ExitCode, grpc_exit_code
from wiretool.records import Record
from wiretool.records.grpc import GrpcStatus
from wiretool.records.h2 import H2Connect, H2Upgrade
from wiretool.session import Outcome

DEADLINE_EXCEEDED = 4


class H2Goals:
    """``h2 get``: no goal but the session's own end; a timeout named by the phase it cut short."""

    def __init__(self, authority: str, *, upgrade: bool = False) -> None:
        self.authority = authority
        self.upgrade = upgrade
        self.connected = False

    def on_record(self, record: Record) -> Outcome | None:
        kind = type(record)
        if kind is H2Connect and not self.upgrade:
            self.connected = True
        elif kind is H2Upgrade and record.dir == "recv" and record.status == 101:  # type: ignore[attr-defined]
            self.connected = True
        return None

    def on_timeout(self, timeout: float) -> Outcome:
        if not self.connected:
            return Outcome(ExitCode.TIMEOUT, f"connecting to {self.authority} took longer than {timeout:g}s (--timeout)")
        return Outcome(ExitCode.TIMEOUT, run_took_longer(timeout))

    def on_end(self, outcome: Outcome) -> Outcome:
        return outcome


class GrpcGoals(H2Goals):
    """``h2 grpc``: ``--timeout`` is the call's deadline (exit 68) once connected, unless a status came first."""

    def __init__(self, authority: str, stream_id: int = 1) -> None:
        super().__init__(authority)
        self.stream_id = stream_id
        self.status: GrpcStatus | None = None

    def on_record(self, record: Record) -> Outcome | None:
        if type(record) is GrpcStatus and record.stream_id == self.stream_id:  # type: ignore[attr-defined]
            self.status = record  # type: ignore[assignment]
        return super().on_record(record)

    def on_timeout(self, timeout: float) -> Outcome:
        if not self.connected:
            return super().on_timeout(timeout)
        status = self.status
        if status is None:
            return Outcome(grpc_exit_code(DEADLINE_EXCEEDED),
                           f"grpc-status {DEADLINE_EXCEEDED} {status_name(DEADLINE_EXCEEDED)}: {run_took_longer(timeout)}")
        if status.code != 0:
            detail = f": {status.message[:200]}..." if len(status.message) > 200 else (
                f": {status.message}" if status.message else "")  # bounded as transport/h2_grpc.py bounds it
            return Outcome(grpc_exit_code(status.code), f"grpc-status {status.code} {status.name}{detail}")
        return Outcome(ExitCode.TIMEOUT, run_took_longer(timeout))


def run_took_longer(timeout: float) -> str:
    """The message of a ``--timeout`` that passed after connecting (also the made-up deadline status's)."""
    return f"the run took longer than {timeout:g}s (--timeout)"
