"""The views beyond ``ws connect``: ``sse tail`` (the field form of ``--expect`` on JSON data, ``--view``),
``frame decode --capture`` and ``replay`` of a recorded Socket.IO session (npm socket.io server on loopback)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ServeProcess, run_wiretool
from servers import npm_socketio

from wiretool.exitcodes import ExitCode


@pytest.fixture(scope="module")
def llm():  # type: ignore[no-untyped-def]
    server = ServeProcess("sse", "--mode", "llm", "--interval", "0")
    try:
        yield server.url + "/v1/chat/completions"
    finally:
        server.stop()


def test_sse_expect_reads_a_field_of_the_json_data(llm: str) -> None:
    met = run_wiretool(["sse", "tail", llm, "-d", "{}", "--expect", "$.choices[0].delta.content~.", "--json"])
    assert met.exit_code == 0, met.stderr
    events = [r for r in met.json_lines() if r["type"] == "event"]
    assert len(events) == 1 and "view" not in events[0]  # JSON is pretty-printed, nothing added to the record
    unmet = run_wiretool(["sse", "tail", llm, "-d", "{}", "--expect", "$.nope", "--timeout", "10"])
    assert unmet.exit_code == ExitCode.EXPECTATION and "--expect '$.nope' not met" in unmet.stderr


def test_sse_view_raw_shows_the_data_as_sent(llm: str) -> None:
    pretty = run_wiretool(["sse", "tail", llm, "-d", "{}", "--max-events", "1"])
    raw = run_wiretool(["sse", "tail", llm, "-d", "{}", "--max-events", "1", "--view", "raw"])
    assert pretty.exit_code == raw.exit_code == 0
    assert '"content": "Server-Sent"' in pretty.stdout and '"delta": {"content"' not in pretty.stdout
    assert '"delta": {"content": "Server-Sent"}' in raw.stdout  # one line, as the server wrote it
    bad = run_wiretool(["sse", "tail", llm, "--view", "nope"])
    assert bad.exit_code == ExitCode.USAGE and "no such view" in bad.stderr


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    path = tmp_path_factory.mktemp("sio") / "sio.wtcap"
    with npm_socketio() as port:
        url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
        result = run_wiretool(["ws", "connect", url, "--socketio-emit", "chat message", '"hi"', "--record",
                               str(path), "--expect", "$.ack_of=chat message", "--timeout", "10", "--no-stdin"])
        assert result.exit_code == 0, result.stderr
        yield path, url


def test_a_capture_decodes_with_its_views(recording: tuple[Path, str]) -> None:
    path, _ = recording
    decoded = run_wiretool(["frame", "decode", "--capture", str(path), "--json"])
    assert decoded.exit_code == 0, decoded.stderr
    acks = [r["view"]["fields"] for r in decoded.json_lines() if r.get("view", {}).get("fields", {}).get("packet")
            == "ACK"]
    assert acks and all(a["ack_of"] == "chat message" for a in acks)  # the frame and its message: matched once each
    off = run_wiretool(["frame", "decode", "--capture", str(path), "--json", "--view", "raw"])
    assert not any("view" in r for r in off.json_lines())
    engine = run_wiretool(["frame", "decode", "--capture", str(path), "--json", "--view", "engineio"])
    names = {r["view"]["name"] for r in engine.json_lines() if "view" in r}
    assert names == {"engineio"}


def test_a_replay_shows_the_views(recording: tuple[Path, str]) -> None:
    path, _ = recording
    with npm_socketio() as port:
        url = f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket"
        result = run_wiretool(["replay", str(path), url, "--json"])
    assert result.exit_code == 0, result.stderr
    packets = [r["view"]["fields"].get("packet") for r in result.json_lines() if "view" in r]
    assert "EVENT" in packets and "ACK" in packets
