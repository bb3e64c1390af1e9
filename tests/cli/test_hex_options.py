"""Every option that takes hex reads it as ``frame decode`` does (one parser, codec/hexbytes.py).

``frame decode 81,05`` always worked; ``ws connect --send-hex 81,05``, ``/binary 81,05`` and
``h2 grpc --data-hex 0a,03,...`` were usage errors before there was one parser.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ServeProcess, run_cli, run_wiretool
from grpc_greeter import greeter_server

from wiretool.transport.ws_input import parse_command

PASTED = "74,68:72 0x65"  # "thre", as a list, Wireshark and a Python repr would give it


@pytest.fixture
def echo_server() -> Iterator[ServeProcess]:
    server = ServeProcess("ws")
    yield server
    server.stop()


def test_frame_decode_reads_a_comma_list() -> None:
    res = run_cli(["frame", "decode", "81,05,48,65,6c,6c,6f", "--json"])
    assert res.exit_code == 0, res.stderr
    assert res.json_lines()[0]["payload_text"] == "Hello"


def test_ws_send_hex_reads_what_frame_decode_reads(echo_server: ServeProcess) -> None:
    res = run_wiretool(["ws", "connect", echo_server.url, "--send-hex", PASTED, "--count", "1", "--json",
                        "--show", "messages"])
    assert res.exit_code == 0, res.stderr
    got = [m for m in res.json_lines() if m["type"] == "message" and m["dir"] == "recv"]
    assert [bytes.fromhex(m["hex"]) if "hex" in m else m["text"].encode() for m in got] == [b"thre"]


def test_binary_command_reads_what_frame_decode_reads() -> None:
    assert parse_command(f"/binary {PASTED}").data == b"thre"
    assert parse_command("/raw \\x81\\x00").data == b"\x81\x00"


def test_grpc_data_hex_reads_what_frame_decode_reads(tmp_path: Path) -> None:
    with greeter_server(tmp_path) as (port, _protoset, _pb2):
        res = run_wiretool(["h2", "grpc", "--json", f"http://127.0.0.1:{port}", "/demo.Greeter/SayHello",
                            "--data-hex", "0a,03,62,6f,62"])
    assert res.exit_code == 0, res.stderr
    reply = next(r for r in res.json_lines() if r["proto"] == "grpc" and r["type"] == "message" and r["dir"] == "recv")
    assert reply["fields"][0]["value"] == "hello bob"


@pytest.mark.parametrize("argv", [["ws", "connect", "ws://127.0.0.1:9", "--send-hex", "zz"],
                                  ["frame", "decode", "81 0"]])
def test_what_is_not_hex_is_a_usage_error(argv: list[str]) -> None:
    res = run_cli(argv)
    assert res.exit_code == 2 and "Traceback" not in res.stderr
