"""``sse tail``'s goals and show: pure, no server (the end-to-end behaviour is in tests/cli/test_sse_tail*.py)."""

from __future__ import annotations

import io
import re

from wiretool.exitcodes import ExitCode
from wiretool.output.env import Environment
from wiretool.output.sink import Output
from wiretool.records.sse import SseComment, SseConnect, SseEvent
from wiretool.run.sse import SseGoals, sse_show
from wiretool.session import Outcome


def test_max_events_counts_only_the_events_the_filter_shows() -> None:
    goals = SseGoals(types=frozenset({"price"}), max_events=2)
    assert goals.on_record(SseEvent(t=0, event="tick", data="x")) is None
    assert goals.on_record(SseComment(t=0, text="hb")) is None
    assert goals.on_record(SseEvent(t=0, event="price", data="1")) is None
    assert goals.on_record(SseEvent(t=0, event="price", data="2")) == Outcome(ExitCode.OK, "--max-events 2 reached")
    assert goals.shown == 2
    assert SseGoals().on_record(SseEvent(t=0, data="x")) is None


def test_an_expectation_met_is_0_and_one_never_met_turns_an_end_or_a_timeout_into_7() -> None:
    goals = SseGoals(pattern=re.compile("ready"))
    assert goals.on_record(SseEvent(t=0, data="ready now")) == Outcome(ExitCode.OK, "--expect met")
    assert goals.on_end(Outcome(ExitCode.OK, "--expect met")).code == ExitCode.OK
    unmet = SseGoals(pattern=re.compile("ready"))
    assert unmet.on_end(Outcome(ExitCode.OK)) == Outcome(ExitCode.EXPECTATION, "--expect 'ready' not met (stream ended)")
    timeout = unmet.on_timeout(2)
    assert timeout == Outcome(ExitCode.TIMEOUT, "--timeout 2 s reached")
    assert unmet.on_end(timeout) == Outcome(ExitCode.EXPECTATION,
                                            "--expect 'ready' not met (--timeout 2 s reached)")
    assert unmet.on_end(Outcome(ExitCode.REFUSED, "HTTP 404")).code == ExitCode.REFUSED


def test_show_routes_events_and_comments_to_stdout_and_the_rest_to_meta() -> None:
    def output() -> tuple[Output, io.StringIO]:
        stream = io.StringIO()
        return Output(Environment(json=True, color=False, debug=False, stdout=stream, stderr=io.StringIO()),
                      proto="sse"), stream

    (out, stdout), (meta, metaout) = output(), output()
    show = sse_show(out, meta, raw=False, types=frozenset({"a"}))
    for rec in (SseEvent(t=0, event="a", data="1"), SseEvent(t=0, event="b", data="2"), SseComment(t=0, text="c"),
                SseConnect(t=0, status=200)):
        show(rec)
    assert [line.split('"type":"')[1].split('"')[0] for line in stdout.getvalue().splitlines()] == ["event", "comment"]
    assert '"data":"1"' in stdout.getvalue() and '"data":"2"' not in stdout.getvalue()
    assert '"type":"connect"' in metaout.getvalue()


def test_event_lines_from_the_fast_writer_equal_to_json() -> None:
    import json

    stream = io.StringIO()
    out = Output(Environment(json=True, color=False, debug=False, stdout=stream, stderr=io.StringIO()), proto="sse")
    rec = SseEvent(t=0.25, event="é\u2028", data='{"a": "\\u0000\n"}', id="7", retry=300, ts="2026-01-01T00:00:00Z")
    out.emit(rec)
    assert json.loads(stream.getvalue()) == rec.to_json()
