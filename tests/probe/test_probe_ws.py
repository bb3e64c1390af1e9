"""``wiretool probe ws`` against real servers on loopback: a strict reference server (with one defect at a
time), the websockets server, and servers that refuse, hang up or send hostile text."""

from __future__ import annotations

import asyncio
import json
import threading
import xml.etree.ElementTree as ET

import pytest
from conftest import answer_http1, canned_server, free_port, run_cli, run_wiretool
from ws_reference import DEFECTS, ReferenceServer

from wiretool.probe.case import matches
from wiretool.probe.ws_cases import all_cases

FAST = ["--concurrency", "32"]


def _cases(stdout: str) -> dict[str, dict]:
    return {r["id"]: r for r in map(json.loads, stdout.splitlines()) if r.get("type") == "case"}


@pytest.fixture(scope="module")
def reference_results() -> dict[str, dict]:
    """One full default run against the defect-free reference server, shared by the tests that compare."""
    with ReferenceServer() as server:
        result = run_wiretool(["probe", "ws", server.url, "--json", *FAST], timeout=120)
    assert result.exit_code == 0, result.stderr
    return _cases(result.stdout)


def test_case_table_has_autobahn_ids_once_each() -> None:
    ids = [c.id for c in all_cases()]
    assert len(ids) == len(set(ids))
    assert {"1.1.1", "1.2.8", "2.11", "3.7", "4.2.5", "5.20", "6.4.4", "6.23.7", "7.13.2", "9.8.6"} <= set(ids)
    families = {c.family for c in all_cases()}
    assert families == {"1", "2", "3", "4", "5", "6", "7", "9", "10", "12", "13"}
    # 6.5 .. 6.23: the UTF-8 stress groups, numbered as Autobahn numbers them
    assert sum(1 for i in ids if i.startswith("6.5.")) == 5 and sum(1 for i in ids if i.startswith("6.6.")) == 11


def test_case_patterns() -> None:
    assert matches("6.4.1", ["6.4.*"]) and matches("6.4", ["6.4.*"]) and not matches("6.40.1", ["6.4.*"])
    assert matches("12.1.3", ["12.*"]) and not matches("1.2.3", ["12.*"])
    assert matches("5.3", ["1.1.1", "5.3"]) and not matches("5.30", ["5.3"])


def test_reference_server_passes_every_default_case(reference_results: dict[str, dict]) -> None:
    verdicts = {cid: r["verdict"] for cid, r in reference_results.items()}
    assert len(verdicts) == sum(1 for c in all_cases() if not c.limits)
    assert "FAILED" not in verdicts.values()
    # the reference validates UTF-8 per frame, not per byte: one frame whose bytes arrive 1 s apart is
    # failed only when whole (fail fast within a frame is what NON-STRICT names here)
    assert {cid for cid, v in verdicts.items() if v == "NON-STRICT"} == {"6.4.3", "6.4.4"}
    assert {cid for cid, v in verdicts.items() if v == "INFORMATIONAL"} == {"7.1.6", "7.13.1", "7.13.2"}
    assert all(verdicts[c] == "OK" for c in verdicts if c.startswith(("12.", "13.")))  # deflate negotiated, echoed
    echo = reference_results["1.1.8"]
    assert echo["observed"]["events"][0] == {"event": "message", "length": 65536, "binary": False}
    assert echo["observed"]["close"] == {"by_probe_first": True, "server_code": 1000, "server_reason": "",
                                         "dropped_by_probe": False, "behavior": "OK",
                                         "why": "the connection was closed properly"}


@pytest.mark.slow
@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_each_defect_is_found_by_its_family_and_no_other(defect: str,
                                                         reference_results: dict[str, dict]) -> None:
    family = DEFECTS[defect]
    with ReferenceServer(defect) as server:
        result = run_wiretool(["probe", "ws", server.url, "--json", *FAST], timeout=120)
    assert result.exit_code == 5, result.stderr
    now = _cases(result.stdout)
    newly_failed = {cid for cid, r in now.items()
                    if r["verdict"] == "FAILED" and reference_results[cid]["verdict"] != "FAILED"}
    assert newly_failed, f"{defect}: no case found it"
    families = set(family.split(","))
    assert {cid.split(".")[0] for cid in newly_failed} == families, sorted(newly_failed)
    changed_elsewhere = {cid for cid, r in now.items() if cid.split(".")[0] not in families
                         and r["verdict"] != reference_results[cid]["verdict"]}
    assert not changed_elsewhere, sorted(changed_elsewhere)


def test_rsv_defect_is_named_with_what_the_server_did() -> None:
    with ReferenceServer("rsv-unchecked") as server:
        result = run_cli(["probe", "ws", server.url, "--json", "--cases", "3.1", *FAST])
    assert result.exit_code == 5
    (case,) = _cases(result.stdout).values()
    assert case["verdict"] == "FAILED"
    assert case["expectation"].startswith("The connection is failed immediately (1002)")
    assert case["rfc"].startswith("RFC 6455 §5.2: RSV1-3 MUST be 0")
    assert case["observed"]["events"] == [{"event": "message", "length": 13, "binary": False,
                                           "payload_hex": b"Hello, world!".hex()}]
    summary = json.loads(result.stdout.splitlines()[-1])
    assert summary["type"] == "summary" and summary["failed"] == 1 and summary["exit_code"] == 5


class _WebsocketsEcho:
    """The websockets library's own server, echoing, in a thread."""

    def __init__(self, handler=None) -> None:  # type: ignore[no-untyped-def]
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.handler = handler
        self._started = threading.Event()
        self._stop: asyncio.Event | None = None
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self._main(),), daemon=True)

    async def _echo(self, ws) -> None:  # type: ignore[no-untyped-def]
        try:
            async for message in ws:
                await ws.send(message)
        except Exception:
            pass

    async def _main(self) -> None:
        from websockets.asyncio.server import serve

        self._stop = asyncio.Event()
        async with serve(self.handler or self._echo, "127.0.0.1", self.port, max_size=None):
            self._started.set()
            await self._stop.wait()

    def __enter__(self) -> str:
        self.thread.start()
        self._started.wait(10)
        return f"ws://127.0.0.1:{self.port}/"

    def __exit__(self, *exc: object) -> None:
        assert self._stop is not None
        self.loop.call_soon_threadsafe(self._stop.set)
        self.thread.join(10)


def test_websockets_server_families_1_2_and_utf8_pass() -> None:
    with _WebsocketsEcho() as url:
        result = run_wiretool(["probe", "ws", url, "--json", "--cases", "1.*,2.*,6.*", *FAST], timeout=120)
    cases = _cases(result.stdout)
    assert cases and all(r["verdict"] == "OK" for cid, r in cases.items() if not cid.startswith("6.4.")), \
        {cid: r["verdict"] for cid, r in cases.items() if r["verdict"] != "OK"}
    assert result.exit_code == 0


def test_junit_and_html_reports(tmp_path) -> None:  # type: ignore[no-untyped-def]
    junit, html = tmp_path / "probe.xml", tmp_path / "probe.html"
    with ReferenceServer("utf8-unchecked") as server:
        result = run_wiretool(["probe", "ws", server.url, "--cases", "6.3.*,6.5.1", "--junit", str(junit),
                               "--report", str(html), *FAST])
    assert result.exit_code == 5
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "3" and suite.get("failures") == "2"
    failed = [tc.get("name", "") for tc in suite.iter("testcase") if tc.find("failure") is not None]
    assert sorted(n.split()[0] for n in failed) == ["6.3.1", "6.3.2"]
    page = html.read_text()
    assert page.startswith("<!DOCTYPE html>") and "id='case-6.3.1'" in page and "<script" not in page
    assert "FAILED" in result.stdout and "6.3.1" in result.stdout  # the pretty table went to stdout


def test_hostile_close_reason_is_escaped_everywhere(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async def rude(ws) -> None:  # type: ignore[no-untyped-def]
        await ws.close(4000, "<script>alert(1)</script>\x1b[31m")

    page = tmp_path / "r.html"
    with _WebsocketsEcho(rude) as url:
        result = run_wiretool(["probe", "ws", url, "--cases", "1.1.1", "--report", str(page), *FAST])
    assert result.exit_code == 5
    assert "\x1b[31m" not in result.stdout and "<script>" not in page.read_text()
    assert "&lt;script&gt;" in page.read_text()


def test_refused_connection_is_one_line_exit_3() -> None:
    result = run_wiretool(["probe", "ws", f"ws://127.0.0.1:{free_port()}/"])
    assert result.exit_code == 3
    assert result.stderr.count("\n") == 1 and "cannot connect" in result.stderr and "Traceback" not in result.stderr


def test_http_instead_of_upgrade_is_exit_4() -> None:
    with canned_server(answer_http1(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")) as port:
        result = run_wiretool(["probe", "ws", f"ws://127.0.0.1:{port}/"])
    assert result.exit_code == 4
    assert "HTTP 404 instead of 101" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("args, message", [
    (["ws://127.0.0.1:1/", "--cases", "99.*"], "no case matches"),
    (["http://127.0.0.1:1/"], "needs a ws:// or wss:// URL"),
    (["ws://127.0.0.1:1/", "-H", "nocolon"], "invalid -H"),
])
def test_usage_errors(args: list[str], message: str) -> None:
    result = run_cli(["probe", "ws", *args])
    assert result.exit_code == 2 and message in result.stderr


def test_list_needs_no_server() -> None:
    result = run_cli(["probe", "ws", "ws://127.0.0.1:1/", "--list", "--cases", "2.*"])
    assert result.exit_code == 0
    assert [line.split("\t")[0] for line in result.stdout.splitlines()] == [f"2.{i}" for i in range(1, 12)]
