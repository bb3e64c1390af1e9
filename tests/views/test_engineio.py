"""The Engine.IO v4 and Socket.IO v5 views on their own: every packet type, the ping interval check, acks,
attachments, namespaces, and complaints about packets that do not parse."""

from __future__ import annotations

import pytest

from wiretool import views
from wiretool.views.picker import ConnectionViews

OPEN = '0{"sid":"s1","upgrades":[],"pingInterval":1000,"pingTimeout":500,"maxPayload":100}'


def _engineio() -> ConnectionViews:
    return ConnectionViews(forced=views.by_name("engineio"))


@pytest.mark.parametrize("packet, kind", [("1", "close"), ("2", "ping"), ("3", "pong"), ("4hi", "message"),
                                          ("5", "upgrade"), ("6", "noop"), ("2probe", "ping")])
def test_every_packet_type(packet: str, kind: str) -> None:
    assert _engineio().view(packet, dir="recv", t=0).fields["type"] == kind


def test_the_open_packet_settings_and_a_binary_message() -> None:
    conn = _engineio()
    fields = conn.view(OPEN, dir="recv", t=0).fields
    assert fields == {"type": "open", "sid": "s1", "upgrades": [], "pingInterval": 1000, "pingTimeout": 500,
                      "maxPayload": 100}
    assert conn.view(b"\xff\x00", dir="recv", t=0).fields == {"type": "message", "binary": True, "length": 2}


def test_pings_are_timed_against_the_interval_and_a_late_one_is_flagged() -> None:
    conn = _engineio()
    conn.view(OPEN, dir="recv", t=10.0)
    on_time = conn.view("2", dir="recv", t=11.0).fields
    assert (on_time["gap_ms"], on_time["ping_interval_ms"], on_time["late"]) == (1000, 1000, False)
    assert "gap_ms" not in conn.view("2", dir="send", t=11.5).fields  # our own pings are not the server's
    late = conn.view("2", dir="recv", t=12.6)
    assert late.fields["late"] is True and late.fields["gap_ms"] == 1600
    assert any("LATE" in line for line, _ in late.result.lines)


@pytest.mark.parametrize("packet, complaint", [
    ("", "empty Engine.IO packet"), ("7", "type '7' is not 0-6"), ("0{", "open packet: its data is not JSON"),
    ("0[1]", "not a JSON object"),
])
def test_broken_engineio_packets_are_complained_about(packet: str, complaint: str) -> None:
    decoded = _engineio().view(packet, dir="recv", t=0)
    assert decoded.result.error is not None and complaint in decoded.result.error
    assert decoded.result.lines[-1] == (packet, "") or packet == ""  # then the payload, raw


def test_socketio_packets_namespaces_and_acks() -> None:
    conn = ConnectionViews(forced=views.by_name("socketio"))
    assert conn.view("40/chat,", dir="send", t=0).fields == {"type": "message", "packet": "CONNECT",
                                                              "namespace": "/chat"}
    event = conn.view('42/chat,12["join",{"room":1}]', dir="send", t=1.0).fields
    assert (event["namespace"], event["id"], event["event"], event["args"]) == ("/chat", 12, "join", [{"room": 1}])
    assert "ack_of" not in conn.view('43/chat,12["ok"]', dir="send", t=1.1).fields  # same side: no answer
    ack = conn.view('43/chat,12["ok"]', dir="recv", t=1.5).fields
    assert (ack["ack_of"], ack["rtt_ms"]) == ("join", 500.0)
    assert "ack_of" not in conn.view('43/chat,12["again"]', dir="recv", t=2).fields  # matched once
    error = conn.view('44/chat,{"message":"not authorized"}', dir="recv", t=3).fields
    assert error["packet"] == "CONNECT_ERROR" and error["data"] == {"message": "not authorized"}
    assert conn.view("41/chat,", dir="recv", t=4).fields["packet"] == "DISCONNECT"


def test_binary_ack_joins_its_attachments_and_too_many_are_not_awaited() -> None:
    conn = ConnectionViews(forced=views.by_name("socketio"))
    conn.view('422["get"]', dir="send", t=0)
    waiting = conn.view('462-2[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]', dir="recv", t=1)
    assert waiting.fields["attachments"] == 2 and "ack_of" not in waiting.fields
    first = conn.view(b"\x01", dir="recv", t=1).fields
    assert (first["packet"], first["num"]) == ("ATTACHMENT", 0)
    joined = conn.view(b"\x02\x03", dir="recv", t=1.25).fields
    assert joined["args"][1] == {"binary": {"length": 2, "hex": "0203", "truncated": False}}
    assert joined["ack_of"] == "get"
    many = conn.view('4599999-["x",1]', dir="recv", t=2).fields
    assert "not joined" in many["complaint"]


@pytest.mark.parametrize("packet, complaint", [
    ("4z", "type 'z' is not 0-6"), ("42", "no data"), ('42{"a":1}', "not an array starting with the event name"),
    ("43{}", "not an array of arguments"), ('45["x"]', "no attachment count"), ("42[oops", "not JSON"),
])
def test_broken_socketio_packets_are_shown_raw_with_the_complaint(packet: str, complaint: str) -> None:
    result = views.render(packet, view=views.by_name("socketio"))
    assert result.view == "raw" and complaint in (result.error or "") and result.lines[-1] == (packet, "")
