"""``wiretool probe ws`` against the real servers of docs/probe.md, each started on loopback by the test.

The FAILED cases per server are the ones docs/probe.md tabulates (and explains with the RFC's words);
a change in a server, or in the probe, shows up here as a changed set.
"""

from __future__ import annotations

import json

import pytest
from conftest import run_wiretool
from peer_servers import SERVERS, running

from wiretool.probe.ws_cases import all_cases

FAILED = {
    "websockets": {"7.1.5"},
    "node-ws": set(),
    "aiohttp": {"7.9.5"},
    "tornado": {f"7.9.{i}" for i in range(1, 10)},
    "uvicorn-websockets": set(),
    "uvicorn-wsproto": set(),
    "wiretool": {"7.1.5"},
}
"""What each server really gets wrong (docs/probe.md says why each is a real defect or a strict reading)."""


@pytest.mark.slow
@pytest.mark.parametrize("server", SERVERS)
def test_probe_ws_against_real_server(server: str) -> None:
    with running(server) as url:
        result = run_wiretool(["probe", "ws", url, "--json", "--concurrency", "16"], timeout=180)
    records = [json.loads(line) for line in result.stdout.splitlines()]
    cases = {r["id"]: r for r in records if r.get("type") == "case"}
    assert len(cases) == sum(1 for c in all_cases() if not c.limits) and records[-1]["type"] == "summary"
    assert not [c for c in cases.values() if "the probe itself failed" in c["reason"]]
    assert all(c["verdict"] == "OK" for cid, c in cases.items() if cid.split(".")[0] in ("1", "2")), \
        {cid: c["reason"] for cid, c in cases.items() if cid.split(".")[0] in ("1", "2") and c["verdict"] != "OK"}
    failed = {cid for cid, c in cases.items() if c["verdict"] == "FAILED"}
    assert failed == FAILED[server], {cid: cases[cid]["reason"] for cid in failed ^ FAILED[server] if cid in cases}
    assert result.exit_code == (5 if FAILED[server] else 0)
