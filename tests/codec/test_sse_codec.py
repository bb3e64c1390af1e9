"""SseCodec: the session contract's codec for event streams gives the parser's items as records, stamped with t."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from wiretool.codec.sse import Comment, Event, SseCodec, parse_all
from wiretool.records.sse import SseComment, SseEvent

BODY = b"\xef\xbb\xbfretry: 250\r\nid: 1\r\ndata: a\r\n\r\n: ping\n\nevent: x\ndata: b\ndata: c\n\nid: 2\rdata: d\r\rdata: partial"


def _as_items(records: list) -> list:
    out = []
    for r in records:
        if type(r) is SseEvent:
            out.append(Event(r.event, r.data, r.id, r.retry))
        else:
            assert type(r) is SseComment
            out.append(Comment(r.text))
    return out


@given(st.lists(st.integers(min_value=1, max_value=len(BODY)), max_size=12))
def test_any_chunking_gives_the_parsers_items_as_records(cuts: list[int]) -> None:
    codec = SseCodec()
    bounds = [0, *sorted(cuts), len(BODY)]
    records = []
    for n, (a, b) in enumerate(pairwise(bounds)):
        records += codec.feed(BODY[a:b], float(n))
    records += codec.finish(99.0)
    assert _as_items(records) == parse_all(BODY)
    assert codec.last_event_id == "2" and codec.retry == 250
    assert all(r.t < 99.0 for r in records)


def test_a_broken_limit_is_not_a_record_and_ends_the_input() -> None:
    codec = SseCodec(max_line=32)
    records = codec.feed(b"data: ok\n\n" + b"data: " + b"x" * 64 + b"\n\ndata: later\n\n", 1.0)
    assert [r.data for r in records] == ["ok"]
    assert codec.exceeded is not None and codec.exceeded.what == "line"
    assert codec.feed(b"data: more\n\n", 2.0) == []


def test_records_carry_the_wall_clock_stamp_when_given() -> None:
    (event, comment) = SseCodec().feed(b"data: a\n\n: c\n", 0.5, "2026-12-01T16:00:00.000+00:00")
    assert event.ts == comment.ts == "2026-12-01T16:00:00.000+00:00" and event.t == 0.5


def test_event_records_equal_the_keyword_init() -> None:
    """The codec's ``SseEvent`` (hot path) is the record ``SseEvent(...)`` makes from the same fields."""
    from wiretool.codec.sse import SseCodec
    from wiretool.records.sse import SseEvent

    got = SseCodec().feed(b"id: 7\nevent: tick\nretry: 30\ndata: a\ndata: b\n\n", 2.5, "2026-01-01T00:00:00.000+00:00")
    assert got == [SseEvent(t=2.5, event="tick", data="a\nb", id="7", retry=30, ts="2026-01-01T00:00:00.000+00:00")]
