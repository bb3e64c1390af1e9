"""``wiretool h2 get`` against scripted HTTP/2 servers (tests/h2_scripted.py) doing what real servers
sometimes do: promise a push and never deliver it, ignore a PING, close with a huge GOAWAY debug payload,
send a slow first SETTINGS, refuse a stream, or answer with terminal escapes in every field."""

from __future__ import annotations

from h2_scripted import Conn, scripted_server
from hyperframe.frame import GoAwayFrame, PushPromiseFrame, RstStreamFrame, SettingsFrame

from wiretool.capture.file import read_capture

PUSHED = [(":method", "GET"), (":scheme", "http"), (":authority", "127.0.0.1"), (":path", "/never")]


def _frames(res, **match) -> list[dict]:
    return [r for r in res.json_lines() if r["type"] == "frame" and all(r.get(k) == v for k, v in match.items())]


def _promise_and_answer(conn: Conn, typ: int, flags: int, sid: int, body: bytes) -> bytes:
    if typ != 0x1:
        return b""
    promise = PushPromiseFrame(sid, promised_stream_id=2, data=conn.enc.encode(PUSHED), flags=["END_HEADERS"])
    return promise.serialize() + conn.response(sid)


def test_an_undelivered_push_is_cancelled_once_the_response_ended(wiretool):
    with scripted_server(_promise_and_answer) as (url, _):
        res = wiretool(["h2", "get", "--json", "--stats", "--timeout", "20", f"{url}/"])
    assert res.exit_code == 0, res.stderr
    cancel = _frames(res, dir="send", frame_type="RST_STREAM")
    assert [(f["stream_id"], f["error_code"]) for f in cancel] == [(2, "CANCEL")]
    pushed = next(r for r in res.json_lines() if r["type"] == "stream" and r["pushed"])
    assert pushed["outcome"] == "reset" and pushed["error_code"] == "CANCEL"
    assert res.json_lines()[-1]["responses"] == 1


def test_an_undelivered_push_is_said_in_the_pretty_view(wiretool):
    with scripted_server(_promise_and_answer) as (url, _):
        res = wiretool(["h2", "get", "--timeout", "20", f"{url}/"])
    assert res.exit_code == 0, res.stderr
    assert "cancelled the unfinished push on stream 2 (RST_STREAM CANCEL)" in res.stdout


def _answer(conn: Conn, typ: int, flags: int, sid: int, body: bytes) -> bytes:
    return conn.response(sid) if typ == 0x1 else b""


def test_an_unanswered_ping_is_reported_not_waited_for(wiretool):
    with scripted_server(_answer) as (url, _):  # the server never ACKs a PING
        res = wiretool(["h2", "get", "--ping", "--timeout", "20", f"{url}/"])
    assert res.exit_code == 0, res.stderr
    assert "the server has not answered our PING" in res.stdout
    assert "exit=0" in res.stdout


def _goaway_with_debug(conn: Conn, typ: int, flags: int, sid: int, body: bytes) -> bytes:
    if typ != 0x1:
        return b""
    return GoAwayFrame(0, last_stream_id=0, error_code=11, additional_data=b"calm down " * 1600).serialize()


def test_goaway_debug_data_is_an_excerpt_in_the_error_line_and_whole_in_the_frame(wiretool):
    with scripted_server(_goaway_with_debug) as (url, _):
        res = wiretool(["h2", "get", "--json", "--timeout", "20", f"{url}/"])
    assert res.exit_code == 5, res.stderr
    line = res.stderr.strip()
    assert "GOAWAY with ENHANCE_YOUR_CALM" in line and "calm down" in line
    assert len(line) < 400 and "16000 bytes" in line, line[:500]
    goaway = _frames(res, dir="recv", frame_type="GOAWAY")[0]
    assert len(goaway["debug_data"]) == 16000


OSC_TITLE, OSC_CLIPBOARD, CLEAR = "\x1b]0;pwned\x07", "\x1b]52;c;cHduZWQ=\x07", "\x1b[2J"
EVIL = OSC_TITLE + OSC_CLIPBOARD + CLEAR


def _evil_everywhere(conn: Conn, typ: int, flags: int, sid: int, body: bytes) -> bytes:
    if typ != 0x1:
        return b""
    promised = [(":method", "GET" + EVIL), (":scheme", "http"), (":authority", "127.0.0.1" + EVIL),
                (":path", "/p" + EVIL), ("x-promised" , EVIL)]
    headers = [(":status", "200"), ("content-type", "text/plain" + EVIL), ("x-evil", EVIL)]
    return (PushPromiseFrame(sid, promised_stream_id=2, data=conn.enc.encode(promised), flags=["END_HEADERS"])
            .serialize() + conn.response(2, EVIL.encode(), headers) + conn.response(sid, EVIL.encode(), headers)
            + GoAwayFrame(0, last_stream_id=sid, error_code=2, additional_data=EVIL.encode()).serialize())


def test_no_peer_string_reaches_the_terminal_raw_in_h2_get(wiretool):
    for opts in (["--stats"], ["--stats", "--body", "--hpack"], ["--stats", "--hexdump"]):
        with scripted_server(_evil_everywhere) as (url, _):
            res = wiretool(["h2", "get", "--timeout", "20", *opts, f"{url}/"])
        assert res.exit_code == 5, res.stderr.encode()
        shown = res.stdout + res.stderr
        assert "\x1b" not in shown and "\x07" not in shown, shown.encode()
        stats = [line for line in res.stdout.splitlines() if "(pushed)" in line]
        assert stats and "GET\\x1b]0;pwned\\x07" in stats[0], res.stdout  # the pushed :method, escaped


def test_the_servers_101_answer_to_upgrade_has_its_set_cookie_redacted(wiretool, tmp_path):
    head = (b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n"
            b"Set-Cookie: session=S3CRET-COOKIE; HttpOnly\r\n\r\n")
    for opts in (["--json"], []):
        cap = tmp_path / f"up{len(opts)}.wtcap"
        with scripted_server(_answer, upgrade_head=head) as (url, _):
            res = wiretool(["h2", "get", "--upgrade", "--timeout", "20", "--record", str(cap), *opts, f"{url}/"])
        assert res.exit_code == 0, res.stderr
        assert "S3CRET" not in res.stdout and b"S3CRET" not in cap.read_bytes()
        assert b"S3CRET" not in read_capture(cap).stream("recv")
        assert "set-cookie" in res.stdout.lower() and b"set-cookie" in cap.read_bytes().lower()


def _answer_in_pairs(conn: Conn, typ: int, flags: int, sid: int, body: bytes) -> bytes:
    """Hold each request until a second one is open, then answer both (a server at its limit of 2)."""
    if typ != 0x1:
        return b""
    waiting = conn.state.setdefault("waiting", [])
    waiting.append(sid)
    if len(waiting) < 2:
        return b""
    out = b"".join(conn.response(s) for s in waiting)
    waiting.clear()
    return out


def test_one_stream_before_the_servers_settings_then_never_above_its_limit(wiretool):
    with scripted_server(_answer_in_pairs, settings={0x3: 2}, late_settings=True) as (url, _):
        res = wiretool(["h2", "get", "--json", "--timeout", "20", f"{url}/", "--repeat", "4"])
    assert res.exit_code == 0, res.stderr
    frames = [r for r in res.json_lines() if r["type"] == "frame"]
    first_settings = next(i for i, f in enumerate(frames) if f["dir"] == "recv" and f["frame_type"] == "SETTINGS")
    early = [f for f in frames[:first_settings] if f["dir"] == "send" and f["frame_type"] == "HEADERS"]
    assert len(early) == 1, [(f["dir"], f["frame_type"], f["stream_id"]) for f in frames]
    open_streams, most = set(), 0
    for f in frames:
        if f["dir"] == "send" and f["frame_type"] == "HEADERS":
            open_streams.add(f["stream_id"])
        elif f["dir"] == "recv" and "END_STREAM" in f["flags"]:
            open_streams.discard(f["stream_id"])
        most = max(most, len(open_streams))
    assert most == 2
    assert res.json_lines()[-1]["responses"] == 4


def _refuse_the_second(conn: Conn, typ: int, flags: int, sid: int, body: bytes) -> bytes:
    if typ != 0x1:
        return b""
    if sid == 3:  # lowers its limit to 1 and refuses the stream over it
        return (SettingsFrame(0, settings={0x3: 1}).serialize() + RstStreamFrame(3, error_code=7).serialize()
                + conn.response(1))
    return b""


def test_a_stream_refused_over_the_limit_is_named(wiretool):
    with scripted_server(_refuse_the_second, settings={0x3: 2}) as (url, _):
        res = wiretool(["h2", "get", "--json", "--timeout", "20", f"{url}/", "--repeat", "2"])
    assert res.exit_code == 5, res.stderr
    assert ("the server refused stream 3 with REFUSED_STREAM (not processed: 2 stream(s) were open, "
            "its SETTINGS_MAX_CONCURRENT_STREAMS is 1)") in res.stderr
    reset = [r for r in res.json_lines() if r["type"] == "frame" and r["frame_type"] == "RST_STREAM"]
    assert reset[0]["error_code"] == "REFUSED_STREAM"


def _settings_sent(wire_bytes: bytes) -> dict[int, int]:
    """The client's first SETTINGS frame as it crossed the socket (right after the preface)."""
    frame = wire_bytes[len(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"):]
    length, typ = int.from_bytes(frame[:3], "big"), frame[3]
    assert typ == 0x4
    body = frame[9:9 + length]
    return {int.from_bytes(body[i:i + 2], "big"): int.from_bytes(body[i + 2:i + 6], "big") for i in range(0, length, 6)}


def test_only_settings_that_differ_from_the_defaults_go_on_the_wire(wiretool):
    cases = [([], {0x3: 100, 0x6: 65536}),
             (["--no-push", "--window-bits", "16", "--max-frame-size", "16384"], {0x2: 0, 0x3: 100, 0x6: 65536}),
             (["--window-bits", "20", "--max-frame-size", "32768"], {0x3: 100, 0x4: 2**20 - 1, 0x5: 32768, 0x6: 65536})]
    for opts, expected in cases:
        with scripted_server(_answer) as (url, wire):
            res = wiretool(["h2", "get", "--timeout", "20", *opts, f"{url}/"])
            assert wire.done.wait(20)
        assert res.exit_code == 0, res.stderr
        assert _settings_sent(wire.sent_by_client()) == expected, opts


def test_the_upgrade_request_announces_only_settings_that_differ(wiretool):
    import base64

    head = b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
    with scripted_server(_answer, upgrade_head=head) as (url, wire):
        res = wiretool(["h2", "get", "--upgrade", "--timeout", "20", f"{url}/"])
        assert wire.done.wait(20)
    assert res.exit_code == 0, res.stderr
    request = wire.sent_by_client().split(b"\r\n\r\n", 1)[0].decode()
    value = next(line.split(":", 1)[1].strip() for line in request.split("\r\n") if line.startswith("HTTP2-Settings"))
    body = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    assert {int.from_bytes(body[i:i + 2], "big") for i in range(0, len(body), 6)} == {0x3, 0x6}
    after = wire.sent_by_client().split(b"\r\n\r\n", 1)[1]
    assert _settings_sent(after) == {0x3: 100, 0x6: 65536}


def test_a_refused_upgrade_with_a_huge_status_line_is_an_excerpt(wiretool):
    head = b"HTTP/1.1 400 " + b"no " * 10000 + b"\r\n\r\n"
    with scripted_server(_answer, upgrade_head=head) as (url, _):
        res = wiretool(["h2", "get", "--upgrade", "--timeout", "20", f"{url}/"])
    assert res.exit_code == 3, res.stderr[:500]
    line = res.stderr.strip()
    assert "did not upgrade to h2c (HTTP/1.1 400 no no" in line and len(line) < 500, line[:600]


def test_a_userinfo_password_never_reaches_records_view_or_capture(wiretool, tmp_path):
    for opts in (["--json"], []):
        cap = tmp_path / f"pw{len(opts)}.wtcap"
        with scripted_server(_answer) as (url, _):
            secret_url = url.replace("http://", "http://alice:PASSWORD@") + "/"
            res = wiretool(["h2", "get", "--stats", "--timeout", "20", "--record", str(cap), *opts, secret_url])
        assert res.exit_code == 0, res.stderr
        assert "PASSWORD" not in res.stdout + res.stderr and b"PASSWORD" not in cap.read_bytes()
        assert "alice" in res.stdout
