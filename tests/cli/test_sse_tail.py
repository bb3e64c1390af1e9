"""``wiretool sse tail`` end to end through the installed entry point, against ``wiretool serve sse``.

The server runs as a real subprocess on a free loopback port; query parameters shape each stream
(``count``, ``drop_every``, ``retry``, ``interval``), so one server serves every test.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator

import pytest
from conftest import WIRETOOL, run_wiretool


@pytest.fixture(scope="module")
def sse_url() -> Iterator[str]:
    proc = subprocess.Popen([WIRETOOL, "serve", "sse", "--port", "0", "--interval", "0.02", "--heartbeat", "0.5"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline()  # type: ignore[union-attr]
    assert line.startswith("listening on http://127.0.0.1:"), line
    yield line.split()[-1]
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 0


def _records(result, kind: str) -> list[dict]:
    return [r for r in result.json_lines() if r["type"] == kind]


def test_sse_tail_reconnects_after_drop_with_last_event_id_and_honours_retry(sse_url: str) -> None:
    r = run_wiretool(["sse", "tail", f"{sse_url}events?count=5&drop_every=2&retry=50", "--json"])
    assert r.exit_code == 0, r.stderr
    events = _records(r, "event")
    assert [e["id"] for e in events] == ["1", "2", "3", "4", "5"]
    assert [json.loads(e["data"])["n"] for e in events] == [1, 2, 3, 4, 5]
    assert all(e["retry"] == 50 and e["event"] == "message" and e["dir"] == "recv" for e in events)
    connects = _records(r, "connect")
    assert [c["attempt"] for c in connects] == [1, 2, 3, 4]
    assert [c["last_event_id"] for c in connects] == [None, "2", "4", "5"]
    assert [c["waited"] for c in connects] == [0.0, 0.05, 0.05, 0.05]   # the server's retry, not 3 s
    assert connects[-1]["status"] == 204                                  # 204 stops reconnection
    summary = r.json_lines()[-1]
    assert summary["type"] == "summary" and summary["exit_code"] == 0 and summary["last_event_id"] == "5"


def test_sse_tail_reconnect_delay_used_without_server_retry(sse_url: str) -> None:
    r = run_wiretool(["sse", "tail", f"{sse_url}events?count=2&drop_every=1", "--json", "--reconnect-delay", "0.07"])
    assert r.exit_code == 0, r.stderr
    assert [c["waited"] for c in _records(r, "connect")] == [0.0, 0.07, 0.07]


def test_sse_tail_no_reconnect_stream_end_exits_0(sse_url: str) -> None:
    r = run_wiretool(["sse", "tail", f"{sse_url}events?count=9&drop_every=3", "--json", "--no-reconnect"])
    assert r.exit_code == 0, r.stderr
    assert [e["id"] for e in _records(r, "event")] == ["1", "2", "3"]
    assert len(_records(r, "connect")) == 1


def test_sse_tail_max_reconnects_stops(sse_url: str) -> None:
    r = run_wiretool(["sse", "tail", f"{sse_url}events?count=9&drop_every=2&retry=10", "--json",
                      "--max-reconnects", "1"])
    assert r.exit_code == 0, r.stderr
    assert [e["id"] for e in _records(r, "event")] == ["1", "2", "3", "4"]


def test_sse_tail_404_exits_4_with_status_headers_and_body(sse_url: str) -> None:
    r = run_wiretool(["sse", "tail", f"{sse_url}status/404"])
    assert r.exit_code == 4
    assert "404 Not Found" in r.stdout
    assert "content-type: text/plain" in r.stdout
    assert "status 404 as asked" in r.stderr


def test_sse_tail_wrong_content_type_exits_4_json(sse_url: str) -> None:
    r = run_wiretool(["sse", "tail", f"{sse_url}text", "--json"])
    assert r.exit_code == 4
    connect = _records(r, "connect")[0]
    assert connect["status"] == 200 and connect["content_type"].startswith("text/plain")
    assert ["content-type", "text/plain; charset=utf-8"] in connect["headers"]
    error = _records(r, "error")[0]
    assert error["exit_code"] == 4 and "not an event stream" in error["message"]


def test_sse_tail_http2_prior_knowledge_shows_stream_id(sse_url: str) -> None:
    r = run_wiretool(["sse", "tail", f"{sse_url}events?count=3&drop_every=2&retry=10", "--http2", "--json"])
    assert r.exit_code == 0, r.stderr
    connects = _records(r, "connect")
    assert all(c["http_version"] == "HTTP/2" for c in connects)
    assert [c["stream_id"] for c in connects] == [1, 3, 5]     # one connection, a new stream per attempt
    assert [e["id"] for e in _records(r, "event")] == ["1", "2", "3"]


def test_sse_tail_post_streaming_llm(sse_url: str) -> None:
    r = run_wiretool(["sse", "tail", f"{sse_url}v1/chat/completions", "-d", '{"model": "m1"}', "--json"])
    assert r.exit_code == 0, r.stderr
    events = _records(r, "event")
    assert events[-1]["data"] == "[DONE]"
    words = [json.loads(e["data"])["choices"][0]["delta"].get("content", "") for e in events[:-1]]
    assert "".join(words).startswith("Server-Sent Events keep one HTTP response open")
    assert json.loads(events[0]["data"])["model"] == "m1"
    assert _records(r, "connect")[0]["method"] == "POST"
    assert len(_records(r, "connect")) == 1        # POST streams do not reconnect by default


def test_sse_tail_post_body_from_stdin(sse_url: str) -> None:
    r = run_wiretool(["sse", "tail", f"{sse_url}v1/chat/completions", "-d", "-", "--json", "--max-events", "1"],
                     input='{"model": "from-stdin"}')
    assert r.exit_code == 0, r.stderr
    assert json.loads(_records(r, "event")[0]["data"])["model"] == "from-stdin"


def test_sse_tail_max_events_exits_0(sse_url: str) -> None:
    r = run_wiretool(["sse", "tail", f"{sse_url}events", "--max-events", "3", "--json"])
    assert r.exit_code == 0, r.stderr
    assert len(_records(r, "event")) == 3
    assert r.json_lines()[-1]["shown"] == 3


def test_sse_tail_idle_timeout_exits_6(sse_url: str) -> None:
    r = run_wiretool(["sse", "tail", f"{sse_url}silent", "--idle-timeout", "0.5", "--json"])
    assert r.exit_code == 6
    assert "--idle-timeout" in _records(r, "error")[0]["message"]


def test_sse_tail_timeout_exits_6(sse_url: str) -> None:
    r = run_wiretool(["sse", "tail", f"{sse_url}events?interval=0.2", "--timeout", "0.5"])
    assert r.exit_code == 6
    assert "--timeout" in r.stderr


def test_sse_tail_expect_met_and_not_met(sse_url: str) -> None:
    ok = run_wiretool(["sse", "tail", f"{sse_url}events", "--expect", '"n": 3\\b', "--json"])
    assert ok.exit_code == 0, ok.stderr
    assert _records(ok, "event")[-1]["id"] == "3"
    missed = run_wiretool(["sse", "tail", f"{sse_url}events?count=2", "--no-reconnect", "--expect", "tick 9"])
    assert missed.exit_code == 7
    assert "not met" in missed.stderr


def test_sse_tail_refused_connection_exits_3() -> None:
    from conftest import free_port

    r = run_wiretool(["sse", "tail", f"http://127.0.0.1:{free_port()}/events"])
    assert r.exit_code == 3
    assert "cannot connect" in r.stderr


def test_sse_tail_hostile_endless_line_exits_5(sse_url: str) -> None:
    r = run_wiretool(["sse", "tail", f"{sse_url}endless-line", "--max-line", "200000", "--json"])
    assert r.exit_code == 5
    assert "line longer than 200000" in _records(r, "error")[0]["message"]


def test_sse_tail_event_filter_and_timestamps(sse_url: str) -> None:
    r = run_wiretool(["sse", "tail", f"{sse_url}events?types=a,b,c", "--event", "b", "--max-events", "2",
                      "--json", "--timestamps"])
    assert r.exit_code == 0, r.stderr
    events = _records(r, "event")
    assert [(e["event"], e["id"]) for e in events] == [("b", "2"), ("b", "5")]
    assert all(e["ts"].endswith("+00:00") for e in events)


def test_sse_tail_raw_piped_is_verbatim(sse_url: str) -> None:
    r = run_wiretool(["sse", "tail", f"{sse_url}events?count=2&retry=7", "--raw", "--no-reconnect"])
    assert r.exit_code == 0, r.stderr
    assert r.stdout == ('retry: 7\n\nid: 1\ndata: {"n": 1, "text": "tick 1"}\n\n'
                        'id: 2\ndata: {"n": 2, "text": "tick 2"}\n\n')
    assert "summary exit=0" in r.stderr


def test_sse_tail_pretty_view_shows_events_reconnects_and_comments(sse_url: str) -> None:
    r = run_wiretool(["sse", "tail", f"{sse_url}events?count=3&drop_every=2&retry=10&heartbeat=0.01&interval=0.05"])
    assert r.exit_code == 0, r.stderr
    assert "HTTP/1.1 200 OK" in r.stdout
    assert 'message  id=3  {"n": 3, "text": "tick 3"}' in r.stdout
    assert "reconnecting in 0.010 s with Last-Event-ID: 2" in r.stdout
    assert ": heartbeat" in r.stdout


def test_sse_tail_bad_options_exit_2() -> None:
    assert run_wiretool(["sse", "tail", "ftp://x/"]).exit_code == 2
    assert run_wiretool(["sse", "tail", "http://x/", "--expect", "("]).exit_code == 2
    assert run_wiretool(["sse", "tail", "http://x/", "--http1", "--http2"]).exit_code == 2


def test_sse_demo_part_runs_with_a_reconnection() -> None:
    r = run_wiretool(["demo", "--only", "sse", "--json"])
    assert r.exit_code == 0, r.stderr
    connects = [x for x in r.json_lines() if x["type"] == "connect"]
    assert [c["last_event_id"] for c in connects] == [None, "2", "4", "5"]


def test_sse_tail_closed_pipe_ends_quietly(sse_url: str) -> None:
    proc = subprocess.Popen([WIRETOOL, "sse", "tail", f"{sse_url}events", "--json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert json.loads(proc.stdout.readline())["type"] == "connect"  # type: ignore[union-attr]
    proc.stdout.close()  # type: ignore[union-attr]
    assert proc.wait(30) == 0
    assert proc.stderr.read() == b""  # type: ignore[union-attr]


def test_sse_tail_raw_json_gives_chunk_records(sse_url: str) -> None:
    r = run_wiretool(["sse", "tail", f"{sse_url}events?count=1", "--raw", "--json", "--no-reconnect"])
    assert r.exit_code == 0, r.stderr
    chunks = _records(r, "chunk")
    body = b"".join(bytes.fromhex(c["hex"]) for c in chunks)
    assert body == b'id: 1\ndata: {"n": 1, "text": "tick 1"}\n\n'
    assert _records(r, "event") == []


def test_sse_tail_hostile_server_default_limit_stops_with_bounded_memory(sse_url: str) -> None:
    import resource

    r = run_wiretool(["sse", "tail", f"{sse_url}endless-line"])
    assert r.exit_code == 5
    assert "line longer than 1048576 characters" in r.stderr and "--max-line" in r.stderr
    # The largest child so far (this run included) stayed small: the endless line was never buffered whole.
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < 400_000  # KiB
