"""Property tests over the whole registry (views2's views included, whatever they are): random payloads through
every registered view never raise, and mutated valid packets (each view's ``samples``, else everyone's) never
raise and leave each connection's state bounded, however many arrive."""

from __future__ import annotations

import json
import random
import sys
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wiretool import views
from wiretool.run.viewing import Viewing
from wiretool.views import ViewResult
from wiretool.views.picker import ConnectionViews

ALL = list(views.VIEWS)
NAMES = [v.name for v in ALL]
CORPUS: list[views.Payload] = [s for v in ALL for s in getattr(v, "samples", ())]
DIRS = ("send", "recv", "c2s", "s2c", "")
STATE_BOUND = 50_000
"""Containers' entries in one connection's state after thousands of hostile messages (the views keep
a few thousand ids at most)."""

payloads = st.one_of(st.binary(max_size=300), st.text(max_size=300),
                     st.sampled_from(CORPUS).flatmap(lambda s: st.just(s)))


def _size(value: Any, depth: int = 0) -> int:
    """Entries of every container in ``value`` (what a view keeps), recursively."""
    if depth > 50:
        return 1
    if isinstance(value, dict):
        return len(value) + sum(_size(k, depth + 1) + _size(v, depth + 1) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return len(value) + sum(_size(v, depth + 1) for v in value)
    if isinstance(value, (bytes, bytearray, str)):
        return len(value) // 64
    return 1


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.lists(st.tuples(payloads, st.sampled_from(DIRS)), max_size=12))
def test_random_payloads_never_raise_through_any_view(name: str, data: list[tuple[views.Payload, str]]) -> None:
    view = views.by_name(name)
    conn = ConnectionViews(forced=view, url="ws://127.0.0.1/socket.io/?EIO=4")
    for i, (payload, direction) in enumerate(data):
        view.render_priority(payload, conn.context)
        if view is views.RAW:  # --view raw means no view: the registry's render is what runs
            assert views.render(payload, conn.context, view=view).error is None
            continue
        decoded = conn.view(payload, dir=direction, t=i * 0.1)
        assert decoded is not None and isinstance(decoded.result, ViewResult)
        assert decoded.result.error is None or "view failed" not in decoded.result.error, decoded.result.error
        json.dumps(decoded.json())  # the NDJSON view object is JSON-able


def _mutate(rng: random.Random, payload: views.Payload) -> views.Payload:
    data = bytearray(payload.encode("utf-8", "surrogatepass") if isinstance(payload, str) else payload)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        at = rng.randrange(len(data) + 1)
        if op == 0 and data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif op == 1:
            data[at:at] = bytes([rng.choice(b'0123456789{}[]",:-/\x1e\x00\xff')])
        elif op == 2:
            del data[at:at + rng.randint(1, 8)]
        elif op == 3:
            data = data[:at]
        elif op == 4:
            other = rng.choice(CORPUS)
            data[at:at] = other.encode() if isinstance(other, str) else other
        else:
            data[at:at] = data[: rng.randint(0, 16)] * rng.randint(1, 3)
    if isinstance(payload, str) and rng.random() < 0.8:
        return data.decode("utf-8", "replace")
    return bytes(data)


@pytest.mark.parametrize("name", [v.name for v in views.VIEWS if v is not views.RAW])
def test_mutated_packets_never_raise_and_state_stays_bounded(name: str) -> None:
    view = views.by_name(name)
    samples = list(getattr(view, "samples", ())) or CORPUS
    rng = random.Random(f"fuzz-{name}")
    conn = ConnectionViews(forced=view, url="ws://127.0.0.1/socket.io/?EIO=4")
    for i in range(4000):
        sample = samples[i % len(samples)]
        payload = sample if rng.random() < 0.3 else _mutate(rng, sample)
        decoded = conn.view(payload, dir=rng.choice(DIRS), t=i * 0.01)
        assert decoded is not None
        assert decoded.result.error is None or "view failed" not in decoded.result.error, (payload,
                                                                                           decoded.result.error)
    assert _size(conn.context.state) < STATE_BOUND, f"{name} keeps {_size(conn.context.state)} entries"


@pytest.mark.parametrize("name", [v.name for v in views.VIEWS if getattr(v, "samples", ())])
def test_ids_that_never_get_an_answer_do_not_grow_the_state(name: str) -> None:
    view = views.by_name(name)
    conn = ConnectionViews(forced=view)
    before = None
    for i in range(1_500):
        for sample in view.samples:  # type: ignore[attr-defined]
            text = sample if isinstance(sample, str) else sample.decode("latin-1")
            conn.view(text.replace('"1"', f'"{i}"').replace("1[", f"{i}["), dir="send", t=i)
        if i == 750:
            before = _size(conn.context.state)
    assert before is not None and _size(conn.context.state) <= max(before * 2, 1000)
    assert sys.getsizeof(conn.context.state) < 10_000


def test_the_automatic_pick_survives_hostile_first_packets() -> None:
    rng = random.Random(7)
    for _ in range(300):
        viewing = Viewing(url=rng.choice(["ws://127.0.0.1/", "ws://127.0.0.1/socket.io/?EIO=4"]))
        conn = viewing.connection(0)
        for i in range(6):
            conn.view(_mutate(rng, rng.choice(CORPUS)), dir=rng.choice(DIRS), t=i)
