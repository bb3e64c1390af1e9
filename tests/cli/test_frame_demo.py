"""The "frame" part of ``wiretool demo``: crafted frames decoded clean, then a broken frame with its violations."""

from __future__ import annotations


def test_frame_demo_part_json(wiretool) -> None:
    r = wiretool(["demo", "--only", "frame", "--json"])
    assert r.exit_code == 0, r.stderr
    lines = r.json_lines()
    summary = next(d for d in lines if d["type"] == "summary")
    assert (summary["exit_code"], summary["frames"], summary["messages"], summary["violations"]) == (0, 6, 2, 0)
    texts = [d["text"] for d in lines if d["type"] == "message"]
    assert texts == ["Hello", "fragmented, with a ping in between ✓"]
    broken = lines[-1]
    assert [v["code"] for v in broken["violations"]] == ["reserved-opcode", "rsv-without-extension",
                                                         "non-minimal-length", "client-unmasked"]


def test_frame_demo_part_pretty(cli) -> None:
    r = cli(["demo", "--only", "frame", "--color", "never"])
    assert r.exit_code == 0
    assert "demo: frame" in r.stdout and "close code 1000 NORMAL_CLOSURE" in r.stdout
    assert "✗ client-unmasked [RFC 6455 §5.1]" in r.stdout
