"""The STOMP view: frames, heart-beats, several frames in a message and one frame across messages, content-length,
escapes, receipts and subscriptions matched, secrets redacted; stomp-broker-js (npm) through ws connect; fuzzing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from conftest import run_wiretool
from hypothesis import given, settings
from hypothesis import strategies as st
from protocol_peers import connect, fields_of, node_server, record_views, viewed

from wiretool import views
from wiretool.views import ViewContext, stomp


def _run(*messages: tuple[str, bytes | str], state: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    state = {} if state is None else state
    out = []
    for i, (direction, data) in enumerate(messages):
        ctx = ViewContext(dir=direction, t=i / 10, subprotocol="v12.stomp", state=state)
        assert views.pick(data, ctx) is stomp.VIEW
        result = views.render(data, ctx)
        assert result.error is None
        out.append(result.fields)
    return out


def test_a_session_with_receipts_and_subscriptions_matched() -> None:
    con, ok, sub, rec, msg = _run(
        ("send", "CONNECT\naccept-version:1.2\nhost:broker\nlogin:me\npasscode:hunter2\n\n\x00"),
        ("recv", "CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\x00"),
        ("send", "SUBSCRIBE\nid:sub-0\ndestination:/queue/a\nreceipt:r-1\n\n\x00"),
        ("recv", "RECEIPT\nreceipt-id:r-1\n\n\x00"),
        ("recv", "MESSAGE\ndestination:/queue/a\nmessage-id:9\nsubscription:sub-0\ncontent-type:text/plain\n\nhi\x00"))
    assert con["headers"] == {"accept-version": "1.2", "host": "broker", "login": "me", "passcode": "<redacted>"}
    assert ok["headers"]["version"] == "1.2"
    assert sub["command"] == "SUBSCRIBE"
    assert rec["receipt_for"] == "SUBSCRIBE" and rec["rtt_ms"] == 100.0
    assert msg["subscribed_to"] == "/queue/a" and msg["body"] == "hi" and msg["body_length"] == 2


def test_heartbeats_several_frames_and_a_frame_across_messages() -> None:
    hb, two, part, rest = _run(
        ("recv", "\n"), ("recv", "\r\nMESSAGE\ndestination:/t\nmessage-id:1\nsubscription:0\n\na\x00\n"
                                 "ERROR\nmessage:bad\n\nwhy\x00"),
        ("send", "SEND\ndestination:/t\ncontent-length:5\n\nab"), ("send", b"\x00de\x00"))
    assert hb == {"command": "heartbeat", "heartbeats": 1}
    assert two["command"] == "frames" and [f["command"] for f in two["frames"]] == ["MESSAGE", "ERROR"]
    assert two["heartbeats"] == 2
    assert part == {"command": "partial"}
    assert rest["command"] == "SEND" and rest["body_length"] == 5 and rest["body"] == "ab\x00de"


def test_complaints_content_length_escapes_and_required_headers() -> None:
    lie, esc, missing, unknown = _run(
        ("send", b"SEND\ndestination:/t\ncontent-length:2\n\nabc\x00"),
        ("recv", "MESSAGE\ndestination:/a\\cb\\tq\nmessage-id:1\nsubscription:0\n\n\x00"),
        ("send", "SUBSCRIBE\ndestination:/x\n\n\x00"), ("send", "HELLO\n\n\x00"))
    assert lie["complaints"] == ["content-length 2 lies: the byte after that body is not the NUL"]
    assert lie["body"] == "abc"
    assert esc["headers"]["destination"] == "/a:b\\tq"
    assert esc["complaints"] == ["undefined escape '\\\\t' in a header (STOMP 1.2: a fatal protocol error)"]
    assert missing["complaints"] == ["SUBSCRIBE without its required id header(s)"]
    assert unknown["complaints"] == ["unknown command HELLO (STOMP 1.2 §Frames)"]


def test_an_unended_frame_is_bounded() -> None:
    state: dict[str, Any] = {}
    _run(("send", "SEND\ndestination:/t\n\n"), state=state)
    for _ in range(5):
        got = stomp.VIEW.decode(b"x" * 60_000, ViewContext(dir="send", subprotocol="v12.stomp", state=state))
    assert got.fields["complaints"][0].startswith(f"a frame of more than {stomp.MAX_PARTIAL} bytes not ended")
    assert len(state["stomp"]["send"]["buf"]) == 0


def test_not_stomp_is_said_once_and_the_rest_not_read() -> None:
    (got,) = _run(("recv", b"\x00\x01garbage\nmore"))
    assert got["complaints"][0].startswith("not a STOMP command line")


def test_without_the_subprotocol_a_frame_is_still_recognised() -> None:
    assert views.pick("CONNECTED\nversion:1.2\n\n\x00", ViewContext()).name == "stomp"
    assert views.pick("CONNECTED but not a frame", ViewContext()).name == "raw"


@pytest.fixture(scope="module")
def broker_port() -> Iterator[int]:
    with node_server("stomp_broker.js") as port:
        yield port


def test_stomp_broker_js_through_ws_connect(broker_port: int) -> None:
    frames = [b"CONNECT\naccept-version:1.1,1.2\nhost:localhost\npasscode:pw\n\n\x00",
              b"SUBSCRIBE\nid:0\ndestination:/queue/a\n\n\x00",
              b"SEND\ndestination:/queue/b\n\nhello\x00"]
    # argv cannot carry the NUL that ends a frame: the frames go out as binary messages, which STOMP allows
    args = [a for f in frames for a in ("--send-hex", f.hex())]
    code, records = connect(f"ws://127.0.0.1:{broker_port}/stomp", "-s", "v12.stomp", "-s", "v11.stomp",
                            "--count", "2", "--timeout", "20", *args)
    assert code == 0, records[-2:]
    hello = next(r for r in records if r["type"] == "handshake" and r["dir"] == "recv")
    assert hello["subprotocol"] == "v12.stomp"
    results = viewed(records)
    sent = fields_of(results, "send")
    assert [f["command"] for f in sent] == ["CONNECT", "SUBSCRIBE", "SEND"]
    assert sent[0]["headers"]["passcode"] == "<redacted>"
    got = {f["command"]: f for f in fields_of(results, "recv")}
    assert got["CONNECTED"]["headers"]["version"] == "1.1"
    assert got["MESSAGE"]["subscribed_to"] == "/queue/a" and got["MESSAGE"]["body"] == "welcome to /queue/a"
    # this broker's own MESSAGE frames lack two headers STOMP requires: the view says so
    assert got["MESSAGE"]["complaints"] == ["MESSAGE without its required destination, message-id header(s)"]
    record_views(records, "stomp")


_VALID = [b"CONNECT\naccept-version:1.2\nhost:h\n\n\x00", b"SEND\ndestination:/q\ncontent-length:3\n\nabc\x00",
          b"MESSAGE\ndestination:/q\nmessage-id:1\nsubscription:0\n\nbody\x00\n", b"RECEIPT\nreceipt-id:7\n\n\x00",
          b"\r\n", b"ERROR\nmessage:x\\n\n\n\x00"]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=300), st.text(max_size=300)), max_size=8))
def test_random_payloads_never_raise_and_stay_bounded(chunks: list[bytes | str]) -> None:
    state: dict[str, Any] = {}
    for chunk in chunks:
        ctx = ViewContext(dir="recv", state=state, subprotocol="v12.stomp")
        stomp.VIEW.render_priority(chunk, ctx)
        stomp.VIEW.decode(chunk, ctx)
    if chunks:
        assert len(state["stomp"]["recv"]["buf"]) <= stomp.MAX_PARTIAL


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_VALID), st.integers(0, 60), st.integers(0, 255), st.integers(1, 50)),
                max_size=8))
def test_mutated_frames_never_raise(mutations: list[tuple[bytes, int, int, int]]) -> None:
    state: dict[str, Any] = {}
    stream = bytearray()
    for base, at, byte, _ in mutations:
        f = bytearray(base)
        f[at % len(f)] = byte
        stream += f
    pos = 0
    for *_, cut in mutations:
        result = stomp.VIEW.decode(bytes(stream[pos:pos + cut]), ViewContext(dir="send", state=state))
        assert result.fields is not None
        pos += cut
    stomp.VIEW.decode(bytes(stream[pos:]), ViewContext(dir="send", state=state))


def test_the_ci_example_of_the_docs(broker_port: int) -> None:
    connect_frame = b"CONNECT\naccept-version:1.2\nhost:localhost\n\n\x00"
    ok = run_wiretool(["ws", "connect", f"ws://127.0.0.1:{broker_port}/stomp", "-s", "v12.stomp", "--no-stdin",
                       "--timeout", "10", "--send-hex", connect_frame.hex(), "--expect", "$.command=CONNECTED"])
    assert ok.exit_code == 0, ok.stderr


def test_the_work_per_message_is_bounded() -> None:
    frame = b"ACK\nid:1\n\n\x00"
    (got,) = _run(("send", frame * 3000))
    assert got["count"] == stomp.MAX_READ and len(got["frames"]) == stomp.MAX_FRAMES
    assert got["complaints"] == [f"more than {stomp.MAX_READ} frames in one message: the rest "
                                 f"({1000 * len(frame)} bytes) is not read"]
    (flood,) = _run(("send", b"SEND\ndestination:/q\n" + b"h:v\n" * 100_000 + b"\n\x00"))
    assert flood["headers"] == {"destination": "/q", "h": "v"} and flood["headers_shown"] == stomp.MAX_HEADERS
    (beats,) = _run(("recv", "\r\n\n" * 100_000))
    assert beats == {"command": "heartbeat", "heartbeats": 200_000}
