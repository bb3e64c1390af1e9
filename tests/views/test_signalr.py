"""SignalR's JSON hub protocol: the view alone, and through ``ws connect`` against a hub written for the tests
(tests/views/peer_servers.py: no SignalR server installs from a registry here)."""

from __future__ import annotations

import pytest
from conftest import run_wiretool
from servers import python_server

from wiretool import views
from wiretool.views.picker import ConnectionViews

RS = "\x1e"


def test_the_handshake_picks_the_view_and_completions_name_their_invocation() -> None:
    conn = ConnectionViews(url="ws://127.0.0.1/hub")
    first = conn.view('{"protocol":"json","version":1}' + RS, dir="send", t=0.0)
    assert first is not None and first.name == "signalr" and first.fields["type"] == "handshake_request"
    assert conn.view("{}" + RS, dir="recv", t=0.1).fields == {"type": "handshake_response"}
    call = conn.view('{"type":1,"invocationId":"7","target":"Send","arguments":["a"]}' + RS, dir="send", t=1.0)
    assert call.fields["target"] == "Send"
    done = conn.view('{"type":3,"invocationId":"7","result":1}' + RS + '{"type":6}' + RS, dir="recv", t=1.25)
    completion, ping = done.fields["records"]
    assert (completion["type"], completion["answers"], completion["rtt_ms"]) == ("Completion", "Send", 250.0)
    assert ping == {"type": "Ping"}


@pytest.mark.parametrize("payload, complaint", [
    ('{"type":1}', "not ended by the 0x1E record separator"),
    ("{nope" + RS, "not JSON"),
    ('{"type":42}' + RS, "type 42 is not one of 1-9"),
    ("[1]" + RS, "not a JSON object"),
])
def test_a_broken_record_is_shown_raw_with_the_complaint(payload: str, complaint: str) -> None:
    result = views.render(payload, view=views.by_name("signalr"))
    assert result.view == "raw" and result.error is not None and complaint in result.error
    assert result.lines[0][1] == "yellow" and result.fields is None


def test_pending_invocations_are_bounded() -> None:
    conn = ConnectionViews(forced=views.by_name("signalr"))
    for i in range(5000):
        conn.view(f'{{"type":1,"invocationId":"{i}","target":"T","arguments":[]}}' + RS, dir="send", t=i)
    assert len(conn.context.state["signalr"]["pending"]) <= 1024


@pytest.fixture(scope="module")
def hub():  # type: ignore[no-untyped-def]
    with python_server("signalr") as port:
        yield f"ws://127.0.0.1:{port}/chathub"


def test_a_hub_call_through_ws_connect(hub: str) -> None:
    result = run_wiretool(["ws", "connect", hub, "--send", '{"protocol":"json","version":1}' + RS,
                           "--send", '{"type":1,"invocationId":"1","target":"Send","arguments":["ann","hello"]}' + RS,
                           "--expect", "$.target=ReceiveMessage", "--expect", "$.answers=Send", "--json",
                           "--timeout", "10", "--no-stdin"])
    assert result.exit_code == 0, result.stderr
    fields = [r["view"]["fields"] for r in result.json_lines() if "view" in r]
    sent = [r["view"]["fields"]["type"] for r in result.json_lines() if "view" in r and r.get("dir") == "send"]
    assert sent[:2] == ["handshake_request", "Invocation"]  # the server's answer may come between the two
    assert {"type": "handshake_response"} in fields
    completion = next(f for f in fields if f["type"] == "Completion")
    assert completion["result"] == 5 and completion["answers"] == "Send"


def test_a_hub_error_is_scriptable(hub: str) -> None:
    result = run_wiretool(["ws", "connect", hub, "--send", '{"protocol":"json","version":1}' + RS,
                           "--send", '{"type":1,"invocationId":"2","target":"Nope","arguments":[]}' + RS,
                           "--expect", "$.error~no such", "--timeout", "10", "--no-stdin"])
    assert result.exit_code == 0, result.stderr
    assert "signalr Completion" in result.stdout and 'answers "Nope"' in result.stdout
