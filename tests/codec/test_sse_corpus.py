"""Every conformance case of sse_corpus.py, fed to wiretool's parser at several chunkings.

Each case must give the same events, comments, last event ID and reconnection time whatever the chunking:
whole, a byte at a time, halves, threes, the case's own split, and random splits (hypothesis).
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sse_corpus import CASES, Case

from wiretool.codec.sse import Comment, Event, SseParser


def _run(chunks: list[bytes]) -> tuple[list[tuple[str, str, str]], list[str], int | None, SseParser]:
    parser = SseParser()
    items = []
    for chunk in chunks:
        items.extend(parser.feed(chunk))
    items.extend(parser.end())
    events = [(i.event, i.data, i.id) for i in items if isinstance(i, Event)]
    comments = [i.text for i in items if isinstance(i, Comment)]
    return events, comments, parser.retry, parser


def _check(case: Case, chunks: list[bytes]) -> None:
    events, comments, retry, parser = _run(chunks)
    assert events == list(case.events)
    assert retry == case.retry
    if case.comments is not None:
        assert comments == list(case.comments)
    assert not parser.failed


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_sse_corpus_case_at_every_chunking(case: Case) -> None:
    for label, chunks in case.chunkings():
        try:
            _check(case, chunks)
        except AssertionError as exc:
            raise AssertionError(f"{case.name} fed {label}: {exc}") from None


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_sse_corpus_case_at_every_two_way_split(case: Case) -> None:
    for cut in range(1, len(case.body)):
        _check(case, [case.body[:cut], case.body[cut:]])


@settings(deadline=None, max_examples=150)
@given(case=st.sampled_from(CASES), data=st.data())
def test_sse_corpus_case_at_random_chunkings(case: Case, data: st.DataObject) -> None:
    body = case.body
    cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(body) - 1)), max_size=8)))
    bounds = [0, *cuts, len(body)]
    chunks = [body[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    _check(case, chunks)


def test_sse_corpus_covers_the_issue_rules() -> None:
    names = " ".join(c.name for c in CASES)
    for rule in ("BOM split", "second BOM", "mixed", "CRLF split", "NUL", "one leading space", "unknown",
                 "id persists", "empty id resets", "retry valid", "retry negative", "without blank line",
                 "U+2028", "invalid UTF-8"):
        assert rule in names, rule
