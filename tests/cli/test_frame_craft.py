"""``wiretool frame craft``: every option, output encodings, and the exact craft | decode round trip."""

from __future__ import annotations

import base64
import json
import os
import subprocess

import pytest
from conftest import WIRETOOL
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.codec.wsframe import build_frame, fragment_frames


def craft_hex(cli, *args: str) -> bytes:
    r = cli(["frame", "craft", *args])
    assert r.exit_code == 0, r.stderr
    return bytes.fromhex(r.stdout.replace("\n", ""))


def test_rfc_masked_hello(cli) -> None:
    assert craft_hex(cli, "--payload", "Hello", "--mask-key", "37fa213d") == bytes.fromhex("818537fa213d7f9f4d5158")


@pytest.mark.parametrize(("args", "expected"), [
    (["--opcode", "binary", "--payload-hex", "00ff"], build_frame(2, b"\x00\xff")),
    (["--opcode", "ping", "--payload", "p"], build_frame(9, b"p")),
    (["--opcode", "pong"], build_frame(10)),
    (["--opcode", "cont", "--payload", "x", "--no-fin"], build_frame(0, b"x", fin=False)),
    (["--opcode", "13", "--payload", "x"], build_frame(13, b"x")),
    (["--opcode", "0x3"], build_frame(3)),
    (["--close-code", "1000", "--close-reason", "bye"], build_frame(8, b"\x03\xe8bye")),
    (["--opcode", "close", "--payload-hex", "03"], build_frame(8, b"\x03")),
    (["--rsv1", "--rsv2", "--rsv3", "--payload", "r"], build_frame(1, b"r", rsv1=True, rsv2=True, rsv3=True)),
    (["--payload", "abc", "--length-bits", "64"], build_frame(1, b"abc", length_bits=64)),
    (["--payload", "abc", "--length-bits", "16"], build_frame(1, b"abc", length_bits=16)),
    (["--payload", "abc", "--length", "200"], build_frame(1, b"abc", length=200)),
    (["--payload", "abc", "--mask-key", "01020304", "--mask"], build_frame(1, b"abc", mask_key=b"\x01\x02\x03\x04")),
    (["--payload", "abcdefg", "--fragment", "3"], b"".join(fragment_frames(1, b"abcdefg", 3))),
])
def test_options_build_the_expected_bytes(cli, args: list[str], expected: bytes) -> None:
    assert craft_hex(cli, *args) == expected


def test_mask_without_key_picks_a_random_key_and_decodes_back(cli) -> None:
    wire = craft_hex(cli, "--payload", "secret", "--mask")
    assert wire[1] & 0x80 and len(wire) == 2 + 4 + 6
    r = cli(["frame", "decode", wire.hex(), "--from", "client", "--json"])
    assert r.exit_code == 0 and r.json_lines()[0]["payload_text"] == "secret"


def test_payload_file_and_base64_output(cli, tmp_path) -> None:
    path = tmp_path / "body.bin"
    path.write_bytes(b"\x00\x01binary")
    r = cli(["frame", "craft", "--opcode", "binary", "--payload-file", str(path), "--out", "base64"])
    assert r.exit_code == 0
    assert base64.b64decode(r.stdout.strip()) == build_frame(2, b"\x00\x01binary")


def test_fragments_print_one_hex_line_per_frame(cli) -> None:
    r = cli(["frame", "craft", "--payload", "abcdefg", "--fragment", "3"])
    assert r.stdout.splitlines() == [f.hex() for f in fragment_frames(1, b"abcdefg", 3)]


@pytest.mark.parametrize(("args", "message"), [
    (["--opcode", "16"], "0-15"),
    (["--opcode", "bogus"], "invalid --opcode"),
    (["--payload", "a", "--payload-hex", "00"], "at most one"),
    (["--mask-key", "0102"], "4 bytes"),
    (["--mask-key", "01020304", "--no-mask"], "contradicts"),
    (["--payload", "x" * 200, "--length-bits", "7"], "does not fit"),
    (["--close-reason", "x"], "needs --close-code"),
    (["--payload-hex", "zz"], "invalid hex"),
])
def test_bad_options_exit_2_with_one_line(cli, args: list[str], message: str) -> None:
    r = cli(["frame", "craft", *args])
    assert r.exit_code == 2 and message in r.stderr and r.stdout == ""


def test_json_output_is_a_crafted_record_and_a_summary(wiretool) -> None:
    r = wiretool(["frame", "craft", "--payload", "hi", "--json"])
    crafted, summary = r.json_lines()
    assert (crafted["type"], crafted["hex"], crafted["frames"], crafted["length"]) == ("crafted", "81026869", 1, 4)
    assert (summary["type"], summary["exit_code"]) == ("summary", 0)


@pytest.mark.parametrize("args", [
    ["--payload", "Hello"],
    ["--opcode", "binary", "--payload-hex", "00 ff 7f 80 0a 0d 1b", "--mask-key", "deadbeef"],
    ["--payload", "x" * 70000, "--mask"],
    ["--opcode", "7", "--rsv2", "--length-bits", "64", "--payload", "broken"],
    ["--payload", "fragmented message", "--fragment", "5", "--mask"],
])
def test_craft_raw_pipes_into_decode_raw_exactly(args: list[str]) -> None:
    """``frame craft ... --out raw | frame decode --encoding raw -`` round-trips exactly."""
    env = {**os.environ, "NO_COLOR": "1"}
    craft = subprocess.run([WIRETOOL, "frame", "craft", *args, "--out", "raw"], capture_output=True, env=env,
                           timeout=60, check=True)
    hexed = subprocess.run([WIRETOOL, "frame", "craft", *args], capture_output=True, env=env, timeout=60,
                           check=True)
    raw = craft.stdout
    if "--mask" not in args:  # random keys differ between runs; otherwise the encodings agree byte for byte
        assert raw == bytes.fromhex(hexed.stdout.decode().replace("\n", ""))
    pipe = subprocess.run(f"'{WIRETOOL}' frame craft {' '.join(_q(a) for a in args)} --out raw | "
                          f"'{WIRETOOL}' frame decode --encoding raw - --json", shell=True, capture_output=True,
                          env=env, timeout=60)
    records = [json.loads(line) for line in pipe.stdout.decode().splitlines()]
    frames = [r for r in records if r["type"] == "frame"]
    summary = records[-1]
    assert summary["type"] == "summary" and summary["bytes"] == len(raw)
    assert sum(f["header_length"] + f["length"] for f in frames) == len(raw)
    payload = b"".join(bytes.fromhex(f["payload_hex"]) for f in frames)
    expected = _payload_of(args)
    assert payload == expected
    assert pipe.returncode == (5 if "--rsv2" in args else 0)


def _q(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


def _payload_of(args: list[str]) -> bytes:
    if "--payload" in args:
        return args[args.index("--payload") + 1].encode()
    return bytes.fromhex(args[args.index("--payload-hex") + 1].replace(" ", ""))


def test_raw_output_refuses_a_terminal() -> None:
    import pty

    pid, fd = pty.fork()
    if pid == 0:  # child: stdout is the pty
        os.execv(WIRETOOL, [WIRETOOL, "frame", "craft", "--payload", "x", "--out", "raw"])
    output = b""
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 2
    assert b"refusing to write raw bytes to a terminal" in output


_opcodes = st.sampled_from(["text", "binary", "ping", "pong", "cont", "close", "3", "11"])


@settings(deadline=None, max_examples=25)
@given(_opcodes, st.binary(max_size=200), st.booleans(), st.booleans(), st.booleans(),
       st.one_of(st.none(), st.binary(min_size=4, max_size=4)), st.sampled_from([None, "16", "64"]),
       st.one_of(st.none(), st.integers(min_value=1, max_value=50)))
def test_craft_cli_then_decode_cli_round_trip(opcode, payload, no_fin, rsv1, rsv3, key, bits, fragment) -> None:
    from conftest import run_cli

    args = ["frame", "craft", "--opcode", opcode, "--payload-hex", payload.hex() or "", "--json"]
    args += ["--no-fin"] * no_fin + ["--rsv1"] * rsv1 + ["--rsv3"] * rsv3
    if key is not None:
        args += ["--mask-key", key.hex()]
    if bits is not None:
        args += ["--length-bits", bits]
    if fragment is not None:
        args += ["--fragment", str(fragment)]
    crafted = run_cli(args)
    assert crafted.exit_code == 0, crafted.stderr
    record = crafted.json_lines()[0]
    decoded = run_cli(["frame", "decode", record["hex"], "--json"])
    frames = [d for d in decoded.json_lines() if d["type"] == "frame"]
    assert len(frames) == record["frames"]
    assert b"".join(bytes.fromhex(f["payload_hex"]) for f in frames) == payload
    assert all(f["rsv1"] == (rsv1 and i == 0) and f["rsv3"] == rsv3 for i, f in enumerate(frames))
    assert all(f["mask_key"] == (key.hex() if key else None) for f in frames)
    assert frames[-1]["fin"] == (not no_fin)
    assert decoded.exit_code == (5 if any(f["violations"] for f in frames) else 0)
