"""``h2 get``'s and ``h2 grpc``'s goals: what ``--timeout`` means by the phase it cut short. Pure."""

from __future__ import annotations

from wiretool.exitcodes import ExitCode, grpc_exit_code
from wiretool.records.grpc import GrpcStatus
from wiretool.records.h2 import H2Connect, H2Upgrade
from wiretool.run.h2 import GrpcGoals, H2Goals


def test_a_timeout_while_connecting_says_so_and_after_it_the_run_took_longer() -> None:
    goals = H2Goals("example:8080")
    assert goals.on_timeout(1.5).message == "connecting to example:8080 took longer than 1.5s (--timeout)"
    goals.on_record(H2Connect(t=0, mode="h2c-prior-knowledge"))
    timeout = goals.on_timeout(1.5)
    assert (timeout.code, timeout.message) == (ExitCode.TIMEOUT, "the run took longer than 1.5s (--timeout)")


def test_an_h2c_upgrade_is_connected_once_the_server_answers_101() -> None:
    goals = H2Goals("x", upgrade=True)
    goals.on_record(H2Connect(t=0, mode="h2c-upgrade"))
    goals.on_record(H2Upgrade(t=0, dir="send"))
    assert goals.on_timeout(1).message.startswith("connecting")
    goals.on_record(H2Upgrade(t=0, dir="recv", status=101))
    assert goals.on_timeout(1).message.startswith("the run took longer")


def test_a_call_past_its_deadline_is_deadline_exceeded_unless_its_status_came() -> None:
    goals = GrpcGoals("x")
    assert goals.on_timeout(2).code == ExitCode.TIMEOUT  # not connected yet: the call never started
    goals.on_record(H2Connect(t=0))
    deadline = goals.on_timeout(2)
    assert deadline.code == grpc_exit_code(4) == 68
    assert deadline.message == "grpc-status 4 DEADLINE_EXCEEDED: the run took longer than 2s (--timeout)"
    goals.on_record(GrpcStatus(t=0, stream_id=1, code=5, name="NOT_FOUND", message="gone"))
    assert (goals.on_timeout(2).code, goals.on_timeout(2).message) == (69, "grpc-status 5 NOT_FOUND: gone")
    ok = GrpcGoals("x")
    ok.on_record(H2Connect(t=0))
    ok.on_record(GrpcStatus(t=0, stream_id=1, code=0, name="OK"))
    assert ok.on_timeout(2).code == ExitCode.TIMEOUT
