"""Lossless captures: ``frame decode --capture`` rebuilds, from the bytes alone, the records the run showed
(live ``--json`` = decode of the capture, timing aside; the capture stores no record since format 2)."""

from __future__ import annotations

from pathlib import Path

from conftest import run_wiretool
from test_replay_sse_h2 import Server as NamedServer
from test_replay_ws import SESSION, Server, record


def recorded_and_decoded(cap: Path, kind: str, live: list[dict],
                         drop: tuple[str, ...] = ("t",)) -> tuple[list[dict], list[dict]]:
    recorded = live
    r = run_wiretool(["frame", "decode", "--capture", str(cap), "--json"])
    assert r.exit_code == 0, r.stderr
    def norm(rows: list[dict]) -> list[dict]:
        return [{k: v for k, v in x.items() if k not in drop} for x in rows if x["type"] == kind]
    return norm(recorded), norm(r.json_lines())


def test_ws_frames_and_handshake_rebuilt_from_bytes(tmp_path: Path) -> None:
    server = Server("--show", "none")
    try:
        for extra in ([], ["--compression", "deflate"]):
            cap = tmp_path / f"ws{len(extra)}.wtcap"
            live = record(server.url, cap, *extra, session="deflate me, deflate me, deflate me\n" + SESSION)
            for kind in ("handshake", "frame"):
                recorded, decoded = recorded_and_decoded(cap, kind, live)
                assert recorded and recorded == decoded, kind
    finally:
        server.stop()


def test_sse_events_rebuilt_from_bytes(tmp_path: Path) -> None:
    sse = NamedServer("sse", "--interval", "0.01")
    try:
        cap = tmp_path / "sse.wtcap"
        res = run_wiretool(["sse", "tail", f"{sse.url}/events?count=3&drop_every=2&retry=20", "--record", str(cap),
                            "--json"])
        assert res.exit_code == 0
        recorded, decoded = recorded_and_decoded(cap, "event", res.json_lines())
        assert len(recorded) == 3 and recorded == decoded
        recorded, decoded = recorded_and_decoded(cap, "connect", res.json_lines(), drop=("t", "waited"))
        assert len(recorded) == 3 and recorded == decoded
    finally:
        sse.stop()


def test_h2_frames_rebuilt_from_bytes(tmp_path: Path) -> None:
    h2 = NamedServer("h2")
    try:
        cap = tmp_path / "h2.wtcap"
        res = run_wiretool(["h2", "get", f"{h2.url}/", f"{h2.url}/trailers", "--record", str(cap), "--json"])
        assert res.exit_code == 0
        recorded, decoded = recorded_and_decoded(cap, "frame", res.json_lines(), drop=("t", "offset"))
        assert len(recorded) > 6 and recorded == decoded
    finally:
        h2.stop()
