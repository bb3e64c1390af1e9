"""``ws connect``'s goals and its close → exit status function: pure, so checked on records made by hand."""

from __future__ import annotations

import pytest

from wiretool.codec.wsbuild import build_frame
from wiretool.codec.wsframe import WsFrameParser
from wiretool.exitcodes import ExitCode
from wiretool.records.ws import WsMessage
from wiretool.records.ws_session import WsClose, WsHandshake, close_name
from wiretool.run.ws import WsGoals, close_outcome


def close(code: int, *, clean: bool = True, initiator: str = "server") -> WsClose:
    return WsClose(t=1.0, code=code, code_name=close_name(code), clean=clean, initiator=initiator)


@pytest.mark.parametrize(("record", "expect_close", "pending", "code"), [
    (close(1000), None, None, ExitCode.OK),
    (close(1000, initiator="client"), None, "--count 2: only 1 messages received", ExitCode.OK),
    (close(1000), None, "--count 2: only 1 messages received", ExitCode.EXPECTATION),
    (close(1002), None, None, ExitCode.PROTOCOL),
    (close(1007), None, None, ExitCode.PROTOCOL),
    (close(1002, initiator="client"), None, None, ExitCode.OK),
    (close(1006, clean=False), None, None, ExitCode.ABNORMAL_CLOSE),
    (close(1000, clean=False), None, None, ExitCode.ABNORMAL_CLOSE),
    (close(4001), 4001, "--expect-close 4001: no close received", ExitCode.OK),
    (close(1000), 4001, None, ExitCode.EXPECTATION),
    (close(1006, clean=False), 1006, None, ExitCode.OK),
])
def test_close_outcome(record: WsClose, expect_close: int | None, pending: str | None, code: int) -> None:
    outcome = close_outcome(record, expect_close=expect_close, pending=pending)
    assert outcome.code == code
    assert bool(outcome.message) == (code != ExitCode.OK)


def recv_frames(*frames: bytes, deflate: bool = False) -> list:
    parser = WsFrameParser(sender="server", dir="recv", rsv1_allowed=deflate, deflate=deflate)
    return parser.feed(b"".join(frames), 0.5)


def test_count_from_frames_joins_fragments_once() -> None:
    goals = WsGoals(count=2)
    records = recv_frames(build_frame(1, b"a", fin=False), build_frame(0, b"b"), build_frame(9, b"p"),
                          build_frame(2, b"\x00"))
    outcomes = [goals.on_record(r) for r in records if r.type == "frame"]
    assert goals.received == 2 and outcomes[-1] is not None and outcomes[-1].code == ExitCode.OK
    assert all(o is None for o in outcomes[:-1])


def test_compressed_frames_count_by_their_message_record() -> None:
    import zlib

    c = zlib.compressobj(wbits=-15)
    body = c.compress(b"hello") + c.flush(zlib.Z_SYNC_FLUSH)
    goals = WsGoals(expects=["hel+o"])
    records = recv_frames(build_frame(1, body[:-4][:3], fin=False, rsv1=True), build_frame(0, body[:-4][3:]),
                          deflate=True)
    seen = [goals.on_record(r) for r in records]
    assert [r.type for r in records] == ["frame", "frame", "message"]
    assert seen[:2] == [None, None] and seen[2] is not None and goals.received == 1


def test_expects_match_in_order_and_sent_messages_do_not_count() -> None:
    goals = WsGoals(expects=["one", "two"])
    assert goals.on_record(WsMessage(t=0.1, dir="send", opcode=1, payload=b"one two")) is None
    assert goals.on_record(WsMessage(t=0.2, dir="recv", opcode=1, payload=b"two")) is None
    assert goals.on_record(WsMessage(t=0.3, dir="recv", opcode=1, payload=b"one")) is None
    assert goals.pending() == "--expect 'two' not matched"
    reached = goals.on_record(WsMessage(t=0.4, dir="recv", opcode=1, payload=b"two"))
    assert reached is not None and reached.code == ExitCode.OK


def test_expect_close_waits_for_the_close_whatever_the_messages() -> None:
    goals = WsGoals(count=1, expect_close=1000)
    assert goals.on_record(WsMessage(t=0.1, dir="recv", opcode=1, payload=b"x")) is None
    ended = goals.on_record(close(1000))
    assert ended is not None and ended.code == ExitCode.OK


def test_timeout_is_7_only_for_an_unmet_expectation_once_connected() -> None:
    goals = WsGoals(expects=["never"])
    assert goals.on_timeout(2).code == ExitCode.TIMEOUT  # not connected yet: nothing could be matched
    goals.on_record(WsHandshake(t=0.1, dir="recv", status=101))
    late = goals.on_timeout(2)
    assert late.code == ExitCode.EXPECTATION and late.message == "--timeout 2s passed: --expect 'never' not matched"
    assert WsGoals(count=3).on_timeout(2).code == ExitCode.TIMEOUT  # a count alone is not an expectation
