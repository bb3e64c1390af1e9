"""``wiretool frame decode --proto h2`` on a session this test captures itself (``h2 get --hexdump``)."""

from __future__ import annotations

import json
import subprocess

from conftest import WIRETOOL, run_cli, run_wiretool

from wiretool.cli.frame_decode_h2 import decode_h2
from wiretool.output.env import Environment
from wiretool.output.sink import Output


def _capture(tmp_path) -> tuple[dict[str, bytes], list[dict]]:
    """Run a real session against ``serve h2`` and keep each direction's bytes and the live frame records."""
    proc = subprocess.Popen([WIRETOOL, "--json", "serve", "h2", "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        url = json.loads(proc.stdout.readline())["url"]
        res = run_wiretool(["h2", "get", "--json", "--hexdump", f"{url}trailers", f"{url}push"])
    finally:
        proc.terminate()
        proc.wait(10)
    assert res.exit_code == 0, res.stderr
    recs = res.json_lines()
    streams = {"send": b"", "recv": b""}
    for r in recs:
        if r["type"] == "bytes":
            streams[r["dir"]] += bytes.fromhex(r["hex"])
    for direction, data in streams.items():
        (tmp_path / f"{direction}.bin").write_bytes(data)
    return streams, [r for r in recs if r["type"] == "frame"]


def test_decode_a_captured_session_both_directions(tmp_path):
    _, live = _capture(tmp_path)
    client = run_wiretool(["frame", "decode", "--proto", "h2", "--encoding", "raw", "--file",
                           str(tmp_path / "send.bin"), "--json"])
    assert client.exit_code == 0, client.stderr
    recs = client.json_lines()
    assert recs[0]["type"] == "preface" and recs[0]["valid"]
    decoded = [r for r in recs if r["type"] == "frame"]
    assert [(f["frame_type"], f["stream_id"]) for f in decoded] == [
        (f["frame_type"], f["stream_id"]) for f in live if f["dir"] == "send"]
    paths = [dict(f["headers"])[":path"] for f in decoded if f["frame_type"] == "HEADERS"]
    assert paths == ["/trailers", "/push"]

    server = run_cli(["frame", "decode", "--proto", "h2", "--encoding", "raw", "--file", str(tmp_path / "recv.bin"),
                      "--json"])
    assert server.exit_code == 0, server.stderr
    got = [r for r in server.json_lines() if r["type"] == "frame"]
    assert got[0]["frame_type"] == "SETTINGS"
    assert [f.get("headers") for f in got] == [f.get("headers") for f in live if f["dir"] == "recv"]
    assert any(f["frame_type"] == "PUSH_PROMISE" for f in got)
    assert server.json_lines()[-1]["violations"] == 0


def test_decode_pretty_view_with_hpack_entries(tmp_path):
    _capture(tmp_path)
    res = run_cli(["frame", "decode", "--proto", "h2", "--encoding", "raw", "--file", str(tmp_path / "send.bin"),
                   "--hpack", "--color", "never"])
    assert res.exit_code == 0
    assert "send PREFACE PRI * HTTP/2.0" in res.stdout
    assert "; [62] accept: */*" in res.stdout and "; [63] user-agent: wiretool/" in res.stdout


def test_decode_h2_reports_violations_with_exit_5():
    import io

    env = Environment(stdout=io.StringIO(), stderr=io.StringIO(), json=True)
    # a DATA frame on stream 0, then a truncated frame
    code = decode_h2(bytes.fromhex("000003000000000000616263" "0000080600"), Output(env, proto="h2"))
    lines = [json.loads(line) for line in env.stdout.getvalue().splitlines()]
    assert code == 5
    assert lines[0]["violations"][0]["code"] == "stream_id_required"
    assert lines[1]["violations"][0]["code"] == "truncated_frame"
    assert lines[-1]["type"] == "summary" and lines[-1]["violations"] == 2


def test_decode_hex_argument_of_one_frame():
    res = run_cli(["frame", "decode", "--proto", "h2", "--json", "00000408000000000000000100"])
    frame = res.json_lines()[0]
    assert res.exit_code == 0 and frame["frame_type"] == "WINDOW_UPDATE" and frame["window_increment"] == 256


def test_hostile_header_values_are_escaped_on_the_terminal():
    from hpack import Encoder
    from hyperframe.frame import HeadersFrame

    block = Encoder().encode([("x-evil", "\x1b]0;pwned\x07[bold]x"), ("set-cookie", "id=1")])
    frame = HeadersFrame(1, data=block, flags=["END_HEADERS"]).serialize()
    res = run_cli(["frame", "decode", "--proto", "h2", "--color", "never", frame.hex()])
    assert res.exit_code == 0
    assert "x-evil: \\x1b]0;pwned\\x07[bold]x" in res.stdout and "\x1b" not in res.stdout
    assert "set-cookie: <redacted>" in res.stdout
