"""Each stream-state and flow-control rule broken by a real (crafted) server over loopback, end to end.

``wiretool h2 get --json`` talks to a misbehaving server (tests/h2_misbehaving.py) that breaks one RFC 9113
rule per case; the bytes of both directions, as the server saw them, are then decoded again by
``wiretool frame decode --capture``. Both must name the rule (code, section, stream) and exit 5; the legal
oddities must leave both quiet and exit 0.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from h2_misbehaving import CASES, QUIET, misbehaving_server


def violations(records: list[dict]) -> list[tuple[str, str, str, int]]:
    return [(r["dir"], v["code"], v["rfc"], r.get("stream_id", 0)) for r in records
            if r.get("type") in ("frame", "preface") for v in r.get("violations", ())]


def exchange(wiretool, tmp_path: Path, opts: list[str], answer):
    """Run ``h2 get`` against the crafted answer; return its result and ``frame decode`` of the server's bytes."""
    with misbehaving_server(answer) as (port, wire):
        url = f"http://127.0.0.1:{port}/"
        got = wiretool(["h2", "get", url, "--json", "--timeout", "10", *opts])
        assert wire.done.wait(10)
    cap = tmp_path / "server-side.wtcap"
    wire.write_capture(cap, url)
    return got, wiretool(["frame", "decode", "--capture", str(cap), "--json"])


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_broken_rule_is_named_by_frame_decode_and_h2_get(case, wiretool, tmp_path):
    opts, answer, code, section = CASES[case]
    got, decoded = exchange(wiretool, tmp_path, opts, answer)
    for result in (decoded, got):
        found = [(d, c, r) for d, c, r, _ in violations(result.json_lines())]
        assert found == [("recv", code, f"RFC 9113 §{section}")], (case, result.stdout[-2000:], result.stderr)
        assert result.exit_code == 5, (case, result.stderr)
    message = next(v["message"] for r in decoded.json_lines() if r.get("type") == "frame" for v in r["violations"])
    assert re.search(r"stream \d+", message), message  # the stream is named
    assert f"protocol violation from the server: {code} (RFC 9113 §{section})" in got.stderr, got.stderr


@pytest.mark.parametrize("case", sorted(QUIET))
def test_a_legal_oddity_stays_quiet(case, wiretool, tmp_path):
    opts, answer = QUIET[case]
    got, decoded = exchange(wiretool, tmp_path, opts, answer)
    for result in (decoded, got):
        assert violations(result.json_lines()) == [], (case, result.stdout[-2000:])
        assert result.exit_code == 0, (case, result.stderr)
