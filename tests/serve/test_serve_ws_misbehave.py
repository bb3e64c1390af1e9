"""``serve ws --misbehave CASE``: each broken server is caught by wiretool's own client, naming the rule."""

from __future__ import annotations

import json

import pytest
from conftest import ServeProcess, run_cli, run_wiretool

from wiretool.serve.ws_misbehave import CASES


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CASES))
def test_ws_connect_names_what_the_server_breaks(name: str) -> None:
    server = ServeProcess("ws", "--misbehave", name, "--show", "none")
    try:
        result = run_wiretool(["ws", "connect", server.url, "--json", "--timeout", "10"])
    finally:
        server.stop()
    records = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    codes = {v["code"] for r in records for v in r.get("violations", [])}
    assert CASES[name].violation in codes, (name, codes, result.stderr)
    assert result.exit_code == 5, (name, result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr


def test_list_and_unknown() -> None:
    listed = run_cli(["serve", "ws", "--misbehave", "list"])
    assert listed.exit_code == 0 and [line.split("\t")[0] for line in listed.stdout.splitlines()] == list(CASES)
    bad = run_cli(["serve", "ws", "--misbehave", "nope"])
    assert bad.exit_code == 2 and "unknown --misbehave 'nope'" in bad.stderr
