"""The payload-view registry: priorities pick, a raising view falls back to raw with its error, escaping once."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from wiretool import views
from wiretool.codec.protobuf import decode_message
from wiretool.views import ViewContext, ViewResult


@dataclass
class _Fixed:
    """A view with a fixed priority that answers with its name, or raises when told to."""

    name: str
    priority: float
    fail_decode: bool = False
    fail_priority: bool = False

    def render_priority(self, payload: views.Payload, context: ViewContext) -> float:
        if self.fail_priority:
            raise RuntimeError("priority broke")
        return self.priority

    def decode(self, payload: views.Payload, context: ViewContext) -> ViewResult:
        if self.fail_decode:
            raise KeyError("boom")
        return ViewResult(self.name, ((self.name, ""),))


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> list[views.View]:
    """A registry of test views in place of the real list (the raw view stays the fallback)."""
    fake: list[views.View] = []
    monkeypatch.setattr(views, "VIEWS", fake)
    return fake


def test_the_highest_priority_wins_and_the_first_listed_wins_a_tie(registry: list[views.View]) -> None:
    registry += [_Fixed("low", 0.2), _Fixed("high", 0.9), _Fixed("high-too", 0.9)]
    assert views.pick("x").name == "high"
    assert views.render("x").lines == (("high", ""),)


def test_nothing_fits_means_raw(registry: list[views.View]) -> None:
    registry.append(_Fixed("never", 0.0))
    assert views.pick(b"\x00\x01").name == "raw"


def test_a_raising_view_falls_back_to_raw_with_its_error(registry: list[views.View]) -> None:
    registry.append(_Fixed("broken", 1.0, fail_decode=True))
    result = views.render("line one\nline two")
    assert result.view == "raw"
    assert result.error == "broken view failed: KeyError: 'boom'"
    assert result.lines == ((result.error, "yellow"), ("line one", ""), ("line two", ""))


def test_a_view_whose_priority_raises_is_passed_over(registry: list[views.View]) -> None:
    registry += [_Fixed("broken", 5.0, fail_priority=True), _Fixed("fine", 0.5)]
    assert views.pick("x").name == "fine"


def test_lines_are_escaped_once_whatever_the_view() -> None:
    result = views.render("\x1b]0;pwned\x07\tok\r\u202e")
    assert result.lines == (("\\x1b]0;pwned\\x07\tok\\r\\u202e", ""),)


def test_json_view_compact_when_short_and_indented_when_long() -> None:
    assert views.pick('{"a": 1}').name == "json"
    assert views.render('{"a":1,"b":[1,2]}').text == '{"a": 1, "b": [1, 2]}'
    long = '{"k": "' + "x" * 80 + '"}'
    assert views.render(long).text == '{\n  "k": "' + "x" * 80 + '"\n}'


@pytest.mark.parametrize("data", ["{not json", "[", "", "plain text", "x" * 10])
def test_text_that_is_not_json_is_shown_raw_without_an_error(data: str) -> None:
    result = views.render(data)
    assert (result.view, result.error, result.text) == ("raw", None, data)


def test_binary_that_is_not_text_is_a_hex_dump() -> None:
    result = views.render(b"\xff\x00", ViewContext(proto="ws"))
    assert result.view == "raw" and result.lines[0][0].startswith("00000000  ff 00")


def test_protobuf_view_is_picked_for_decoded_fields() -> None:
    payload = bytes.fromhex("0a03616e6e1003")
    context = ViewContext(proto="grpc", fields=decode_message(payload))
    assert views.pick(payload, context).name == "protobuf"
    assert views.render(payload, context).lines == (('1: "ann"', ""), ("2: 3 (varint)", ""))
    assert views.render(b"", ViewContext(proto="grpc", fields=())).lines == (("(empty message)", "dim"),)


def test_every_registered_view_has_a_name_and_never_raises_through_render() -> None:
    names = [v.name for v in views.VIEWS]
    assert len(names) == len(set(names)) and "raw" in names
    for payload in ("", "{}", b"\x0a\xff", b"\x80" * 20, "\ud800"):
        assert isinstance(views.render(payload), ViewResult)
