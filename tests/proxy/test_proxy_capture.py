"""``wiretool proxy --record``: one capture of every connection, read back by ``frame decode --capture`` and
``replay --conn N``, through the installed entry point and in-process."""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from capture_lines import lines
from conftest import ServeProcess, run_cli, run_wiretool
from proxyhelp import ProxyProcess, nghttpd, no_traceback, of

__all__ = ["nghttpd"]


def _ws_chat(port: int, texts: list[str]) -> None:
    import websockets

    async def main() -> None:
        async with websockets.connect(f"ws://127.0.0.1:{port}/room", compression=None,
                                      additional_headers={"Cookie": "session=s3cr3t"}) as ws:
            for t in texts:
                await ws.send(t)
                await ws.recv()

    asyncio.run(main())


def test_record_decode_and_replay_one_connection(tmp_path: Path, nghttpd: int) -> None:
    server = ServeProcess("ws")
    cap = tmp_path / "all.wtcap"
    proxy = ProxyProcess(server.url.replace("ws://", "http://"), "--record", str(cap))
    try:
        _ws_chat(proxy.port, ["alpha", "beta"])
        _ws_chat(proxy.port, ["gamma"])
    finally:
        live = proxy.stop()
    try:
        header = lines(cap)[0]
        assert header["proto"] == "proxy" and header["secrets"] == "redacted"
        assert b"s3cr3t" not in cap.read_bytes()  # the Cookie was redacted in the stored bytes too
        conns = {x.get("conn") for x in lines(cap)[1:] if x["kind"] == "bytes"}
        assert conns == {1, 2}

        decoded = run_wiretool(["--json", "frame", "decode", "--capture", str(cap)])
        assert decoded.exit_code == 0, decoded.stderr
        records = decoded.json_lines()
        texts = [(m["conn"], m["dir"], m["text"]) for m in of(records, "ws", "message")]
        assert texts == [(1, "c2s", "alpha"), (1, "s2c", "alpha"), (1, "c2s", "beta"), (1, "s2c", "beta"),
                         (2, "c2s", "gamma"), (2, "s2c", "gamma")]
        live_frames = [(f["conn"], f["dir"], f["payload_hex"]) for f in of(live, "ws", "frame")]
        assert [(f["conn"], f["dir"], f["payload_hex"]) for f in of(records, "ws", "frame")] == live_frames

        pretty = run_cli(["frame", "decode", "--capture", str(cap)])  # in-process, the pretty view
        assert pretty.exit_code == 0 and "gamma" in pretty.stdout
        assert any(x.startswith("#2 ") and "TEXT" in x for x in pretty.stdout.splitlines()), pretty.stdout

        replayed = run_wiretool(["--json", "replay", str(cap), "--conn", "2", "--check", "--no-delay"])
        assert replayed.exit_code == 0, replayed.stdout + replayed.stderr
        sent = [f for f in of(replayed.json_lines(), "ws", "frame", dir="send") if f["opcode_name"] == "TEXT"]
        assert [f["payload_text"] for f in sent] == ["gamma"], replayed.stdout
        assert of(replayed.json_lines(), "ws", "check")[0]["ok"] is True
        none = run_wiretool(["replay", str(cap)])
        assert none.exit_code == 2 and "holds 2 connections: choose one with --conn N" in none.stderr
        missing = run_wiretool(["replay", str(cap), "--conn", "9"])
        assert missing.exit_code == 2 and "no connection 9" in missing.stderr
        no_traceback(none.stderr + missing.stderr)
    finally:
        server.stop()


def test_record_h2_and_replay_it(tmp_path: Path, nghttpd: int) -> None:
    cap = tmp_path / "h2.wtcap"
    proxy = ProxyProcess(f"http://127.0.0.1:{nghttpd}", "--record", str(cap))
    try:
        done = subprocess.run(["curl", "-sS", "--http2-prior-knowledge", f"http://127.0.0.1:{proxy.port}/index.html"],
                              capture_output=True, timeout=20)
        assert done.stdout == b"hello from nghttpd\n"
    finally:
        proxy.stop()
    decoded = run_wiretool(["--json", "frame", "decode", "--capture", str(cap)])
    assert decoded.exit_code == 0, decoded.stderr
    heads = [f for f in of(decoded.json_lines(), "h2", "frame") if f["frame_type"] == "HEADERS"]
    assert [h["dir"] for h in heads] == ["c2s", "s2c"] and all(h["conn"] == 1 for h in heads)
    replayed = run_wiretool(["--json", "replay", str(cap), "--conn", "1", "--check", "--no-delay"])
    assert replayed.exit_code == 0, replayed.stdout + replayed.stderr
