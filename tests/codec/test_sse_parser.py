"""wiretool.codec.sse beyond the corpus: limits, reconnection state, retry parsing, and properties."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.codec.sse import Comment, Event, LimitExceeded, SseParser, parse_all, parse_retry


def test_sse_parse_retry_accepts_only_ascii_digits() -> None:
    assert parse_retry("02000") == 2000
    assert parse_retry("0") == 0
    for bogus in ("", "-5", "+5", "1_000", "\u0661\u0660", "1000x", " 10", "1.5", "²"):
        assert parse_retry(bogus) is None, bogus


def test_sse_last_event_id_persists_across_reset_and_partial_id_is_dropped() -> None:
    p = SseParser()
    p.feed(b"id: 4\ndata: a\n\nid: 9\ndata: partial\n")
    p.end()
    assert p.last_event_id == "4"          # id 9 was never dispatched
    p.reset()
    items = p.feed(b"data: b\n\n")
    assert items == [Event("message", "b", "4", None)]


def test_sse_retry_persists_across_reset_and_shows_on_later_events() -> None:
    p = SseParser()
    p.feed(b"retry: 50\n\n")
    p.end()
    p.reset()
    assert p.feed(b"data: x\n\n") == [Event("message", "x", "", 50)]


def test_sse_reset_allows_a_new_bom_and_drops_pending_cr_state() -> None:
    p = SseParser()
    p.feed(b"data: a\r")
    p.reset()
    assert p.feed(b"\xef\xbb\xbfdata: b\n\n") == [Event("message", "b", "", None)]


def test_sse_initial_last_event_id_is_used() -> None:
    p = SseParser(last_event_id="41")
    assert p.feed(b"data: x\n\n")[0].id == "41"


def test_sse_line_limit_across_chunks_stops_with_limit_item_and_bounded_buffer() -> None:
    p = SseParser(max_line=100)
    out: list = []
    for _ in range(50):
        out += p.feed(b"x" * 10)
    assert isinstance(out[-1], LimitExceeded) and out[-1].what == "line"
    assert p.failed
    assert p.feed(b"\n\ndata: later\n\n") == []     # ignored after failure
    assert sum(map(len, p._pending)) == 0


def test_sse_line_limit_inside_one_chunk_keeps_events_before_it() -> None:
    p = SseParser(max_line=100)
    out = p.feed(b"data: ok\n\n" + b"data: " + b"y" * 200 + b"\n\n")
    assert out[0] == Event("message", "ok", "", None)
    assert isinstance(out[1], LimitExceeded)


def test_sse_event_limit_counts_many_small_lines() -> None:
    p = SseParser(max_line=100, max_event=1000)
    out: list = []
    for _ in range(300):
        out += p.feed(b"data: 0123456789\n")
    assert any(isinstance(i, LimitExceeded) and i.what == "event" for i in out)
    assert "--max-event" in next(i for i in out if isinstance(i, LimitExceeded)).message


def test_sse_event_within_limits_is_not_flagged() -> None:
    body = b"data: " + b"z" * 99_000 + b"\n\n"
    items = parse_all(body, max_line=100_000, max_event=100_000)
    assert len(items) == 1 and isinstance(items[0], Event)


def test_sse_comment_keeps_order_with_events() -> None:
    items = parse_all(b": one\ndata: a\n\n: two\n")
    assert items == [Comment("one"), Event("message", "a", "", None), Comment("two")]


_alphabet = st.sampled_from([b"data", b"event", b"id", b"retry", b":", b" ", b"\n", b"\r", b"\r\n", b"x",
                             b"1", b"\x00", b"\xef\xbb\xbf", b"\xff", b"\xe2\x80\xa8", b"\xc3"])


@settings(deadline=None, max_examples=200)
@given(parts=st.lists(_alphabet, max_size=40), data=st.data())
def test_sse_any_chunking_gives_the_same_items(parts: list[bytes], data: st.DataObject) -> None:
    body = b"".join(parts)
    whole = SseParser()
    expected = whole.feed(body) + whole.end()
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(body) - 1)), max_size=10))) if body else []
    bounds = [0, *cuts, len(body)]
    p = SseParser()
    got = []
    for a, b in itertools.pairwise(bounds):
        if b > a:
            got += p.feed(body[a:b])
    got += p.end()
    assert got == expected
    assert p.last_event_id == whole.last_event_id and p.retry == whole.retry


@settings(deadline=None, max_examples=100)
@given(body=st.binary(max_size=300))
def test_sse_never_raises_on_arbitrary_bytes(body: bytes) -> None:
    p = SseParser(max_line=64, max_event=128)
    for i in range(0, len(body), 7):
        for item in p.feed(body[i:i + 7]):
            assert isinstance(item, (Event, Comment, LimitExceeded))
    p.end()


def test_sse_parse_retry_caps_long_runs_of_digits() -> None:
    from wiretool.codec.sse import MAX_RETRY_MS

    assert parse_retry("9" * 400) == MAX_RETRY_MS and parse_retry("1" * 5000) == MAX_RETRY_MS
    assert parse_retry("0" * 5000 + "42") == 42 and parse_retry("0" * 5000) == 0
    assert parse_retry("999999999999") == 999999999999
