"""``wiretool frame decode``: input forms, --json records, exit codes, terminal safety; in-process and installed."""

from __future__ import annotations

import base64

import pytest

from wiretool.codec.wsframe import build_frame

MASKED_HELLO_HEX = "81 85 37 fa 21 3d 7f 9f 4d 51 58"
MASKED_HELLO = bytes.fromhex(MASKED_HELLO_HEX)


def test_valid_frame_json_exit_0(wiretool) -> None:
    r = wiretool(["frame", "decode", MASKED_HELLO_HEX, "--from", "client", "--json"])
    assert r.exit_code == 0, r.stderr
    frame, message, summary = r.json_lines()
    assert (frame["type"], frame["opcode_name"], frame["payload_text"], frame["mask_key"], frame["violations"]) == \
        ("frame", "TEXT", "Hello", "37fa213d", [])
    assert (message["type"], message["text"]) == ("message", "Hello")
    assert (summary["type"], summary["exit_code"], summary["frames"], summary["messages"], summary["violations"],
            summary["bytes"]) == ("summary", 0, 1, 1, 0, 11)


CONTRACT_WS_FRAME = ("proto", "type", "t", "dir", "fin", "rsv1", "rsv2", "rsv3", "opcode", "opcode_name", "masked",
                     "mask_key", "length", "length_bits", "header_length", "payload_hex", "payload_text", "close_code",
                     "close_reason", "violations", "offset")
"""The ws ``frame`` fields shared/ARCHITECTURE.md names (every record: proto, type, t; traffic: dir)."""


@pytest.mark.parametrize(("args", "direction"), [([], "recv"), (["--from", "server"], "recv"),
                                                 (["--from", "client"], "send")])
def test_the_frame_record_has_every_contract_field_and_a_direction(wiretool, args: list[str], direction: str) -> None:
    # a server's unmasked TEXT "Hello"; --from client also names it (client-unmasked), still a frame record
    r = wiretool(["frame", "decode", "810548656c6c6f", "--json", *args])
    frames = [rec for rec in r.json_lines() if rec["type"] == "frame"]
    assert len(frames) == 1, r.stdout
    frame = frames[0]
    assert [name for name in CONTRACT_WS_FRAME if name not in frame] == []
    assert (frame["proto"], frame["dir"], frame["opcode_name"], frame["payload_text"], frame["offset"]) == \
        ("ws", direction, "TEXT", "Hello", 0)


def test_violation_exit_5(wiretool) -> None:
    r = wiretool(["--json", "frame", "decode", "8105", "48656c6c6f", "--from", "client"])
    assert r.exit_code == 5
    frame = r.json_lines()[0]
    assert [v["code"] for v in frame["violations"]] == ["client-unmasked"]
    assert frame["violations"][0]["rfc"] == "RFC 6455 §5.1"
    assert r.json_lines()[-1]["exit_code"] == 5


@pytest.mark.parametrize("bad", ["zz", "810", "81 0g"])
def test_malformed_hex_exit_2_one_line(wiretool, bad: str) -> None:
    r = wiretool(["frame", "decode", bad])
    assert r.exit_code == 2
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("wiretool: error: invalid hex input")
    assert "Traceback" not in r.stderr


def test_no_input_is_a_usage_error(cli) -> None:
    r = cli(["frame", "decode"])
    assert r.exit_code == 2 and "no input" in r.stderr


def test_missing_file_is_a_usage_error(cli, tmp_path) -> None:
    r = cli(["frame", "decode", "--file", str(tmp_path / "nope.bin")])
    assert r.exit_code == 2 and "cannot read" in r.stderr


@pytest.mark.parametrize("text", ["81:85:37:fa:21:3d:7f:9f:4d:51:58", "0x81 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58",
                                  "\\x81\\x85\\x37\\xfa\\x21\\x3d\\x7f\\x9f\\x4d\\x51\\x58",
                                  "8185 37fa213d\n7f9f4d5158"])
def test_hex_forms_tolerated(cli, text: str) -> None:
    r = cli(["--json", "frame", "decode", text])
    assert r.exit_code == 0, r.stderr
    assert r.json_lines()[0]["payload_text"] == "Hello"


def test_base64_from_stdin_and_file(cli, tmp_path) -> None:
    b64 = base64.b64encode(MASKED_HELLO).decode()
    r = cli(["frame", "decode", "--encoding", "base64", "-", "--json"], input=b64 + "\n")
    assert r.exit_code == 0 and r.json_lines()[0]["payload_text"] == "Hello"
    path = tmp_path / "frame.bin"
    path.write_bytes(MASKED_HELLO + build_frame(9, b"ping"))
    r = cli(["frame", "decode", "--file", str(path), "--encoding", "raw", "--json"])
    lines = r.json_lines()
    assert r.exit_code == 0 and [x.get("opcode_name") for x in lines] == ["TEXT", "TEXT", "PING", None]
    assert lines[2]["offset"] == 11


def test_invalid_base64_exit_2(cli) -> None:
    r = cli(["frame", "decode", "--encoding", "base64", "!!!"])
    assert r.exit_code == 2 and "invalid base64" in r.stderr


def test_truncated_input_exit_5_with_missing_bytes(cli) -> None:
    r = cli(["frame", "decode", "81 85 37 fa 21 3d 7f", "--json"])
    assert r.exit_code == 5
    frame = r.json_lines()[0]
    assert frame["truncated"] and frame["missing"] == 4
    assert frame["violations"][0]["code"] == "truncated-frame"


def test_deflate_option_inflates(cli) -> None:
    from wiretool.codec.wsdeflate import deflate_message

    wire = build_frame(1, deflate_message(b"squeezed text"), rsv1=True)
    r = cli(["frame", "decode", wire.hex(), "--deflate", "--json"])
    assert r.exit_code == 0, r.stdout
    message = r.json_lines()[1]
    assert message["text"] == "squeezed text" and message["compressed"] and message["inflated"]
    r = cli(["frame", "decode", wire.hex(), "--json"])
    assert r.exit_code == 5  # RSV1 without the extension


def test_global_options_before_and_after_subcommand_agree(wiretool) -> None:
    before = wiretool(["--json", "frame", "decode", MASKED_HELLO_HEX])
    middle = wiretool(["frame", "--json", "decode", MASKED_HELLO_HEX])
    after = wiretool(["frame", "decode", MASKED_HELLO_HEX, "--json"])
    strip = [{k: v for k, v in d.items() if k != "t"} for d in before.json_lines()]
    for r in (middle, after):
        assert r.exit_code == 0
        assert [{k: v for k, v in d.items() if k != "t"} for d in r.json_lines()] == strip


def test_pretty_view_shows_fields_and_violations(cli) -> None:
    wire = build_frame(8, (1000).to_bytes(2, "big") + b"bye") + build_frame(3, b"", rsv2=True)
    r = cli(["frame", "decode", wire.hex(), "--color", "never"])
    assert r.exit_code == 5
    assert "CLOSE" in r.stdout and "close code 1000 NORMAL_CLOSURE" in r.stdout and "'bye'" in r.stdout
    assert "RESERVED_3" in r.stdout
    assert "✗ reserved-opcode [RFC 6455 §5.2]" in r.stdout
    assert "✗ rsv-without-extension [RFC 6455 §5.2]" in r.stdout
    assert "summary exit=5" in r.stdout


def test_pretty_view_binary_payload_is_a_hexdump(cli) -> None:
    r = cli(["frame", "decode", build_frame(2, b"\x00\x01\xffABC").hex()])
    assert "00 01 ff 41 42 43" in r.stdout and "...ABC" in r.stdout


def test_terminal_safety_ansi_and_markup_print_escaped(wiretool) -> None:
    evil = "\x1b[31mred\x1b]0;pwned\x07 [bold]loud[/bold] \x1b[2J"
    wire = build_frame(1, evil.encode())
    r = wiretool(["frame", "decode", wire.hex()], env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert r.exit_code == 0
    assert "\\x1b[31mred\\x1b]0;pwned\\x07 [bold]loud[/bold] \\x1b[2J" in r.stdout
    # the only escape sequences are the SGR colours wiretool itself emits; the payload's never appear raw
    assert "\x1b]0;" not in r.stdout and "\x07" not in r.stdout and "\x1b[2J" not in r.stdout
    assert "\x1b[31mred" not in r.stdout


def test_json_mode_imports_neither_rich_nor_websockets(wiretool) -> None:
    import subprocess
    import sys

    code = ("import sys; from wiretool.cli.main import run; "
            "rc = run(['frame', 'decode', '818537fa213d7f9f4d5158', '--json']); "
            "print([m for m in sys.modules if m.split('.')[0] in ('rich', 'websockets') "
            "and m != 'websockets.speedups'], rc, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stderr.strip().splitlines()[-1] == "[] 0"


def test_h2_proto_is_dispatched(cli) -> None:
    # an HTTP/2 SETTINGS frame (empty): the h2 decoder, written elsewhere, takes over
    r = cli(["frame", "decode", "--proto", "h2", "000000040000000000", "--json"])
    assert r.exit_code in (0, 5), r.stderr
    assert any(d.get("proto") == "h2" for d in r.json_lines())


@pytest.mark.parametrize("args", [["--proto", "h2", "--from", "client"], ["--proto", "h2", "--deflate"],
                                  ["--hpack"]])
def test_options_of_the_other_protocol_are_usage_errors(cli, args: list[str]) -> None:
    r = cli(["frame", "decode", "000000040000000000", *args])
    assert r.exit_code == 2 and "only" in r.stderr
