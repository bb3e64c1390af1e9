"""``sse tail --record`` / ``h2 get --record`` then ``wiretool replay``, through the installed entry point,
against ``serve sse`` and ``serve h2``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ServeProcess, run_wiretool

from wiretool.capture.file import read_capture

ENV = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}


Server = ServeProcess


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for s in started:
        s.stop()


def start(servers: list[Server], proto: str, *args: str) -> Server:
    s = Server(proto, *args)
    servers.append(s)
    return s


def kinds(lines: list[dict], kind: str) -> list[dict]:
    return [x for x in lines if x["type"] == kind]


# -- SSE -----------------------------------------------------------------------------------------------
def test_sse_record_holds_socket_bytes_and_replays_with_check(tmp_path: Path, servers: list[Server]) -> None:
    sse = start(servers, "sse", "--interval", "0.02")
    cap = tmp_path / "sse.wtcap"
    rec = run_wiretool(["sse", "tail", f"{sse.url}/events", "--max-events", "3", "--record", str(cap), "--json",
                        "--timeout", "20"])
    assert rec.exit_code == 0, rec.stderr
    c = read_capture(cap)
    assert c.proto == "sse" and c.header["method"] == "GET"
    assert c.stream("send").startswith(b"GET /events HTTP/1.1\r\n")
    assert c.stream("recv").startswith(b"HTTP/1.1 200 ")
    decoded = run_wiretool(["frame", "decode", "--capture", str(cap), "--json"]).json_lines()
    assert [e["id"] for e in kinds(decoded, "event")][:3] == ["1", "2", "3"]  # the bytes alone rebuild the events
    assert kinds(decoded, "connect")[0]["status"] == 200
    r = run_wiretool(["replay", str(cap), "--check", "--timeout", "30"])
    assert r.exit_code == 0, r.stdout + r.stderr
    assert "replay check passed" in r.stdout


def test_sse_reconnections_are_replayed_in_order_with_last_event_id(tmp_path: Path, servers: list[Server]) -> None:
    sse = start(servers, "sse", "--interval", "0.02")
    cap = tmp_path / "re.wtcap"
    rec = run_wiretool(["sse", "tail", f"{sse.url}/events?count=3&drop_every=2&retry=50", "--record", str(cap),
                        "--json", "--timeout", "20"])
    assert rec.exit_code == 0, rec.stderr
    assert len(kinds(rec.json_lines(), "connect")) == 3  # 2 events, reconnect, 1 event, reconnect: 204
    r = run_wiretool(["replay", str(cap), "--check", "--json", "--timeout", "30"])
    check = kinds(r.json_lines(), "check")[0]
    assert r.exit_code == 0 and check["ok"] and check["compared"] >= 10
    sent = b"".join(ch.data for ch in read_capture(cap).chunks if ch.dir == "send")
    assert b"Last-Event-ID: 2\r\n" in sent


def test_sse_changed_stream_fails_with_exit_7(tmp_path: Path, servers: list[Server]) -> None:
    sse = start(servers, "sse", "--interval", "0.02")
    cap = tmp_path / "sse.wtcap"
    assert run_wiretool(["sse", "tail", f"{sse.url}/events?count=3", "--record", str(cap), "--json",
                         "--no-reconnect", "--timeout", "20"]).exit_code == 0
    r = run_wiretool(["replay", str(cap), f"{sse.url}/events?count=2", "--check", "--timeout", "30"])
    assert r.exit_code == 7
    assert "first difference at answer 5: response 1 event 3" in r.stdout
    assert "+ replayed: response 1 end" in r.stdout


def test_sse_over_http2_round_trip(tmp_path: Path, servers: list[Server]) -> None:
    sse = start(servers, "sse", "--interval", "0.02")
    cap = tmp_path / "h2c.wtcap"
    assert run_wiretool(["sse", "tail", f"{sse.url}/events?count=2", "--http2", "--record", str(cap), "--json",
                         "--no-reconnect", "--timeout", "20"]).exit_code == 0
    assert read_capture(cap).stream("send").startswith(b"PRI * HTTP/2.0")
    decoded = run_wiretool(["frame", "decode", "--capture", str(cap), "--json"]).json_lines()
    assert [e["data"] for e in kinds(decoded, "event")] == ['{"n": 1, "text": "tick 1"}', '{"n": 2, "text": "tick 2"}']
    r = run_wiretool(["replay", str(cap), "--check", "--timeout", "30"])
    assert r.exit_code == 0, r.stdout + r.stderr


def test_sse_secrets_redacted_in_bytes_unless_show_secrets(tmp_path: Path, servers: list[Server]) -> None:
    sse = start(servers, "sse", "--interval", "0.02")
    for name, extra in (("hidden", []), ("shown", ["--show-secrets"])):
        cap = tmp_path / f"{name}.wtcap"
        assert run_wiretool(["sse", "tail", f"{sse.url}/events?count=1", "--no-reconnect", "--record", str(cap),
                             "-H", "Authorization: Bearer sse-s3cret", *extra]).exit_code == 0
    assert b"sse-s3cret" not in read_capture(tmp_path / "hidden.wtcap").stream("send")
    assert b"Authorization: <redacted>" in read_capture(tmp_path / "hidden.wtcap").stream("send")
    assert b"Authorization: Bearer sse-s3cret" in read_capture(tmp_path / "shown.wtcap").stream("send")


# -- HTTP/2 --------------------------------------------------------------------------------------------
def test_h2_record_and_replay_on_one_connection(tmp_path: Path, servers: list[Server]) -> None:
    h2 = start(servers, "h2")
    cap = tmp_path / "h2.wtcap"
    rec = run_wiretool(["h2", "get", f"{h2.url}/", f"{h2.url}/trailers", f"{h2.url}/echo", "-d", '{"b": 2, "a": 1}',
                        "--record", str(cap), "--json"])
    assert rec.exit_code == 0, rec.stderr
    decoded = run_wiretool(["frame", "decode", "--capture", str(cap), "--json"]).json_lines()
    assert {f["stream_id"] for f in kinds(decoded, "frame") if f["frame_type"] == "HEADERS"} == {1, 3, 5}
    r = run_wiretool(["replay", str(cap), "--check", "--json"])
    lines = r.json_lines()
    assert r.exit_code == 0 and kinds(lines, "check")[0]["ok"]
    heads = [f for f in kinds(lines, "frame") if f["dir"] == "send" and f["frame_type"] == "HEADERS"]
    assert [dict(f["headers"])[":path"] for f in heads] == ["/", "/trailers", "/echo"]
    frames = kinds(lines, "frame")
    order = [(f["dir"], f["frame_type"]) for f in frames]
    # concurrently on one connection: every request is out before the first response comes back
    assert max(i for i, o in enumerate(order) if o == ("send", "HEADERS")) < order.index(("recv", "HEADERS"))


def test_h2_changed_body_fails_with_a_diff(tmp_path: Path, servers: list[Server]) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.json").write_text('{"v": 1, "when": "2026-01-01"}')
    (tmp_path / "b" / "x.json").write_text('{"when": "2026-02-02", "v": 2}')
    one = start(servers, "h2", "--dir", str(tmp_path / "a"))
    two = start(servers, "h2", "--dir", str(tmp_path / "b"))
    cap = tmp_path / "x.wtcap"
    assert run_wiretool(["h2", "get", f"{one.url}/x.json", "--record", str(cap)]).exit_code == 0
    r = run_wiretool(["replay", str(cap), two.url, "--check"])
    assert r.exit_code == 7
    assert "response 1 (GET /x.json) body, at $.v" in r.stdout
    assert "  - recorded: 1" in r.stdout and "  + replayed: 2" in r.stdout
    ok = run_wiretool(["replay", str(cap), two.url, "--check", "--ignore-path", "$.v", "--ignore", r"\d{4}-\d\d-\d\d"])
    assert ok.exit_code == 0, ok.stdout


def test_h2_secrets_blanked_in_hpack_bytes_unless_show_secrets(tmp_path: Path, servers: list[Server]) -> None:
    h2 = start(servers, "h2")
    hidden, shown = tmp_path / "hidden.wtcap", tmp_path / "shown.wtcap"
    auth = ["-H", "authorization: Bearer h2-s3cret"]
    assert run_wiretool(["h2", "get", f"{h2.url}/", *auth, "--record", str(hidden)]).exit_code == 0
    assert run_wiretool(["h2", "get", f"{h2.url}/", *auth, "--record", str(shown), "--show-secrets"]).exit_code == 0
    assert b"h2-s3cret" not in hidden.read_bytes()
    frames = kinds(run_wiretool(["frame", "decode", "--capture", str(hidden), "--json", "--show-secrets"]).json_lines(),
                   "frame")
    sent = next(dict(f["headers"]) for f in frames if f["dir"] == "send" and f["frame_type"] == "HEADERS")
    assert set(sent["authorization"]) == {"*"} and sent[":path"] == "/"
    frames = kinds(run_wiretool(["frame", "decode", "--capture", str(shown), "--json", "--show-secrets"]).json_lines(),
                   "frame")
    sent = next(dict(f["headers"]) for f in frames if f["dir"] == "send" and f["frame_type"] == "HEADERS")
    assert sent["authorization"] == "Bearer h2-s3cret"


def test_sse_replay_against_a_silent_stream_ends_on_idle_timeout(tmp_path: Path, servers: list[Server]) -> None:
    sse = start(servers, "sse", "--interval", "0.01")
    cap = tmp_path / "two.wtcap"
    assert run_wiretool(["sse", "tail", f"{sse.url}/events", "--max-events", "2", "--record", str(cap)]).exit_code == 0
    r = run_wiretool(["replay", str(cap), f"{sse.url}/silent", "--idle-timeout", "0.5", "--json"])
    assert r.exit_code == 6 and "nothing received for 0.5 s (--idle-timeout)" in r.stderr
