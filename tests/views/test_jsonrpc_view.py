"""The JSON-RPC view: requests matched to responses with the round-trip time, notifications, batches, errors by
code name; against rpc-websockets (npm) and a Chrome-DevTools-Protocol-like endpoint on loopback; fuzzing."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import run_wiretool
from hypothesis import given, settings
from hypothesis import strategies as st
from protocol_peers import connect, fields_of, node_server, record_views, viewed

from wiretool import views
from wiretool.views import ViewContext, jsonrpc


def _decode(payload: str, direction: str, t: float, state: dict[str, Any]) -> dict[str, Any]:
    ctx = ViewContext(dir=direction, t=t, state=state)
    assert views.pick(payload, ctx) is jsonrpc.VIEW
    result = views.render(payload, ctx)
    assert result.error is None and result.fields is not None
    return result.fields


def test_a_response_names_its_request_and_the_round_trip() -> None:
    state: dict[str, Any] = {}
    req = _decode('{"jsonrpc":"2.0","id":7,"method":"sum","params":[1,2]}', "send", 1.0, state)
    assert req == {"method": "sum", "params": [1, 2], "kind": "request", "id": 7}
    res = _decode('{"jsonrpc":"2.0","id":7,"result":3}', "recv", 1.0425, state)
    assert res == {"id": 7, "request_method": "sum", "rtt_ms": 42.5, "kind": "response", "result": 3}
    assert state["jsonrpc"] == {}  # answered: forgotten


def test_ids_are_matched_per_direction_and_by_type() -> None:
    state: dict[str, Any] = {}
    _decode('{"jsonrpc":"2.0","id":"1","method":"a"}', "recv", 0, state)  # the server asks the client
    _decode('{"jsonrpc":"2.0","id":1,"method":"b"}', "send", 0, state)
    assert _decode('{"jsonrpc":"2.0","id":1,"result":null}', "recv", 0.5, state)["request_method"] == "b"
    assert _decode('{"jsonrpc":"2.0","id":"1","result":null}', "send", 0.5, state)["request_method"] == "a"


def test_errors_are_named_by_code_and_orphans_are_named() -> None:
    state: dict[str, Any] = {}
    names = {}
    for code in (-32700, -32600, -32601, -32602, -32603, -32000, -32050, -32800, 12):
        got = _decode(json.dumps({"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": "m"}}),
                      "recv", 0, state)
        assert got["kind"] == "error" and "complaints" not in got  # a null id answers an unreadable request
        names[code] = got["error"]["name"]
    assert names == {-32700: "Parse error", -32600: "Invalid Request", -32601: "Method not found",
                     -32602: "Invalid params", -32603: "Internal error", -32000: "Server error",
                     -32050: "Server error", -32800: "RequestCancelled", 12: "application error"}
    orphan = _decode('{"jsonrpc":"2.0","id":5,"result":1}', "recv", 0, state)
    assert orphan["complaints"] == ["a response to id 5, which no request seen asked"]
    both = _decode('{"jsonrpc":"2.0","id":5,"result":1,"error":{}}', "recv", 0, state)
    assert "both result and error (JSON-RPC 2.0 §5: exactly one)" in both["complaints"]


def test_batches_and_notifications() -> None:
    state: dict[str, Any] = {}
    batch = _decode('[{"jsonrpc":"2.0","method":"note","params":{"a":1}},{"jsonrpc":"2.0","id":1,"method":"x"},'
                    '42]', "send", 0, state)
    assert batch["kind"] == "batch" and batch["count"] == 3
    assert [i["kind"] for i in batch["items"]] == ["notification", "request", "invalid"]
    answer = _decode('[{"jsonrpc":"2.0","id":1,"result":true}]', "recv", 0.001, state)
    assert answer["items"][0]["request_method"] == "x"
    empty = jsonrpc.VIEW.decode("[]", ViewContext(subprotocol="jsonrpc"))
    assert empty.fields["complaints"] == ["an empty batch (JSON-RPC 2.0 §6: Invalid Request)"]


def test_plain_json_is_not_claimed() -> None:
    for payload in ('{"id": 1, "name": "x"}', '[1, 2]', '{"method": 3}', '{"result": 1}'):
        assert views.pick(payload, ViewContext()).name == "json", payload


def test_large_params_are_summarised_not_copied() -> None:
    big = json.dumps({"jsonrpc": "2.0", "method": "m", "params": ["x" * 10_000]})
    got = jsonrpc.VIEW.decode(big, ViewContext())
    assert got.fields["params"] == "(10004 bytes of JSON)"
    assert len(got.text) < 400


@pytest.fixture(scope="module")
def rpc_port() -> Iterator[int]:
    with node_server("jsonrpc_server.js") as port:
        yield port


def test_rpc_websockets_server_through_ws_connect(rpc_port: int) -> None:
    code, records = connect(
        f"ws://127.0.0.1:{rpc_port}/", "--count", "5", "--timeout", "20",
        "--send", '{"jsonrpc":"2.0","method":"rpc.on","params":["tick"],"id":1}',
        "--send", '{"jsonrpc":"2.0","method":"sum","params":[2,3],"id":2}',
        "--send", '{"jsonrpc":"2.0","method":"fail","id":3}',
        "--send", '[{"jsonrpc":"2.0","method":"nope","id":4},{"jsonrpc":"2.0","method":"sum","params":[1,1]}]')
    assert code == 0, records[-2:]
    got = {json.dumps(f.get("id", f.get("method"))): f for f in fields_of(viewed(records), "recv")}
    assert got["1"]["request_method"] == "rpc.on" and got["1"]["result"] == {"tick": "ok"}
    assert got["2"]["request_method"] == "sum" and got["2"]["result"] == 5 and got["2"]["rtt_ms"] >= 0
    assert got["3"]["kind"] == "error" and got["3"]["error"]["name"] == "Server error"
    assert got["3"]["error"]["data"] == "it failed"
    batch = next(f for f in got.values() if f["kind"] == "batch")
    assert batch["items"][0]["error"] == {"code": -32601, "name": "Method not found", "message": "Method not found"}
    assert batch["items"][0]["request_method"] == "nope"
    ticks = [f for f in fields_of(viewed(records), "recv") if f.get("method") == "tick"]
    assert ticks[0] == {"form": "rpc-websockets", "method": "tick", "params": [5], "kind": "notification"}
    record_views(records, "jsonrpc")  # no subprotocol: picked from the first message, then kept


class _CdpLike:
    """A Chrome-DevTools-Protocol-like endpoint on loopback (websockets): Runtime.evaluate, Page.navigate with
    its Page.loadEventFired event, and CDP's "wasn't found" error for anything else."""

    def __init__(self) -> None:
        self.port = 0
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_until_complete, args=(self._main(),), daemon=True)
        self.stopping: asyncio.Future[None] | None = None

    async def _handle(self, ws: Any) -> None:
        async for text in ws:
            msg = json.loads(text)
            method, ident = msg.get("method"), msg.get("id")
            if method == "Runtime.evaluate":
                await ws.send(json.dumps({"id": ident, "result": {"result": {"type": "number", "value": 2}}}))
            elif method == "Page.navigate":
                await ws.send(json.dumps({"id": ident, "result": {"frameId": "F1"}}))
                await ws.send(json.dumps({"method": "Page.loadEventFired", "params": {"timestamp": 1.5}}))
            else:
                await ws.send(json.dumps({"id": ident, "error": {"code": -32601,
                                                                 "message": f"'{method}' wasn't found"}}))

    async def _main(self) -> None:
        from websockets.asyncio.server import serve

        self.stopping = asyncio.get_running_loop().create_future()
        async with serve(self._handle, "127.0.0.1", 0) as server:
            self.port = next(iter(server.sockets)).getsockname()[1]
            self.ready.set()
            await self.stopping

    def __enter__(self) -> _CdpLike:
        self.thread.start()
        assert self.ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.call_soon_threadsafe(lambda: self.stopping and self.stopping.set_result(None))
        self.thread.join(10)


def test_a_cdp_like_endpoint_through_ws_connect() -> None:
    with _CdpLike() as cdp:
        code, records = connect(
            f"ws://127.0.0.1:{cdp.port}/devtools/page/1", "--count", "4", "--timeout", "20",
            "--send", '{"id":1,"method":"Runtime.evaluate","params":{"expression":"1+1"}}',
            "--send", '{"id":2,"method":"Page.navigate","params":{"url":"http://127.0.0.1/"}}',
            "--send", '{"id":3,"method":"Nope.nothing"}')
    assert code == 0, records[-2:]
    sent = fields_of(viewed(records), "send")
    assert [f["method"] for f in sent] == ["Runtime.evaluate", "Page.navigate", "Nope.nothing"]
    got = fields_of(viewed(records), "recv")
    assert got[0]["request_method"] == "Runtime.evaluate"
    assert got[0]["result"] == {"result": {"type": "number", "value": 2}}
    assert got[1]["request_method"] == "Page.navigate"
    assert got[2] == {"method": "Page.loadEventFired", "params": {"timestamp": 1.5}, "kind": "notification"}
    assert got[3]["error"]["name"] == "Method not found" and got[3]["request_method"] == "Nope.nothing"
    record_views(records, "jsonrpc")


_VALID = [{"jsonrpc": "2.0", "id": 1, "method": "m", "params": [1]}, {"jsonrpc": "2.0", "id": 1, "result": {}},
          {"jsonrpc": "2.0", "id": 1, "error": {"code": -32601, "message": "x", "data": [1]}},
          {"id": 1, "method": "Page.enable"}, {"method": "Network.event", "params": {}},
          {"notification": "tick", "params": [1]}]
_JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                    max_size=3), max_leaves=10)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=200), st.text(max_size=200)), max_size=6))
def test_random_payloads_never_raise_past_a_complaint(payloads: list[bytes | str]) -> None:
    state: dict[str, Any] = {}
    for p in payloads:
        ctx = ViewContext(dir="recv", state=state, subprotocol="jsonrpc")
        jsonrpc.VIEW.render_priority(p, ctx)
        try:
            jsonrpc.VIEW.decode(p, ctx)
        except ValueError:
            pass  # not JSON: the view's complaint, shown over the raw payload


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_VALID), st.sampled_from(["jsonrpc", "id", "method", "params", "result",
                                                                    "error", "notification"]), _JSONISH,
                          st.booleans(), st.sampled_from(["send", "recv"])), max_size=8))
def test_mutated_messages_and_batches_decode_to_json_able_fields(mutations: list[tuple]) -> None:
    state: dict[str, Any] = {}
    for base, key, value, batch, direction in mutations:
        message = {**base, key: value}
        payload = json.dumps([message, base] if batch else message)
        result = jsonrpc.VIEW.decode(payload, ViewContext(dir=direction, state=state))
        json.dumps(result.fields)
    assert len(state.get("jsonrpc", {})) <= 4096


def test_pending_requests_stay_bounded() -> None:
    state: dict[str, Any] = {}
    for i in range(60):
        batch = json.dumps([{"jsonrpc": "2.0", "id": i * 100 + j, "method": "m"} for j in range(100)])
        jsonrpc.VIEW.decode(batch, ViewContext(dir="send", state=state))
    assert len(state["jsonrpc"]) == 4096
    assert state["jsonrpc"].dropped == 6000 - 4096


def test_the_ci_examples_of_the_docs(rpc_port: int) -> None:
    ok = run_wiretool(["ws", "connect", f"ws://127.0.0.1:{rpc_port}/", "--no-stdin", "--timeout", "10", "--send",
                       '{"jsonrpc":"2.0","method":"sum","params":[2,3],"id":1}', "--expect", "$.result=5"])
    assert ok.exit_code == 0, ok.stderr
    with _CdpLike() as cdp:
        ok = run_wiretool(["ws", "connect", f"ws://127.0.0.1:{cdp.port}/devtools/page/1", "--no-stdin",
                           "--timeout", "10", "--send",
                           '{"id":1,"method":"Runtime.evaluate","params":{"expression":"1+1"}}',
                           "--expect", "$.result.result.value=2"])
    assert ok.exit_code == 0, ok.stderr
