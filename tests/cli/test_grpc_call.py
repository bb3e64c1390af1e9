"""``wiretool h2 grpc`` against a real grpcio Greeter (compiled at test time) and a crafted h2 server."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import run_cli, run_wiretool
from grpc_crafted import crafted_server
from grpc_greeter import greeter_server

HELLO_BOB = "0a03626f62"  # HelloRequest{name: "bob"}


@pytest.fixture(scope="module")
def greeter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    with greeter_server(tmp_path_factory.mktemp("greeter")) as (port, protoset, _pb2):
        yield f"http://127.0.0.1:{port}", str(protoset)


@pytest.fixture(scope="module")
def crafted() -> Iterator[str]:
    with crafted_server() as port:
        yield f"http://127.0.0.1:{port}"


def grpc_records(res, type_: str, **match) -> list[dict]:
    return [r for r in res.json_lines() if r["proto"] == "grpc" and r["type"] == type_
            and all(r.get(k) == v for k, v in match.items())]


def status(res) -> dict:
    (st,) = grpc_records(res, "status")
    return st


def test_unary_call_schema_less_through_the_entry_point(greeter):
    url, _ = greeter
    res = run_wiretool(["h2", "grpc", "--json", url, "/demo.Greeter/SayHello", "--data-hex", HELLO_BOB])
    assert res.exit_code == 0, res.stderr
    recs = res.json_lines()
    sent = next(r for r in recs if r["type"] == "frame" and r["dir"] == "send" and r["frame_type"] == "HEADERS")
    headers = dict(sent["headers"])
    assert headers[":method"] == "POST" and headers[":path"] == "/demo.Greeter/SayHello"
    assert headers["content-type"] == "application/grpc" and headers["te"] == "trailers"
    (reply,) = grpc_records(res, "message", dir="recv")
    assert reply["fields"][0] == {"number": 1, "wire_type": 2, "kind": "string", "value": "hello bob"}
    nested = reply["fields"][1]
    assert nested["number"] == 3 and nested["kind"] == "message"
    assert [(f["number"], f["kind"], f["value"]) for f in nested["value"]] == [(1, "varint", 2**40), (2, "bytes", "00ff")]
    # the message comes right after the DATA frame that completed it, the status after the trailers
    i = recs.index(reply)
    assert recs[i - 1]["frame_type"] == "DATA" and recs[i - 1]["dir"] == "recv"
    st = status(res)
    j = recs.index(st)
    assert recs[j - 1]["frame_type"] == "HEADERS" and "END_STREAM" in recs[j - 1]["flags"]
    assert (st["code"], st["name"], st["source"]) == (0, "OK", "trailers")
    assert recs[-1]["type"] == "summary" and recs[-1]["grpc_status_name"] == "OK" and recs[-1]["exit_code"] == 0


def test_server_streaming_with_protoset_json(greeter):
    url, protoset = greeter
    res = run_wiretool(["h2", "grpc", "--json", url, "/demo.Greeter/StreamHellos", "--protoset", protoset,
                        "-d", '{"name": "ann", "times": 4}'])
    assert res.exit_code == 0, res.stderr
    (req,) = grpc_records(res, "message", dir="send")
    assert req["message_type"] == "demo.HelloRequest" and req["decoded"] == {"name": "ann", "times": 4}
    replies = grpc_records(res, "message", dir="recv")
    assert [r["decoded"]["message"] for r in replies] == [f"hello ann #{i}" for i in range(4)]
    assert {r["message_type"] for r in replies} == {"demo.HelloReply"}
    assert status(res)["name"] == "OK"


def test_reflection_gives_the_schema_in_process(greeter):
    url, _ = greeter
    res = run_cli(["h2", "grpc", url, "/demo.Greeter/SayHello", "--reflect", "-d", '{"name": "r"}', "--json"])
    assert res.exit_code == 0, res.stderr
    (reply,) = grpc_records(res, "message", dir="recv")
    assert reply["decoded"] == {"message": "hello r", "nested": {"big": str(2**40), "blob": "AP8="}}


def test_failure_status_exits_64_plus_code_with_message_percent_decoded(greeter):
    url, _ = greeter
    res = run_wiretool(["h2", "grpc", "--json", url, "/demo.Greeter/Fail", "--data-hex", HELLO_BOB])
    assert res.exit_code == 64 + 5, res.stderr
    st = status(res)
    assert (st["code"], st["name"], st["message"]) == (5, "NOT_FOUND", "no greeting for bob ✓")
    assert st["source"] == "trailers-only"
    err = next(r for r in res.json_lines() if r["type"] == "error")
    assert err["exit_code"] == 69 and "NOT_FOUND" in err["message"]
    assert "grpc-status 5 NOT_FOUND" in res.stderr


def test_unknown_method_is_unimplemented_76(greeter):
    url, _ = greeter
    res = run_wiretool(["h2", "grpc", "--json", url, "/demo.Greeter/Nope"])
    assert res.exit_code == 64 + 12
    assert status(res)["name"] == "UNIMPLEMENTED"


def test_timeout_sends_grpc_timeout_and_ends_deadline_exceeded(greeter):
    url, protoset = greeter
    res = run_wiretool(["h2", "grpc", "--json", url, "/demo.Greeter/Slow", "--protoset", protoset,
                        "-d", '{"delay_ms": 5000}', "--timeout", "0.5"])
    assert res.exit_code == 64 + 4, res.stderr
    sent = next(r for r in res.json_lines() if r["type"] == "frame" and r["frame_type"] == "HEADERS")
    assert dict(sent["headers"])["grpc-timeout"] == "500m"
    assert status(res)["name"] == "DEADLINE_EXCEEDED"


def test_large_reply_split_across_data_frames(greeter):
    url, protoset = greeter
    name = "n" * 40_000
    res = run_wiretool(["h2", "grpc", "--json", url, "/demo.Greeter/SayHello", "--protoset", protoset,
                        "-d", json.dumps({"name": name})])
    assert res.exit_code == 0, res.stderr
    recs = res.json_lines()
    (reply,) = grpc_records(res, "message", dir="recv")
    data_before = [r for r in recs[: recs.index(reply)] if r["type"] == "frame" and r["dir"] == "recv"
                   and r["frame_type"] == "DATA"]
    assert len(data_before) >= 3 and all(f["data_length"] <= 16384 for f in data_before)
    assert reply["decoded"]["message"] == "hello " + name
    # the request went out in several DATA frames too and was reassembled on our side
    (req,) = grpc_records(res, "message", dir="send")
    assert req["length"] > 40_000 and req["decoded"]["name"] == name


def test_compressed_request_and_compressed_replies(tmp_path: Path):
    name = "z" * 2000  # grpcio leaves small messages uncompressed
    with greeter_server(tmp_path, compression="gzip") as (port, protoset, _):
        res = run_wiretool(["h2", "grpc", "--json", f"http://127.0.0.1:{port}", "/demo.Greeter/StreamHellos",
                            "--protoset", str(protoset), "-d", json.dumps({"name": name, "times": 2}),
                            "--compress", "gzip"])
    assert res.exit_code == 0, res.stderr
    sent = next(r for r in res.json_lines() if r["type"] == "frame" and r["frame_type"] == "HEADERS")
    assert dict(sent["headers"])["grpc-encoding"] == "gzip"
    (req,) = grpc_records(res, "message", dir="send")
    assert req["compressed"] and req["decoded"] == {"name": name, "times": 2} and req["length"] < 200
    replies = grpc_records(res, "message", dir="recv")
    assert [r["compressed"] for r in replies] == [True, True]
    assert all(r["length"] < 200 < len(r["payload_hex"]) // 2 for r in replies)  # wire length vs inflated
    assert [r["decoded"]["message"] for r in replies] == [f"hello {name} #0", f"hello {name} #1"]
    assert not any(r["violations"] for r in replies)


def test_binary_metadata_is_base64_unpadded(greeter):
    url, _ = greeter
    res = run_wiretool(["h2", "grpc", "--json", url, "/demo.Greeter/SayHello", "-H", "x-trace-bin:ab",
                        "-H", "x-plain:v"])
    assert res.exit_code == 0, res.stderr
    sent = next(r for r in res.json_lines() if r["type"] == "frame" and r["frame_type"] == "HEADERS")
    headers = dict(sent["headers"])
    assert headers["x-trace-bin"] == base64.b64encode(b"ab").decode().rstrip("=") == "YWI"
    assert headers["x-plain"] == "v"


def test_no_frames_shows_only_grpc_records(greeter):
    url, _ = greeter
    res = run_wiretool(["h2", "grpc", "--json", url, "/demo.Greeter/StreamHellos", "--no-frames"])
    assert res.exit_code == 0
    kinds = [(r["proto"], r["type"]) for r in res.json_lines()]
    assert kinds == [("grpc", "message")] * 4 + [("grpc", "status"), ("grpc", "summary")]


def test_pretty_view_names_status_and_shows_fields(greeter):
    url, _ = greeter
    res = run_wiretool(["h2", "grpc", url, "/demo.Greeter/Fail", "--data-hex", HELLO_BOB])
    assert res.exit_code == 69
    assert "send gRPC MESSAGE <length=5, compressed=no, stream_id=1>" in res.stdout
    assert '1: "bob"' in res.stdout
    assert "gRPC STATUS 5 NOT_FOUND: no greeting for bob ✓ <trailers-only, stream_id=1>" in res.stdout


# -- crafted answers -----------------------------------------------------------------------------
def test_one_message_one_byte_per_data_frame(crafted):
    res = run_wiretool(["h2", "grpc", "--json", crafted, "/crafted.S/Split"])
    assert res.exit_code == 0, res.stderr
    recs = res.json_lines()
    data = [r for r in recs if r["type"] == "frame" and r["dir"] == "recv" and r["frame_type"] == "DATA"]
    assert [f["data_length"] for f in data] == [1] * 12
    (msg,) = grpc_records(res, "message", dir="recv")
    assert recs.index(msg) == recs.index(data[-1]) + 1  # completed by the last byte
    assert msg["fields"][0]["value"] == "world"


def test_several_messages_in_one_data_frame(crafted):
    res = run_wiretool(["h2", "grpc", "--json", crafted, "/crafted.S/Several"])
    assert res.exit_code == 0, res.stderr
    recs = res.json_lines()
    (data,) = [r for r in recs if r["type"] == "frame" and r["dir"] == "recv" and r["frame_type"] == "DATA"]
    i = recs.index(data)
    assert [(r["type"], r["dir"]) for r in recs[i + 1 : i + 4]] == [("message", "recv")] * 3


@pytest.mark.parametrize("method", ["Gzip", "Deflate"])
def test_compressed_crafted_messages_inflate(crafted, method):
    res = run_wiretool(["h2", "grpc", "--json", crafted, f"/crafted.S/{method}"])
    assert res.exit_code == 0, res.stderr
    (msg,) = grpc_records(res, "message", dir="recv")
    assert msg["compressed"] and msg["payload_hex"] == "0a05776f726c64" and not msg["violations"]


@pytest.mark.parametrize(("code", "status_name", "number"), [
    ("REFUSED_STREAM", "UNAVAILABLE", 14), ("CANCEL", "CANCELLED", 1), ("ENHANCE_YOUR_CALM", "RESOURCE_EXHAUSTED", 8),
    ("INADEQUATE_SECURITY", "PERMISSION_DENIED", 7), ("INTERNAL_ERROR", "INTERNAL", 13), ("NO_ERROR", "INTERNAL", 13),
])
def test_rst_stream_maps_to_grpc_status(crafted, code, status_name, number):
    res = run_wiretool(["h2", "grpc", "--json", crafted, f"/crafted.S/Reset_{code}"])
    assert res.exit_code == 64 + number, res.stderr
    st = status(res)
    assert (st["name"], st["source"]) == (status_name, "rst_stream")
    assert code in st["message"]


@pytest.mark.parametrize(("http", "number"), [("404", 12), ("503", 14), ("401", 16), ("500", 2)])
def test_non_200_http_status_maps_to_grpc_status(crafted, http, number):
    res = run_wiretool(["h2", "grpc", "--json", crafted, f"/crafted.S/Http_{http}"])
    assert res.exit_code == 64 + number
    st = status(res)
    assert st["code"] == number and st["source"] == "http-status"
    assert not grpc_records(res, "message", dir="recv")  # the error page is not read as gRPC messages


def test_trailers_without_status_are_unknown(crafted):
    res = run_wiretool(["h2", "grpc", "--json", crafted, "/crafted.S/NoStatus"])
    assert res.exit_code == 64 + 2
    assert (status(res)["name"], status(res)["source"]) == ("UNKNOWN", "missing")


def test_4gb_length_prefix_is_reported_not_allocated(crafted):
    res = run_wiretool(["h2", "grpc", "--json", crafted, "/crafted.S/Huge"])
    assert res.exit_code == 5
    (msg,) = grpc_records(res, "message", dir="recv")
    assert msg["length"] == 0xFFFFFFFF and [v["code"] for v in msg["violations"]] == ["grpc-too-large"]


def test_hostile_text_prints_escaped(crafted):
    res = run_wiretool(["h2", "grpc", crafted, "/crafted.S/Ansi"])
    assert res.exit_code == 64 + 7
    assert "\x1b" not in res.stdout and "\x1b" not in res.stderr
    assert '2: "[bold]y[/bold]"' in res.stdout  # markup printed as text
    assert "1: bytes 1b5b33316d" in res.stdout  # a string with escapes is shown as bytes
    assert "gRPC STATUS 7 PERMISSION_DENIED: \\x1b[2Jgone[/]" in res.stdout


def test_osc_and_csi_in_every_field_the_server_sets_print_escaped(crafted):
    for opts in ([], ["--hexdump"]):
        res = run_wiretool(["h2", "grpc", crafted, "/crafted.S/Osc", *opts])
        assert res.exit_code == 64 + 13, res.stderr.encode()
        shown = res.stdout + res.stderr
        assert "\x1b" not in shown and "\x07" not in shown, shown.encode()
        assert "x-evil: \\x1b]0;pwned\\x07" in res.stdout
        assert "gRPC STATUS 13 INTERNAL: \\x1b]0;pwned\\x07" in res.stdout


def test_a_long_grpc_message_is_an_excerpt_in_the_error_line_and_whole_in_the_status(crafted):
    res = run_wiretool(["h2", "grpc", "--json", crafted, "/crafted.S/Long"])
    assert res.exit_code == 64 + 13
    assert len(status(res)["message"]) == 16000
    line = res.stderr.strip()
    assert len(line) < 400 and line.endswith("(16000 characters in all)"), line[:500]


def test_percent_decoded_message_with_newline_stays_on_one_line(crafted):
    res = run_wiretool(["h2", "grpc", "--json", crafted, "/crafted.S/Percent"])
    assert res.exit_code == 64 + 3
    assert status(res)["message"] == "bad ✓\nnext"
    assert "bad ✓\\nnext" in res.stderr


# -- usage -----------------------------------------------------------------------------------------
def test_json_data_without_schema_is_a_usage_error(greeter):
    url, _ = greeter
    res = run_cli(["h2", "grpc", url, "/demo.Greeter/SayHello", "-d", '{"name": "x"}'])
    assert res.exit_code == 2 and "--protoset" in res.stderr


def test_unknown_method_in_protoset_lists_the_methods(greeter):
    url, protoset = greeter
    res = run_cli(["h2", "grpc", url, "/demo.Greeter/Nope", "--protoset", protoset])
    assert res.exit_code == 2 and "SayHello" in res.stderr


@pytest.mark.parametrize("args", [["nope"], ["/demo.Greeter/SayHello", "--data-hex", "zz"],
                                  ["/demo.Greeter/SayHello", "--protoset", "/dev/null", "-d", "{bad"],
                                  ["/demo.Greeter/SayHello", "--protoset", "/dev/null", "--reflect"]])
def test_bad_input_is_exit_2(greeter, args):
    url, _ = greeter
    res = run_cli(["h2", "grpc", url, *args])
    assert res.exit_code == 2, res.stderr
    assert "Traceback" not in res.stderr


def test_reflection_refused_is_clear(crafted):
    res = run_cli(["h2", "grpc", crafted, "/crafted.S/Split", "--reflect"])
    assert res.exit_code == 4
    assert "server reflection failed" in res.stderr and "--protoset" in res.stderr


# -- the same view in h2 get and frame decode --------------------------------------------------------
def test_h2_get_shows_grpc_messages_of_an_application_grpc_stream(greeter, tmp_path):
    url, _ = greeter
    body = tmp_path / "req.bin"
    body.write_bytes(b"\x00\x00\x00\x00\x05" + bytes.fromhex(HELLO_BOB))
    res = run_wiretool(["h2", "get", "--json", f"{url}/demo.Greeter/SayHello", "-X", "POST", "-d", f"@{body}",
                        "-H", "content-type:application/grpc", "-H", "te:trailers"])
    assert res.exit_code == 0, res.stderr
    assert grpc_records(res, "message", dir="send")[0]["fields"][0]["value"] == "bob"
    assert grpc_records(res, "message", dir="recv")[0]["fields"][0]["value"] == "hello bob"
    assert status(res)["name"] == "OK"


def test_frame_decode_of_a_captured_grpc_session(greeter):
    url, _ = greeter
    live = run_wiretool(["h2", "grpc", "--json", url, "/demo.Greeter/StreamHellos", "--hexdump",
                         "--data-hex", HELLO_BOB])
    assert live.exit_code == 0, live.stderr
    for direction, expected in (("recv", 3), ("send", 1)):
        raw = "".join(r["hex"] for r in live.json_lines() if r["type"] == "bytes" and r["dir"] == direction)
        res = run_wiretool(["frame", "decode", "--proto", "h2", "--json", raw])
        assert res.exit_code == 0, res.stderr
        msgs = grpc_records(res, "message")
        assert len(msgs) == expected
        assert res.json_lines()[-1]["grpc_messages"] == expected
    assert [m["fields"][0]["value"] for m in msgs] == ["bob"]
    recv_raw = "".join(r["hex"] for r in live.json_lines() if r["type"] == "bytes" and r["dir"] == "recv")
    pretty = run_wiretool(["frame", "decode", "--proto", "h2", recv_raw])
    assert "gRPC STATUS 0 OK <trailers" in pretty.stdout and '1: "hello bob #2"' in pretty.stdout


# -- request sources -------------------------------------------------------------------------------
def test_data_file_raw_and_framed(greeter, tmp_path):
    url, _ = greeter
    raw, framed = tmp_path / "raw.bin", tmp_path / "framed.bin"
    raw.write_bytes(bytes.fromhex(HELLO_BOB))
    framed.write_bytes(b"\x00\x00\x00\x00\x05" + bytes.fromhex(HELLO_BOB))
    for args in (["--data-file", str(raw)], ["--data-file", str(framed), "--framed"]):
        res = run_wiretool(["h2", "grpc", "--json", url, "/demo.Greeter/SayHello", *args])
        assert res.exit_code == 0, res.stderr
        (req,) = grpc_records(res, "message", dir="send")
        assert req["payload_hex"] == HELLO_BOB
        assert grpc_records(res, "message", dir="recv")[0]["fields"][0]["value"] == "hello bob"


def test_json_lines_from_stdin_are_several_messages(greeter):
    url, protoset = greeter
    res = run_wiretool(["h2", "grpc", "--json", url, "/demo.Greeter/SayHello", "--protoset", protoset, "-d", "-"],
                       input='{"name": "a"}\n{"name": "b"}\n')
    assert res.exit_code == 0, res.stderr
    assert [m["decoded"] for m in grpc_records(res, "message", dir="send")] == [{"name": "a"}, {"name": "b"}]


def test_schema_without_protobuf_installed_is_a_clear_usage_error(greeter, monkeypatch):
    import sys

    url, protoset = greeter
    monkeypatch.setitem(sys.modules, "google.protobuf", None)
    res = run_cli(["h2", "grpc", url, "/demo.Greeter/SayHello", "--protoset", protoset])
    assert res.exit_code == 2
    assert "wiretool[grpc]" in res.stderr and "Traceback" not in res.stderr


def test_help_does_not_import_heavy_modules():
    code = ("import sys; from wiretool.cli.main import run; run(['h2', 'grpc', '--help']); "
            "bad = [m for m in ('h2.connection', 'asyncio', 'google.protobuf', 'grpc') if m in sys.modules]; "
            "print('BAD', bad)")
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert "grpc-status N" in out and "BAD []" in out


def test_call_over_tls_with_alpn_h2(tmp_path):
    import trustme

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    chain = b"".join(blob.bytes() for blob in cert.cert_chain_pems)
    with greeter_server(tmp_path, tls=(cert.private_key_pem.bytes(), chain)) as (port, _, _pb2):
        url = f"https://127.0.0.1:{port}"
        res = run_wiretool(["h2", "grpc", "--json", url, "/demo.Greeter/SayHello", "--reflect", "-d", '{"name": "tls"}',
                            "--cacert", str(ca_file)])
        untrusted = run_wiretool(["h2", "grpc", "--json", url, "/demo.Greeter/SayHello"])
    assert res.exit_code == 0, res.stderr
    connect = next(r for r in res.json_lines() if r["type"] == "connect")
    assert connect["tls"] and connect["alpn"] == "h2"
    assert grpc_records(res, "message", dir="recv")[0]["decoded"]["message"] == "hello tls"
    assert untrusted.exit_code == 3


def test_stats_with_no_frames(crafted):
    res = run_wiretool(["h2", "grpc", "--json", crafted, "/crafted.S/Several", "--stats", "--no-frames"])
    assert res.exit_code == 0, res.stderr
    (stream,) = [r for r in res.json_lines() if r["type"] == "stream"]
    assert stream["url"] == f"{crafted}/crafted.S/Several" and stream["status"] == 200 and stream["outcome"] == "ok"
    assert {r["proto"] for r in res.json_lines()} == {"grpc", "h2"}
    assert not [r for r in res.json_lines() if r["type"] == "frame"]


def test_record_keeps_frames_bytes_and_grpc_records(crafted, tmp_path):
    capture = tmp_path / "call.ndjson"
    res = run_wiretool(["h2", "grpc", crafted, "/crafted.S/Several", "--record", str(capture), "--no-frames"])
    assert res.exit_code == 0, res.stderr
    from wiretool.capture.file import read_capture

    recs = run_wiretool(["frame", "decode", "--capture", str(capture), "--json"]).json_lines()  # rebuilt from bytes
    assert sum(r["proto"] == "grpc" and r["type"] == "message" and r["dir"] == "recv" for r in recs) == 3
    assert any(r["type"] == "frame" for r in recs)  # --no-frames hides them on screen, not in the capture
    assert {c.dir for c in read_capture(capture).chunks} == {"send", "recv"}
