"""Picking a view per connection: ``--view``, the negotiated subprotocol, the URL, the first packets; one
context (and state) per connection; the view on the records; the ``--expect`` field form."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from conftest import ServeProcess, run_cli, run_wiretool

from wiretool import views
from wiretool.errors import UsageError
from wiretool.exitcodes import ExitCode
from wiretool.records.viewed import Viewed
from wiretool.records.ws import WsFrame, WsMessage
from wiretool.records.ws_session import WsHandshake
from wiretool.run import field_expect
from wiretool.run.viewing import Viewing
from wiretool.views import ViewContext, ViewResult
from wiretool.views.picker import ConnectionViews

EIO_URL = "ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket"
OPEN = '0{"sid":"s","upgrades":[],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}'


@dataclass
class _Counting:
    """A subprotocol view that counts the messages it saw in its state."""

    name: str = "counting"
    subprotocols: tuple[str, ...] = ("count.v1",)

    def render_priority(self, payload: views.Payload, context: ViewContext) -> float:
        return 0.0

    def decode(self, payload: views.Payload, context: ViewContext) -> ViewResult:
        seen = context.state.setdefault("counting", 0) + 1
        context.state["counting"] = seen
        return ViewResult(self.name, ((f"#{seen}", ""),), fields={"n": seen, "dir": context.dir})


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> _Counting:
    view = _Counting()
    monkeypatch.setattr(views, "VIEWS", [view, *views.VIEWS])
    return view


def test_the_negotiated_subprotocol_picks_its_view_for_the_whole_connection(counting: _Counting) -> None:
    conn = ConnectionViews()
    assert conn.view("plain", dir="recv", t=0).__class__ is type(None)  # nothing fits: raw, no view
    conn.set_subprotocol("COUNT.v1")  # case-insensitive
    assert [conn.view(p, dir="recv", t=1).fields["n"] for p in ("a", '{"x":1}', "b")] == [1, 2, 3]


def test_forced_view_wins_over_the_subprotocol(counting: _Counting) -> None:
    conn = ConnectionViews(subprotocol="count.v1", forced=views.by_name("json"))
    decoded = conn.view('{"a":1}', dir="recv", t=0)
    assert decoded is not None and decoded.name == "json"
    conn.set_subprotocol("count.v1")
    assert conn.view('{"a":1}', dir="recv", t=0).name == "json"


def test_the_url_picks_socketio_and_the_open_packet_does_without_it() -> None:
    by_url = ConnectionViews(url=EIO_URL)
    assert by_url.view("2", dir="recv", t=0).name == "socketio"
    by_packet = ConnectionViews(url="ws://127.0.0.1/ws")
    assert by_packet.view("2", dir="recv", t=0) is None  # a bare "2" is no hint
    assert by_packet.view(OPEN, dir="recv", t=0).name == "socketio"
    assert by_packet.view("2", dir="recv", t=1).fields["type"] == "ping"  # sticky from then on


def test_json_is_picked_message_by_message_and_gives_no_fields() -> None:
    conn = ConnectionViews()
    decoded = conn.view('{"a": [1, 2]}', dir="recv", t=0)
    assert decoded.name == "json" and decoded.fields is None and not decoded.in_json
    assert decoded.result.text == '{"a": [1, 2]}'
    assert conn.view("not json", dir="recv", t=0) is None


def test_each_connection_has_its_own_state(counting: _Counting) -> None:
    viewing = Viewing(forced=counting)
    a, b = viewing.connection(1), viewing.connection(2)
    a.view("x", dir="recv", t=0)
    a.view("x", dir="recv", t=0)
    assert b.view("x", dir="recv", t=0).fields["n"] == 1


def test_a_single_frame_and_its_message_record_are_decoded_once(counting: _Counting) -> None:
    viewing = Viewing(forced=counting)
    frame = viewing(WsFrame(t=0.5, dir="recv", offset=0, head=b"\x81\x02", payload=b"hi"))
    message = viewing(WsMessage(t=0.5, dir="recv", opcode=1, payload=b"hi"))
    assert isinstance(frame, Viewed) and isinstance(message, Viewed)
    assert frame.view.fields == message.view.fields == {"n": 1, "dir": "recv"}
    assert message.to_json()["view"] == {"name": "counting", "fields": {"n": 1, "dir": "recv"}}
    assert message.to_json()["text"] == "hi" and message.proto == "ws" and message.type == "message"


def test_control_fragments_and_broken_frames_are_not_viewed(counting: _Counting) -> None:
    viewing = Viewing(forced=counting)
    for frame in (WsFrame(dir="recv", head=b"\x89\x00"), WsFrame(dir="recv", head=b"\x01\x01", payload=b"a"),
                  WsFrame(dir="recv", head=b"\x81\x05", payload=b"ab", missing=3),
                  WsFrame(dir="recv", head=b"\xc1\x01", payload=b"x")):
        assert viewing(frame) is frame


def test_the_handshake_answer_gives_the_subprotocol(counting: _Counting) -> None:
    viewing = Viewing()
    viewing(WsHandshake(t=0, dir="recv", status=101, subprotocol="count.v1"))
    assert viewing(WsMessage(t=0, dir="recv", opcode=1, payload=b"zzz")).view.fields["n"] == 1


def test_a_complaint_is_in_the_record_with_the_view_name() -> None:
    decoded = ConnectionViews(url=EIO_URL).view("9oops", dir="recv", t=0)
    assert decoded.name == "socketio" and decoded.in_json
    assert decoded.json() == {"name": "socketio", "fields": None,
                              "error": "socketio: not an Engine.IO v4 packet: type '9' is not 0-6"}


@pytest.mark.parametrize("expr, document, hit", [
    ("$.type=next", {"type": "next"}, True),
    ("$.type=next", {"type": "nextx"}, False),
    ("$.args[0].user=ann", {"args": [{"user": "ann"}]}, True),
    ("$.args.0.user=ann", {"args": [{"user": "ann"}]}, True),
    ("$.id=3", {"id": 3}, True),
    ("$.ok=true", {"ok": True}, True),
    ("$.event~^chat", {"event": "chat message"}, True),
    ("$.missing", {"a": 1}, False),
    ("$.a", {"a": None}, True),
    ("$[1]=b", ["a", "b"], True),
    ("$.a.b", {"a": "str"}, False),
])
def test_the_field_form(expr: str, document: object, hit: bool) -> None:
    assert field_expect.parse(expr).matches(document) is hit


@pytest.mark.parametrize("expr", ["$.a[x]=1", "$..a", "$.a~(", "$.[0]"])
def test_a_bad_field_form_is_a_usage_error(expr: str) -> None:
    with pytest.raises(UsageError):
        field_expect.parse(expr)


def test_views_lists_the_registry() -> None:
    result = run_cli(["views"])
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == [v.name for v in views.VIEWS]
    rows = run_cli(["views", "--json"]).json_lines()
    socketio = next(r for r in rows if r["name"] == "socketio")
    assert socketio["sticky"] is True and "Socket.IO" in socketio["summary"]


@pytest.mark.parametrize("args, message", [
    (["--view", "nope"], "--view 'nope': no such view"),
    (["--expect", "$.a[x]=1"], "a field path is $ then .key or [index] steps"),
    (["--socketio-emit", "ev", "{bad"], "is not JSON"),
])
def test_bad_view_options_are_usage_errors(args: list[str], message: str) -> None:
    result = run_cli(["ws", "connect", "ws://127.0.0.1:9/", *args, "--no-stdin"])
    assert result.exit_code == ExitCode.USAGE and message in result.stderr
    assert "Traceback" not in result.stderr


def test_json_messages_get_pretty_printed_and_expect_reads_them() -> None:
    ws = ServeProcess("ws")
    try:
        result = run_wiretool(["ws", "connect", ws.url, "--send", '{"type":"next","id":"1","payload":{"n":1}}',
                               "--expect", "$.payload.n=1", "--timeout", "10", "--no-stdin"])
        as_json = run_wiretool(["ws", "connect", ws.url, "--send", '{"a":1}', "--count", "1", "--json",
                                "--no-stdin"])
    finally:
        ws.stop()
    assert result.exit_code == 0, result.stderr
    assert '│ {"type": "next", "id": "1", "payload": {"n": 1}}' in result.stdout
    assert as_json.exit_code == 0 and not any("view" in r for r in as_json.json_lines())  # pretty-printing only


def test_what_a_peer_names_reaches_the_terminal_escaped() -> None:
    conn = ConnectionViews(url=EIO_URL)
    escaped = conn.view('42["\\u001b]0;pwned\\u0007red",{"k":"\\u202e"}]', dir="recv", t=0)
    assert escaped.fields["event"] == "\x1b]0;pwned\x07red"  # the NDJSON keeps it exact (JSON-escaped)
    raw = conn.view('42["\x1b]0;pwned\x07\x1b[31mred"]', dir="recv", t=0)  # not JSON: the complaint, raw
    assert raw.result.error is not None
    for decoded in (escaped, raw):
        text = "\n".join(line for line, _ in decoded.result.lines)
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text


def test_connection_state_is_forgotten_past_the_bound() -> None:
    from wiretool.run import viewing as viewing_module

    viewing = Viewing(url=EIO_URL)
    for conn in range(viewing_module.MAX_CONNECTIONS + 10):
        viewing.connection(conn).view("2", dir="recv", t=0)
    assert len(viewing._conns) <= viewing_module.MAX_CONNECTIONS


def test_a_record_without_its_own_conn_is_viewed_in_the_connection_it_is_given(counting: _Counting) -> None:
    """A capture's records come as (conn, record) pairs: the subprotocol one connection negotiated must not
    pick a view for another (``frame decode --capture`` of a proxy capture)."""
    viewing = Viewing()
    viewing(WsHandshake(t=0, dir="recv", status=101, subprotocol="count.v1"), 1)
    assert viewing(WsMessage(t=0, dir="recv", opcode=1, payload=b"zzz"), 2) is not None
    assert not isinstance(viewing(WsMessage(t=0, dir="recv", opcode=1, payload=b"zzz"), 2), Viewed)
    assert viewing(WsMessage(t=0, dir="recv", opcode=1, payload=b"zzz"), 1).view.fields["n"] == 1
