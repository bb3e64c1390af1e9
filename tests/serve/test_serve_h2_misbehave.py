"""``serve h2 --misbehave CASE``: each broken server is caught by wiretool's own client, naming the rule."""

from __future__ import annotations

import json

import pytest
from conftest import ServeProcess, run_cli, run_wiretool

from wiretool.serve.h2_misbehave import CASES


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_h2_get_names_what_the_server_breaks(name: str) -> None:
    server = ServeProcess("h2", "--misbehave", name)
    try:
        result = run_wiretool(["h2", "get", server.url + "/", "--json", "--timeout", "10"])
    finally:
        server.stop()
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    codes = {v["code"] for r in records if isinstance(r.get("violations"), list) for v in r["violations"]}
    assert CASES[name].violation in codes, (name, codes, result.stderr)
    assert result.exit_code == 5, (name, result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr


def test_list_and_unknown() -> None:
    listed = run_cli(["serve", "h2", "--misbehave", "list"])
    assert listed.exit_code == 0 and [line.split("\t")[0] for line in listed.stdout.splitlines()] == list(CASES)
    assert run_cli(["serve", "h2", "--misbehave", "nope"]).exit_code == 2
    assert run_cli(["serve", "h2", "--misbehave", "bad-hpack", "--self-signed"]).exit_code == 2
