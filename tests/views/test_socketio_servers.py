"""Socket.IO through ``wiretool ws connect`` against real servers on loopback: the npm ``socket.io`` server and
python-socketio (PyPI) under hypercorn, each started here. The view is picked from the URL; the Engine.IO v4
handshake, events, acks matched to their events, binary attachments and the ping interval are shown."""

from __future__ import annotations

import pytest
from conftest import run_wiretool
from servers import npm_socketio, python_server

from wiretool.exitcodes import ExitCode


def _url(port: int) -> str:
    return f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"


def _views(records: list[dict]) -> list[tuple[str, dict]]:
    return [(r["dir"], r["view"]["fields"]) for r in records if r["type"] in ("message", "frame") and "view" in r]


@pytest.fixture(scope="module")
def npm_server():  # type: ignore[no-untyped-def]
    with npm_socketio(ping_ms=300) as port:
        yield port


@pytest.fixture(scope="module")
def py_server():  # type: ignore[no-untyped-def]
    with python_server("pysio") as port:
        yield port


@pytest.mark.parametrize("server", ["npm_server", "py_server"])
def test_emit_is_acked_and_the_ack_is_matched_to_its_event(server: str, request: pytest.FixtureRequest) -> None:
    port = request.getfixturevalue(server)
    result = run_wiretool(["ws", "connect", _url(port), "--socketio-emit", "chat message", '"hi"', "--json",
                           "--expect", "$.ack_of=chat message", "--expect", "$.event=chat message",
                           "--timeout", "10", "--no-stdin"])
    assert result.exit_code == 0, result.stderr
    seen = _views(result.json_lines())
    assert seen[0][0] == "recv" and seen[0][1]["type"] == "open" and "pingInterval" in seen[0][1]
    assert ("send", {"type": "message", "packet": "CONNECT", "namespace": "/"}) in seen
    event = next(f for d, f in seen if d == "send" and f.get("packet") == "EVENT")
    assert (event["event"], event["args"], event["id"]) == ("chat message", ["hi"], 1)
    ack = next(f for d, f in seen if d == "recv" and f.get("packet") == "ACK")
    assert (ack["args"], ack["ack_of"], ack["id"]) == (["got hi"], "chat message", 1) and ack["rtt_ms"] >= 0
    echoed = [f for d, f in seen if d == "recv" and f.get("event") == "chat message"]
    assert echoed and echoed[0]["args"] == ["hi"] and "id" not in echoed[0]
    message = next(r for r in result.json_lines() if r["type"] == "frame" and r.get("view", {}).get("fields") == ack)
    assert message["payload_text"] == '431["got hi"]'  # the raw payload stays as it is


@pytest.mark.parametrize("server", ["npm_server", "py_server"])
def test_a_namespace_is_connected_and_named(server: str, request: pytest.FixtureRequest) -> None:
    port = request.getfixturevalue(server)
    result = run_wiretool(["ws", "connect", _url(port), "--socketio-emit", "whoami", "[]", "--socketio-namespace",
                           "/admin", "--expect", "$.args[0]=admin", "--json", "--timeout", "10", "--no-stdin",
                           "--show", "messages"])
    assert result.exit_code == 0, result.stderr
    ack = next(f for d, f in _views(result.json_lines()) if f.get("packet") == "ACK")
    assert (ack["namespace"], ack["ack_of"]) == ("/admin", "whoami")


def test_the_ping_interval_from_the_open_packet_is_checked_against_the_pings(npm_server: int) -> None:
    result = run_wiretool(["ws", "connect", _url(npm_server), "--socketio-emit", "chat message", '"x"',
                           "--wait", "1.2", "--json", "--no-stdin"])
    assert result.exit_code == 0, result.stderr
    seen = _views(result.json_lines())
    assert seen[0][1]["pingInterval"] == 300
    pings = [f for d, f in seen if d == "recv" and f["type"] == "ping"]
    assert len(pings) >= 2
    for ping in pings:
        assert ping["ping_interval_ms"] == 300 and ping["late"] is False and 150 <= ping["gap_ms"] <= 2300
    assert sum(1 for d, f in seen if d == "send" and f["type"] == "pong") == len(pings)  # answered, not dropped


def test_binary_attachments_are_joined_into_their_event(npm_server: int) -> None:
    result = run_wiretool(["ws", "connect", _url(npm_server), "--socketio-emit", "upload", '"abc"',
                           "--expect", "$.event=file", "--json", "--timeout", "10", "--no-stdin"])
    assert result.exit_code == 0, result.stderr
    joined = [f for d, f in _views(result.json_lines()) if f.get("event") == "file"]
    assert joined[0]["packet"] == "BINARY_EVENT" and "attached" not in joined[0]  # the announcement
    assert joined[-1]["args"] == [{"binary": {"length": 4, "hex": "deadbeef", "truncated": False}}]


def test_the_terminal_shows_the_tree_under_the_message(npm_server: int) -> None:
    result = run_wiretool(["ws", "connect", _url(npm_server), "--socketio-emit", "chat message", '"hi"',
                           "--expect", "$.ack_of=chat message", "--timeout", "10", "--no-stdin"])
    assert result.exit_code == 0, result.stderr
    assert "▸ socketio" in result.stdout and "engine.io open sid=" in result.stdout
    assert 'socket.io EVENT / id=1 "chat message"' in result.stdout
    assert 'ack of "chat message" after' in result.stdout


def test_an_unmet_field_expectation_is_exit_7(py_server: int) -> None:
    result = run_wiretool(["ws", "connect", _url(py_server), "--socketio-emit", "chat message", '"hi"',
                           "--expect", "$.event=never", "--timeout", "2", "--no-stdin"])
    assert result.exit_code == ExitCode.EXPECTATION
    assert "--expect '$.event=never' not matched" in result.stderr


def test_view_raw_turns_the_views_off(npm_server: int) -> None:
    result = run_wiretool(["ws", "connect", _url(npm_server), "--view", "raw", "--json", "--count", "1",
                           "--timeout", "10", "--no-stdin"])
    assert result.exit_code == 0, result.stderr
    assert not any("view" in r for r in result.json_lines())
