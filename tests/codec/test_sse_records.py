"""SSE records: the NDJSON line Output writes for an event (msgspec) is the documented object, keys in order."""

from __future__ import annotations

import io
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.output.env import Environment
from wiretool.output.sink import Output
from wiretool.records.sse import SseChunk, SseComment, SseConnect, SseEvent

EVENT_KEYS = ["proto", "type", "t", "dir", "event", "data", "id", "retry"]


@settings(deadline=None, max_examples=200)
@given(event=st.text(max_size=20), data=st.text(max_size=60), id_=st.text(max_size=10),
       retry=st.none() | st.integers(0, 10**12), t=st.floats(0, 1e6), ts=st.none() | st.text(max_size=30))
def test_sse_event_ndjson_line_is_the_documented_object(event: str, data: str, id_: str, retry: int | None,
                                                        t: float, ts: str | None) -> None:
    rec = SseEvent(t=t, event=event, data=data, id=id_, retry=retry, ts=ts)
    stream = io.StringIO()
    Output(Environment(stdout=stream, json=True), proto="sse").emit(rec)
    line = stream.getvalue()
    assert line.endswith("\n") and line.count("\n") == 1
    assert json.loads(line) == rec.to_json()
    assert list(json.loads(line)) == EVENT_KEYS + (["ts"] if ts is not None else [])


@settings(deadline=None, max_examples=100)
@given(events=st.lists(st.tuples(st.text(max_size=12), st.text(max_size=40), st.text(max_size=8),
                                 st.none() | st.integers(0, 10**12), st.none() | st.text(max_size=12)),
                       min_size=1, max_size=12))
def test_a_read_of_events_is_written_as_each_ones_documented_object(
        events: list[tuple[str, str, str, int | None, str | None]]) -> None:
    """emit_many (a socket read's run: SseEvent.json_many's Structs) writes the lines emit would, keys in order."""
    records = [SseEvent(t=0.25, event=e, data=d, id=i, retry=r, ts=ts) for e, d, i, r, ts in events]
    stream = io.StringIO()
    Output(Environment(stdout=stream, json=True), proto="sse").emit_many(records)
    lines = [json.loads(x) for x in stream.getvalue().split("\n")[:-1]]
    assert lines == [r.to_json() for r in records]
    assert [list(x) for x in lines] == [list(r.to_json()) for r in records]


def test_an_event_msgspec_refuses_is_still_written() -> None:
    """A lone surrogate (not UTF-8) goes through the stdlib encoder instead of failing the run."""
    stream = io.StringIO()
    out = Output(Environment(stdout=stream, json=True), proto="sse")
    out.emit_many([SseEvent(t=0.5, data="ok"), SseEvent(t=0.5, data="bad \ud800")])
    assert [json.loads(x)["data"] for x in stream.getvalue().splitlines()] == ["ok", "bad \ud800"]


def test_sse_records_have_the_contract_fields() -> None:
    ev = SseEvent(t=1.5, data="x", id="3").to_json()
    assert {k: ev[k] for k in ("proto", "type", "dir", "event", "data", "id", "retry")} == {
        "proto": "sse", "type": "event", "dir": "recv", "event": "message", "data": "x", "id": "3", "retry": None}
    assert SseComment(text="hb").to_json()["text"] == "hb"
    conn = SseConnect(status=200, http_version="HTTP/2", attempt=2, stream_id=3).to_json()
    assert (conn["type"], conn["status"], conn["http_version"], conn["attempt"], conn["stream_id"]) == \
        ("connect", 200, "HTTP/2", 2, 3)
    chunk = SseChunk(raw=b"data: \xff\n").to_json()
    assert chunk["hex"] == "646174613a20ff0a" and chunk["text"] == "data: \ufffd\n" and chunk["length"] == 8
