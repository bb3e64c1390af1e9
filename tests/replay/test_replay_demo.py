"""The "replay" part of ``wiretool demo``: a ws session recorded, replayed against a new server, checked."""

from __future__ import annotations


def test_replay_demo_part_json(wiretool) -> None:
    r = wiretool(["demo", "--only", "replay", "--json"])
    assert r.exit_code == 0, r.stderr
    lines = r.json_lines()
    check = [x for x in lines if x["type"] == "check"]
    assert check and check[0]["ok"] is True and check[0]["compared"] == 5
    assert [m["hex"] if "hex" in m else m["text"] for m in lines if m["type"] == "message"] == ["hello", "0102ff"]


def test_replay_demo_part_pretty(cli) -> None:
    r = cli(["demo", "--only", "replay", "--color", "never"])
    assert r.exit_code == 0
    assert "replay check passed: 5 answers match the recording" in r.stdout
