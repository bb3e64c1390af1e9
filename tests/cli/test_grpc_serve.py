"""``serve h2``'s gRPC Echo route and the "grpc" demo part: ``h2 grpc`` with no grpcio anywhere."""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
from collections.abc import Iterator

import pytest
from conftest import WIRETOOL, run_cli, run_wiretool


@pytest.fixture(scope="module")
def serve_url() -> Iterator[str]:
    proc = subprocess.Popen([WIRETOOL, "--json", "serve", "h2", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    first = json.loads(proc.stdout.readline())
    assert first["type"] == "listening"
    yield first["url"].rstrip("/")
    proc.terminate()
    proc.wait(10)


def grpc_records(res, type_: str, **match) -> list[dict]:
    return [r for r in res.json_lines() if r["proto"] == "grpc" and r["type"] == type_
            and all(r.get(k) == v for k, v in match.items())]


def test_echo_returns_each_message_and_inflates_compressed_ones(serve_url):
    res = run_wiretool(["h2", "grpc", "--json", serve_url, "/wiretool.Echo/Echo", "--data-hex", "0a03626f62",
                        "--data-hex", "0a03616e6e1003", "--compress", "deflate"])
    assert res.exit_code == 0, res.stderr
    sent = grpc_records(res, "message", dir="send")
    assert [m["compressed"] for m in sent] == [True, True]
    got = grpc_records(res, "message", dir="recv")
    assert [m["payload_hex"] for m in got] == ["0a03626f62", "0a03616e6e1003"]
    assert [m["compressed"] for m in got] == [False, False]
    (status,) = grpc_records(res, "status")
    assert (status["name"], status["source"]) == ("OK", "trailers")


def test_fail_and_unknown_methods(serve_url):
    fail = run_wiretool(["h2", "grpc", "--json", serve_url, "/wiretool.Echo/Fail"])
    assert fail.exit_code == 69
    (status,) = grpc_records(fail, "status")
    assert status["message"] == "nothing to echo here ✓" and status["source"] == "trailers-only"
    unknown = run_wiretool(["h2", "grpc", "--json", serve_url, "/no.Such/Method"])
    assert unknown.exit_code == 76
    assert "/no.Such/Method" in grpc_records(unknown, "status")[0]["message"]


def test_plain_http_routes_are_unchanged_for_non_grpc_requests(serve_url):
    res = run_wiretool(["h2", "get", "--json", f"{serve_url}/echo", "-d", "hi", "-H", "content-type:text/plain"])
    assert res.exit_code == 0
    assert not grpc_records(res, "message")


def test_in_process_server_and_client():
    from wiretool.serve.h2 import running_server

    ready, stop = threading.Event(), threading.Event()
    url: list[str] = []

    async def serve() -> None:
        async with running_server() as srv:
            url.append(srv.url.rstrip("/"))
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.05)

    thread = threading.Thread(target=lambda: asyncio.run(serve()), daemon=True)
    thread.start()
    assert ready.wait(20)
    try:
        res = run_cli(["h2", "grpc", url[0], "/wiretool.Echo/Echo", "--data-hex", "0a03626f62", "--json", "--no-frames"])
    finally:
        stop.set()
        thread.join(20)
    assert res.exit_code == 0, res.stderr
    assert [m["fields"][0]["value"] for m in grpc_records(res, "message")] == ["bob", "bob"]


def test_demo_part_json():
    res = run_wiretool(["demo", "--only", "grpc", "--json"])
    assert res.exit_code == 0, res.stderr
    assert len(grpc_records(res, "message", dir="recv")) == 2
    assert grpc_records(res, "status")[0]["name"] == "OK"
    assert res.json_lines()[-1]["grpc_status_name"] == "OK"


def test_demo_part_pretty():
    res = run_cli(["demo", "--only", "grpc", "--color", "never"])
    assert res.exit_code == 0, res.stderr
    assert "demo: grpc" in res.stdout and "gRPC STATUS 0 OK <trailers, stream_id=1>" in res.stdout
    assert 'recv gRPC MESSAGE <length=7, compressed=no, stream_id=1>' in res.stdout
