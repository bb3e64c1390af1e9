"""``replay --check`` comparison: JSON-aware, --ignore and --ignore-path, first difference with context."""

from __future__ import annotations

import pytest

from wiretool.replay.compare import Answer, Rules, compare, parse_path


def test_json_compares_key_order_free() -> None:
    a = [Answer("message 1 (TEXT)", '{"a": 1, "b": [1, 2]}')]
    b = [Answer("message 1 (TEXT)", '{"b": [1, 2], "a": 1}')]
    assert compare(a, b).ok


def test_first_difference_names_the_json_path_with_context() -> None:
    a = [Answer("status", 101), Answer("message 1 (TEXT)", '{"user": {"id": 1, "tags": ["x", "y"]}}')]
    b = [Answer("status", 101), Answer("message 1 (TEXT)", '{"user": {"id": 1, "tags": ["x", "z"]}}')]
    result = compare(a, b)
    diff = result.difference
    assert diff is not None and (diff.path, diff.recorded, diff.replayed) == ("$.user.tags[1]", "y", "z")
    lines = diff.lines()
    assert lines[0] == "first difference at answer 2: message 1 (TEXT), at $.user.tags[1]"
    assert lines[1] == "  = status: 101" and lines[2:4] == ['  - recorded: "y"', '  + replayed: "z"']
    assert result.compared == 1


@pytest.mark.parametrize("path, parsed", [("$.a.b", ["a", "b"]), ("$.items[*].id", ["items", "*", "id"]),
                                          ("$.x[2]", ["x", 2]), ("$['odd key']", ["odd key"])])
def test_parse_path(path: str, parsed: list) -> None:
    assert parse_path(path) == parsed


def test_ignore_path_drops_fields_even_under_wildcards() -> None:
    rules = Rules.make(ignore_paths=["$.items[*].id", "$.ts"])
    a = [Answer("m", '{"ts": 1, "items": [{"id": 1, "v": "a"}, {"id": 2, "v": "b"}]}')]
    b = [Answer("m", '{"ts": 9, "items": [{"id": 7, "v": "a"}, {"id": 8, "v": "b"}]}')]
    assert compare(a, b, rules).ok
    c = [Answer("m", '{"ts": 9, "items": [{"id": 7, "v": "a"}, {"id": 8, "v": "B"}]}')]
    diff = compare(a, c, rules).difference
    assert diff is not None and diff.path == "$.items[1].v"


def test_ignore_regex_masks_text_and_json_strings() -> None:
    rules = Rules.make(ignore=[r"\d{2}:\d{2}:\d{2}"])
    assert compare([Answer("m", "at 10:00:01 ok")], [Answer("m", "at 23:59:59 ok")], rules).ok
    assert compare([Answer("m", '{"at": "10:00:01"}')], [Answer("m", '{"at": "11:11:11"}')], rules).ok
    assert not compare([Answer("m", "at 10:00:01 ok")], [Answer("m", "at 10:00:01 KO")], rules).ok


def test_missing_and_extra_answers_are_differences() -> None:
    a = [Answer("m1", "x"), Answer("close", {"code": 1000})]
    diff = compare(a, a[:1]).difference
    assert diff is not None and diff.what == "close" and diff.replayed == "(nothing)"
    diff = compare(a[:1], [Answer("m1", "x"), Answer("m2", "y")]).difference
    assert diff is not None and diff.recorded == "(nothing)"
    diff = compare(a, [Answer("m1", "x"), Answer("m2", "y")]).difference
    assert diff is not None and diff.replayed_what == "m2"
    assert diff.lines()[-1] == '  + replayed: m2: "y"'


def test_text_difference_shows_a_caret_at_the_first_changed_character() -> None:
    long_a = "the quick brown fox jumps over the lazy dog " * 2
    long_b = long_a.replace("lazy", "busy")
    lines = compare([Answer("m", long_a)], [Answer("m", long_b)]).difference.lines()  # type: ignore[union-attr]
    caret = lines[-1]
    assert caret.strip().startswith("^ (character 36)")
    assert lines[-3].index("lazy") == lines[-2].index("busy") == caret.index("^")


def test_a_bad_regex_is_refused_with_its_text() -> None:
    with pytest.raises(ValueError, match=r"--ignore '\('"):
        Rules.make(ignore=["("])
