"""``wiretool h2 get`` end to end: the installed entry point (and run_cli) against a real ``serve h2`` process."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator

import pytest
from conftest import WIRETOOL, free_port, run_cli, run_wiretool


def _start(args: list[str]) -> tuple[subprocess.Popen, dict]:
    proc = subprocess.Popen([WIRETOOL, "--json", "serve", "h2", "--port", "0", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    first = json.loads(proc.stdout.readline())
    assert first["type"] == "listening", first
    return proc, first


@pytest.fixture(scope="module")
def h2c() -> Iterator[str]:
    proc, first = _start([])
    yield first["url"].rstrip("/")
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module")
def h2tls() -> Iterator[tuple[str, str]]:
    proc, first = _start(["--self-signed"])
    yield first["url"].rstrip("/"), first["cacert"]
    proc.terminate()
    proc.wait(10)


def frames(result, **match) -> list[dict]:
    return [r for r in result.json_lines() if r["type"] == "frame" and all(r.get(k) == v for k, v in match.items())]


def summary(result) -> dict:
    return result.json_lines()[-1]


def test_three_urls_multiplexed_on_streams_1_3_5_of_one_connection(h2c):
    res = run_wiretool(["h2", "get", "--json", f"{h2c}/", f"{h2c}/bytes/10", f"{h2c}/trailers"])
    assert res.exit_code == 0, res.stderr
    recs = res.json_lines()
    assert sum(r["type"] == "connect" for r in recs) == 1
    sent = frames(res, dir="send", frame_type="HEADERS")
    assert [f["stream_id"] for f in sent] == [1, 3, 5]
    assert [dict(f["headers"])[":path"] for f in sent] == ["/", "/bytes/10", "/trailers"]
    got = {f["stream_id"] for f in frames(res, dir="recv", frame_type="HEADERS")}
    assert got == {1, 3, 5}
    assert frames(res, dir="send", frame_type="SETTINGS") and frames(res, dir="recv", frame_type="SETTINGS")
    assert summary(res)["type"] == "summary" and summary(res)["responses"] == 3


def test_settings_by_name_and_window_updates_shown(h2c):
    res = run_wiretool(["h2", "get", "--json", f"{h2c}/bytes/300000", "--window-bits", "16"])
    assert res.exit_code == 0, res.stderr
    server_settings = frames(res, dir="recv", frame_type="SETTINGS")[0]["settings"]
    assert server_settings["MAX_CONCURRENT_STREAMS"] == 100 and "INITIAL_WINDOW_SIZE" in server_settings
    updates = frames(res, dir="send", frame_type="WINDOW_UPDATE")
    assert updates and all(u["window_increment"] > 0 for u in updates)
    assert {u["stream_id"] for u in updates} == {0, 1}
    assert sum(f["data_length"] for f in frames(res, frame_type="DATA")) == 300000


def test_tls_with_alpn_h2(h2tls):
    url, ca = h2tls
    res = run_wiretool(["h2", "get", "--json", f"{url}/", f"{url}/bytes/5", "--cacert", ca])
    assert res.exit_code == 0, res.stderr
    connect = next(r for r in res.json_lines() if r["type"] == "connect")
    assert connect["tls"] is True and connect["alpn"] == "h2" and connect["mode"] == "h2"
    assert [f["stream_id"] for f in frames(res, dir="send", frame_type="HEADERS")] == [1, 3]


def test_untrusted_certificate_is_exit_3_unless_insecure(h2tls):
    url, _ = h2tls
    res = run_wiretool(["h2", "get", f"{url}/"])
    assert res.exit_code == 3 and "certificate" in res.stderr
    assert run_cli(["h2", "get", f"{url}/", "--insecure"]).exit_code == 0


def test_max_frame_size_and_window_bits_let_the_server_send_big_frames(h2c):
    res = run_cli(["h2", "get", "--json", f"{h2c}/bytes/200000", "--max-frame-size", "65536",
                   "--window-bits", "20"])
    assert res.exit_code == 0, res.stderr
    sent = frames(res, dir="send", frame_type="SETTINGS")[0]["settings"]
    assert sent["MAX_FRAME_SIZE"] == 65536 and sent["INITIAL_WINDOW_SIZE"] == 2**20 - 1
    data = frames(res, dir="recv", frame_type="DATA")
    assert max(f["length"] for f in data) == 65536
    assert not any(f["violations"] for f in frames(res))


def test_response_trailers_shown_under_their_headers_frame(h2c):
    res = run_wiretool(["h2", "get", "--json", f"{h2c}/trailers"])
    assert res.exit_code == 0
    recv = frames(res, dir="recv", frame_type="HEADERS")
    assert dict(recv[0]["headers"])[":status"] == "200" and "END_STREAM" not in recv[0]["flags"]
    assert dict(recv[1]["headers"]) == {"x-checksum": "c0ffee", "x-trailer": "yes"}
    assert "END_STREAM" in recv[1]["flags"]


def test_request_body_and_trailers_sent_and_echoed(h2c):
    res = run_wiretool(["h2", "get", "--json", "--body", f"{h2c}/echo", "-d", "hello h2", "--trailer", "x-sum:42"])
    assert res.exit_code == 0, res.stderr
    sent = frames(res, dir="send", frame_type="HEADERS")
    assert dict(sent[0]["headers"])[":method"] == "POST"
    assert dict(sent[1]["headers"]) == {"x-sum": "42"} and "END_STREAM" in sent[1]["flags"]
    assert frames(res, dir="send", frame_type="DATA")[0]["data_text"] == "hello h2"
    assert frames(res, dir="recv", frame_type="DATA")[0]["data_text"] == "hello h2"
    assert dict(frames(res, dir="recv", frame_type="HEADERS")[-1]["headers"]) == {"x-sum": "42"}


def test_push_promise_and_pushed_stream(h2c):
    res = run_wiretool(["h2", "get", "--json", f"{h2c}/push"])
    assert res.exit_code == 0, res.stderr
    promise = frames(res, frame_type="PUSH_PROMISE")[0]
    assert promise["promised_stream_id"] == 2 and dict(promise["headers"])[":path"] == "/pushed.txt"
    assert any(f["stream_id"] == 2 for f in frames(res, dir="recv", frame_type="HEADERS"))
    assert summary(res)["pushed"] == 1


def test_no_push_refuses_with_enable_push_0(h2c):
    res = run_wiretool(["h2", "get", "--json", f"{h2c}/push", "--no-push"])
    assert res.exit_code == 0, res.stderr
    assert frames(res, dir="send", frame_type="SETTINGS")[0]["settings"]["ENABLE_PUSH"] == 0
    assert not frames(res, frame_type="PUSH_PROMISE") and summary(res)["pushed"] == 0


def test_rst_stream_error_name_and_exit_5(h2c):
    res = run_wiretool(["h2", "get", "--json", f"{h2c}/reset"])
    assert res.exit_code == 5
    rst = frames(res, dir="recv", frame_type="RST_STREAM")[0]
    assert rst["error_code"] == "INTERNAL_ERROR" and rst["stream_id"] == 1
    assert "INTERNAL_ERROR" in res.stderr
    assert summary(res)["exit_code"] == 5


def test_rst_stream_cancel_is_not_a_protocol_error(h2c):
    res = run_wiretool(["h2", "get", "--json", f"{h2c}/reset?code=CANCEL"])
    assert frames(res, frame_type="RST_STREAM")[0]["error_code"] == "CANCEL"
    assert res.exit_code == 8  # no response, but not an error code


def test_goaway_error_name_debug_data_and_exit_5(h2c):
    res = run_wiretool(["h2", "get", "--json", f"{h2c}/goaway"])
    assert res.exit_code == 5
    goaway = frames(res, dir="recv", frame_type="GOAWAY")[0]
    assert goaway["error_code"] == "ENHANCE_YOUR_CALM" and goaway["last_stream_id"] == 1
    assert goaway["debug_data"] == "goaway requested by /goaway"


def test_upgrade_dance(h2c):
    res = run_wiretool(["h2", "get", "--json", "--upgrade", f"{h2c}/trailers", f"{h2c}/bytes/7"])
    assert res.exit_code == 0, res.stderr
    ups = [r for r in res.json_lines() if r["type"] == "upgrade"]
    assert ups[0]["dir"] == "send" and ("Upgrade", "h2c") in map(tuple, ups[0]["headers"])
    assert ups[1]["status"] == 101
    connect = next(r for r in res.json_lines() if r["type"] == "connect")
    assert connect["mode"] == "h2c-upgrade"
    # the first request went as HTTP/1.1; its answer arrives on stream 1, the next request on stream 3
    assert [f["stream_id"] for f in frames(res, dir="send", frame_type="HEADERS")] == [3]
    assert {f["stream_id"] for f in frames(res, dir="recv", frame_type="HEADERS")} == {1, 3}


def test_fail_turns_status_400_and_above_into_exit_4(h2c):
    assert run_wiretool(["h2", "get", f"{h2c}/status/404"]).exit_code == 0
    res = run_wiretool(["h2", "get", f"{h2c}/status/404", "--fail"])
    assert res.exit_code == 4 and "404" in res.stderr


def test_timeout_is_exit_6(h2c):
    res = run_wiretool(["h2", "get", f"{h2c}/delay/10", "--timeout", "0.5"])
    assert res.exit_code == 6 and "--timeout" in res.stderr
    res = run_cli(["h2", "get", f"{h2c}/delay/10", "--idle-timeout", "0.5"])
    assert res.exit_code == 6 and "--idle-timeout" in res.stderr


def test_nothing_listening_is_exit_3():
    res = run_wiretool(["h2", "get", f"http://127.0.0.1:{free_port()}/"])
    assert res.exit_code == 3 and "cannot connect" in res.stderr


def test_urls_of_two_origins_are_a_usage_error(h2c):
    res = run_cli(["h2", "get", f"{h2c}/", "http://127.0.0.1:1/"])
    assert res.exit_code == 2 and "one origin" in res.stderr


def test_pretty_view_frame_lines_and_headers_under_their_frame(h2c):
    res = run_cli(["h2", "get", f"{h2c}/bytes/3", "-H", "authorization: Bearer s3cret", "--color", "never"])
    assert res.exit_code == 0, res.stderr
    lines = res.stdout.splitlines()
    send = next(i for i, line in enumerate(lines) if "send HEADERS <length=" in line)
    assert "flags=END_STREAM|END_HEADERS, stream_id=1>" in lines[send]
    assert lines[send + 1].strip() == ":method: GET"
    assert any("authorization: <redacted>" in line for line in lines) and "s3cret" not in res.stdout
    recv = next(i for i, line in enumerate(lines) if "recv HEADERS" in line)
    assert lines[recv + 1].strip() == ":status: 200"
    assert any("recv DATA <length=3, flags=END_STREAM, stream_id=1>" in line for line in lines)
    assert "summary exit=0" in lines[-1]


def test_show_secrets_shows_them(h2c):
    res = run_cli(["h2", "get", "--json", f"{h2c}/", "-H", "cookie: a=1", "--show-secrets"])
    assert ["cookie", "a=1"] in frames(res, dir="send", frame_type="HEADERS")[0]["headers"]


def test_body_is_escaped_on_the_terminal(h2c):
    res = run_cli(["h2", "get", "--body", f"{h2c}/echo", "-d", "\x1b[31m[bold]red", "--color", "never"])
    assert res.exit_code == 0
    assert "\\x1b[31m[bold]red" in res.stdout and "\x1b" not in res.stdout


def test_ping_round_trip_and_stats(h2c):
    res = run_cli(["h2", "get", "--json", "--ping", "--stats", f"{h2c}/bytes/100", f"{h2c}/delay/0.1"])
    assert res.exit_code == 0, res.stderr
    recs = res.json_lines()
    ping = next(r for r in recs if r["type"] == "ping")
    assert ping["rtt_ms"] > 0
    streams = {r["stream_id"]: r for r in recs if r["type"] == "stream"}
    assert streams[1]["bytes"] == 100 and streams[1]["status"] == 200
    assert streams[3]["duration_ms"] >= 100 and streams[3]["time_to_headers_ms"] >= 100
    assert summary(res)["ping_rtt_ms"] == ping["rtt_ms"]


def test_repeat_and_max_concurrent(h2c):
    res = run_cli(["h2", "get", "--json", f"{h2c}/bytes/1", "--repeat", "20", "--max-concurrent", "3"])
    assert res.exit_code == 0
    assert [f["stream_id"] for f in frames(res, dir="send", frame_type="HEADERS")] == list(range(1, 41, 2))
    assert summary(res)["responses"] == 20


def test_hexdump_records_both_directions(h2c):
    res = run_cli(["h2", "get", "--json", "--hexdump", f"{h2c}/"])
    chunks = [r for r in res.json_lines() if r["type"] == "bytes"]
    assert {c["dir"] for c in chunks} == {"send", "recv"}
    assert bytes.fromhex(chunks[0]["hex"]).startswith(b"PRI * HTTP/2.0")


def test_record_writes_a_capture(h2c, tmp_path):
    from wiretool.capture.file import read_capture

    path = tmp_path / "h2.capture"
    res = run_cli(["h2", "get", f"{h2c}/", "--record", str(path), "--json"])
    assert res.exit_code == 0
    cap = read_capture(path)
    assert cap.stream("send").startswith(b"PRI * HTTP/2.0")


def test_demo_part_multiplexes_three_requests():
    res = run_cli(["demo", "--only", "h2", "--json"])
    assert res.exit_code == 0, res.stderr
    assert [f["stream_id"] for f in frames(res, dir="send", frame_type="HEADERS")] == [1, 3, 5]
    assert summary(res)["responses"] == 3 and summary(res)["pushed"] == 1


def test_data_from_a_file_and_from_stdin_with_a_method(h2c, tmp_path):
    body = tmp_path / "body.bin"
    body.write_bytes(b"x" * 70000)  # more than one window: sent as flow control allows
    res = run_cli(["h2", "get", "--json", f"{h2c}/echo", "-d", f"@{body}", "-X", "PUT"])
    assert res.exit_code == 0, res.stderr
    assert dict(frames(res, dir="send", frame_type="HEADERS")[0]["headers"])[":method"] == "PUT"
    assert sum(f["data_length"] for f in frames(res, dir="send", frame_type="DATA")) == 70000
    assert sum(f["data_length"] for f in frames(res, dir="recv", frame_type="DATA")) == 70000
    res = run_cli(["h2", "get", "--json", "--body", f"{h2c}/echo", "-d", "-"], input="from stdin")
    assert frames(res, dir="recv", frame_type="DATA")[0]["data_text"] == "from stdin"
    assert run_cli(["h2", "get", f"{h2c}/echo", "-d", "@/nonexistent/file"]).exit_code == 2


def test_connection_specific_headers_are_a_usage_error(h2c):
    res = run_cli(["h2", "get", f"{h2c}/", "-H", "Connection: close"])
    assert res.exit_code == 2 and "cannot be sent in HTTP/2" in res.stderr
    assert run_cli(["h2", "get", f"{h2c}/", "--trailer", ":path:/x"]).exit_code == 2


def test_raw_bytes_mask_secret_request_headers_and_still_decode(h2c, tmp_path):
    res = run_cli(["h2", "get", "--json", "--hexdump", f"{h2c}/", "-H", "authorization: Bearer s3cr3t-t0ken"])
    assert res.exit_code == 0
    sent = b"".join(bytes.fromhex(r["hex"]) for r in res.json_lines() if r["type"] == "bytes" and r["dir"] == "send")
    assert b"s3cr3t" not in sent
    from wiretool.codec.h2frame import H2FrameView

    view = H2FrameView(show_secrets=True, preface={"send": "auto"})
    shown = next(r for r in view.feed("send", sent) if getattr(r, "frame_type", "") == "HEADERS")
    assert ("authorization", "*" * len("Bearer s3cr3t-t0ken")) in shown.headers  # masked, HPACK intact
    (tmp_path / "send.bin").write_bytes(sent)
    decoded = run_cli(["frame", "decode", "--proto", "h2", "--encoding", "raw", "--file", str(tmp_path / "send.bin"),
                       "--json"])
    assert decoded.exit_code == 0
    headers = next(r for r in decoded.json_lines() if r.get("frame_type") == "HEADERS")["headers"]
    assert ["authorization", "<redacted>"] in headers
