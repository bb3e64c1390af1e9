"""The GraphQL over WebSocket views (graphql-transport-ws, legacy graphql-ws) and ``--graphql-subscribe``:
stories of real messages, the npm ``graphql-ws`` server on loopback, and fuzzing that never raises."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import run_cli, run_wiretool
from hypothesis import given, settings
from hypothesis import strategies as st
from protocol_peers import connect, fields_of, node_server, record_views, viewed

from wiretool import views
from wiretool.views import ViewContext, graphql_transport_ws, graphql_ws


def _story(view: Any, messages: list[tuple[str, float, dict[str, Any]]], subprotocol: str | None = None):
    state: dict[str, Any] = {}
    out = []
    for direction, t, message in messages:
        ctx = ViewContext(dir=direction, t=t, subprotocol=subprotocol, state=state)
        payload = json.dumps(message)
        assert views.pick(payload, ctx) is view
        out.append(view.decode(payload, ctx))
    return out


def test_transport_ws_matches_ids_counts_results_and_times_the_operation() -> None:
    init, ack, sub, n1, n2, done = _story(graphql_transport_ws.VIEW, [
        ("send", 0.0, {"type": "connection_init", "payload": {"authToken": "s3cret"}}),
        ("recv", 0.01, {"type": "connection_ack"}),
        ("send", 0.02, {"type": "subscribe", "id": "a", "payload": {
            "query": "subscription OnGreet($n: Int) { greetings(count: $n) }", "variables": {"n": 2}}}),
        ("recv", 0.1, {"type": "next", "id": "a", "payload": {"data": {"greetings": "hi"}}}),
        ("recv", 0.2, {"type": "next", "id": "a", "payload": {"data": {"greetings": "ho"}}}),
        ("recv", 0.52, {"type": "complete", "id": "a"}),
    ], subprotocol="graphql-transport-ws")
    assert init.fields == {"type": "connection_init", "payload_keys": ["authToken"]}  # keys, never the token
    assert "s3cret" not in init.text
    assert ack.fields == {"type": "connection_ack", "open_operations": 0}
    assert sub.fields["operation"]["kind"] == "subscription"
    assert sub.fields["operation"]["name"] == "OnGreet"
    assert sub.fields["operation"]["field"] == "greetings"
    assert sub.fields["operation"]["variables"] == {"n": 2}
    assert sub.lines[0][0] == "subscribe a: subscription OnGreet { greetings }"
    assert (n1.fields["n"], n2.fields["n"]) == (1, 2)
    assert n2.fields["data"] == {"greetings": "ho"}
    assert n2.fields["operation"] == "subscription OnGreet { greetings }"
    assert done.fields == {"type": "complete", "id": "a", "operation": "subscription OnGreet { greetings }",
                           "results": 2, "elapsed_ms": 500.0}


def test_transport_ws_complains_about_unknown_ids_reused_ids_and_types() -> None:
    view = graphql_transport_ws.VIEW
    state: dict[str, Any] = {}
    ctx = ViewContext(dir="recv", subprotocol="graphql-transport-ws", state=state)
    orphan = view.decode('{"type":"next","id":"9","payload":{"data":null}}', ctx)
    assert orphan.fields["complaints"] == ["next for id 9, which no subscribe opened"]
    sub = '{"type":"subscribe","id":"1","payload":{"query":"{ hello }"}}'
    view.decode(sub, ViewContext(dir="send", state=state))
    again = view.decode(sub, ViewContext(dir="send", state=state))
    assert again.fields["complaints"] == ["id 1 is already in use (the server closes with 4409)"]
    assert again.fields["operation"]["kind"] == "query"
    odd = view.decode('{"type":"data","id":"1"}', ctx)
    assert "unknown message type" in odd.fields["complaints"][0]
    err = view.decode('{"type":"error","id":"1","payload":[{"message":"boom"}]}', ctx)
    assert err.fields["errors"] == ["boom"]
    assert "1" not in [k[0] for k in state["graphql-transport-ws"]]  # an error ends the operation


def test_legacy_graphql_ws_start_data_stop_and_keepalive() -> None:
    _, _, ka, start, data, done = _story(graphql_ws.VIEW, [
        ("send", 0.0, {"type": "connection_init", "payload": {}}),
        ("recv", 0.01, {"type": "connection_ack"}),
        ("recv", 0.02, {"type": "ka"}),
        ("send", 0.03, {"type": "start", "id": "1", "payload": {"query": "subscription { ticks }"}}),
        ("recv", 0.05, {"type": "data", "id": "1", "payload": {"data": {"ticks": 1}}}),
        ("recv", 0.13, {"type": "complete", "id": "1"}),
    ], subprotocol="graphql-ws")
    assert ka.fields == {"type": "ka"} and ka.lines[0][1] == "dim"
    assert start.fields["operation"]["field"] == "ticks"
    assert data.fields["n"] == 1 and data.fields["data"] == {"ticks": 1}
    assert done.fields["results"] == 1 and done.fields["elapsed_ms"] == 100.0


def test_only_the_subprotocol_picks_a_graphql_view() -> None:
    for payload in ('{"type":"subscribe","id":"1","payload":{}}', '{"type":"start","id":"1"}', '{"type":"ping"}'):
        assert views.pick(payload, ViewContext()).name == "json", payload  # someone else's "type" too
    assert views.pick('{"type":"connection_init"}', ViewContext(subprotocol="graphql-ws")).name == "graphql-ws"
    assert views.pick('{"type":"ping"}', ViewContext(subprotocol="GraphQL-Transport-WS")).name == \
        "graphql-transport-ws"
    assert views.pick("not json", ViewContext(subprotocol="graphql-ws")).name == "raw"


@pytest.fixture(scope="module")
def graphql_port() -> Any:
    with node_server("graphql_server.js") as port:
        yield port


def test_the_graphql_ws_server_through_ws_connect(graphql_port: int) -> None:
    # (two --send would race the server: a subscribe that arrives before its connection_ack is closed with 4401)
    code, records = connect(f"ws://127.0.0.1:{graphql_port}/graphql", "-s", "graphql-transport-ws", "--timeout", "20",
                            "--graphql-subscribe", "subscription G { greetings(count: 2) }")
    assert code == 0, records[-2:]
    got = fields_of(viewed(records), "recv")
    assert [f["type"] for f in got] == ["connection_ack", "next", "next", "complete"]
    assert got[2] == {"type": "next", "id": "1", "operation": "subscription G { greetings }", "n": 2,
                      "data": {"greetings": "hello 1"}}
    assert got[3]["results"] == 2 and got[3]["elapsed_ms"] >= 0
    carried = record_views(records, "graphql-transport-ws")  # picked from the subprotocol, on every record
    assert carried[-1]["fields"]["type"] == "complete"


def test_graphql_subscribe_does_the_handshake_and_ends_with_the_subscription(graphql_port: int) -> None:
    code, records = connect(f"ws://127.0.0.1:{graphql_port}/", "--graphql-subscribe",
                            "subscription { greetings(count: 3) }", "--graphql-init", '{"token":"t"}',
                            "--timeout", "20")
    assert code == 0, records[-2:]
    hello = next(r for r in records if r["type"] == "handshake" and r["dir"] == "recv")
    assert hello["subprotocol"] == "graphql-transport-ws"
    sent = [json.loads(r["text"]) for r in records if r["type"] == "message" and r["dir"] == "send"]
    assert sent == [{"type": "connection_init", "payload": {"token": "t"}},
                    {"id": "1", "type": "subscribe", "payload": {"query": "subscription { greetings(count: 3) }"}}]
    got = fields_of(viewed(records), "recv")
    assert [f.get("n") for f in got if f["type"] == "next"] == [1, 2, 3]
    record_views(records, "graphql-transport-ws")


def test_graphql_subscribe_exits_7_when_the_operation_fails(graphql_port: int) -> None:
    result = run_wiretool(["ws", "connect", f"ws://127.0.0.1:{graphql_port}/", "--no-stdin", "--timeout", "20",
                           "--graphql-subscribe", '{"query": "subscription { fail }"}'])
    assert result.exit_code == 7, result.stderr
    assert result.stderr.strip().splitlines()[-1] == "wiretool: error: operation 1 ended with an error: no such thing"


def test_graphql_subscribe_with_field_expects_as_in_ci(graphql_port: int) -> None:
    url = f"ws://127.0.0.1:{graphql_port}/graphql"
    ok = run_wiretool(["ws", "connect", url, "--no-stdin", "--timeout", "20", "--graphql-subscribe",
                       "subscription { greetings(count: 2) }", "--expect", "$.data.greetings=hello 1"])
    assert ok.exit_code == 0, ok.stderr
    unmet = run_wiretool(["ws", "connect", url, "--no-stdin", "--timeout", "20", "--graphql-subscribe",
                          "subscription { greetings(count: 2) }", "--expect", "$.data.greetings=hello 7"])
    assert unmet.exit_code == 7
    assert unmet.stderr.strip().splitlines()[-1] == ("wiretool: error: every GraphQL operation ended first: "
                                                    "--expect '$.data.greetings=hello 7' not matched")


@pytest.mark.parametrize(("args", "message"), [
    (["--graphql-subscribe", " "], "--graphql-subscribe: the query is empty"),
    (["--graphql-subscribe", '{"query": 1}'], '--graphql-subscribe: the JSON form needs a string "query"'),
    (["--graphql-subscribe", "{ a }", "--graphql-init", "[1]"], "--graphql-init: the connection_init payload is a JSON object"),
    (["--graphql-init", "{}"], "--graphql-init needs --graphql-subscribe"),
    (["--graphql-subscribe", "{ a }", "--socketio-emit", "e", "1"],
     "--graphql-subscribe and --socketio-emit cannot be used together: one protocol per connection"),
])
def test_graphql_options_misused_are_usage_errors(args: list[str], message: str) -> None:
    result = run_cli(["ws", "connect", "ws://127.0.0.1:9/", "--no-stdin", *args])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"wiretool: error: {message}"


_VIEWS = [graphql_transport_ws.VIEW, graphql_ws.VIEW]
_VALID = [
    {"type": "connection_init", "payload": {"a": 1}}, {"type": "subscribe", "id": "1", "payload": {"query": "{ a }"}},
    {"type": "next", "id": "1", "payload": {"data": {"a": 1}, "errors": [{"message": "x"}]}},
    {"type": "start", "id": "1", "payload": {"query": "subscription S { b }", "variables": {"x": [1]}}},
    {"type": "data", "id": "1", "payload": {"data": None}}, {"type": "error", "id": "1", "payload": "oops"},
    {"type": "complete", "id": "1"}, {"type": "connection_error", "payload": {"message": 3}},
]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(st.binary(max_size=200), st.text(max_size=200)), max_size=6))
def test_random_payloads_never_raise_past_a_complaint(payloads: list[bytes | str]) -> None:
    for view in _VIEWS:
        state: dict[str, Any] = {}
        for p in payloads:
            ctx = ViewContext(dir="recv", state=state)
            view.render_priority(p, ctx)
            try:
                view.decode(p, ctx)
            except ValueError:
                pass  # "not a JSON object": the view's complaint, shown over the raw payload
            assert views.render(p, ctx, view=view).lines is not None


_JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                    max_size=4), max_leaves=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_VALID), st.sampled_from(["type", "id", "payload", "query"]), _JSONISH),
                max_size=6))
def test_mutated_messages_decode_to_json_able_fields(mutations: list[tuple[dict, str, Any]]) -> None:
    for view in _VIEWS:
        state: dict[str, Any] = {}
        for base, key, value in mutations:
            message = dict(base)
            if key == "query" and isinstance(message.get("payload"), dict):
                message["payload"] = {**message["payload"], "query": value}
            else:
                message[key] = value
            result = view.decode(json.dumps(message), ViewContext(dir="recv", state=state))
            json.dumps(result.fields)


def test_the_operations_remembered_stay_bounded() -> None:
    state: dict[str, Any] = {}
    for i in range(10_000):
        graphql_transport_ws.VIEW.decode(json.dumps({"type": "subscribe", "id": str(i), "payload": {}}),
                                         ViewContext(dir="send", state=state))
    assert len(state["graphql-transport-ws"]) == 4096


@pytest.fixture(scope="module")
def legacy_port() -> Any:
    with node_server("legacy_graphql_server.js") as port:
        yield port


def test_the_legacy_subscriptions_transport_ws_server(legacy_port: int) -> None:
    """Apollo's subscriptions-transport-ws (npm): --graphql-subscribe offers both protocols, the server picks
    graphql-ws, so the operation goes out as start; ka keep-alives, data and complete through the view."""
    code, records = connect(f"ws://127.0.0.1:{legacy_port}/graphql", "--timeout", "20",
                            "--graphql-subscribe", "subscription Ticks { ticks(count: 2) }")
    assert code == 0, records[-2:]
    hello = next(r for r in records if r["type"] == "handshake" and r["dir"] == "recv")
    assert hello["subprotocol"] == "graphql-ws"
    carried = record_views(records, "graphql-ws")
    sent = [v["fields"] for r, v in zip([r for r in records if r["type"] == "message"], carried, strict=True)
            if r["dir"] == "send"]
    assert [f["type"] for f in sent] == ["connection_init", "start"]
    got = [f for f in fields_of(viewed(records), "recv") if f["type"] != "ka"]
    assert [f["type"] for f in got] == ["connection_ack", "data", "data", "complete"]
    assert got[2] == {"type": "data", "id": "1", "operation": "subscription Ticks { ticks }", "n": 2,
                      "data": {"ticks": 2}}
    assert got[3]["results"] == 2


def test_a_server_that_refuses_the_protocol_ends_cleanly(legacy_port: int) -> None:
    """The legacy server takes graphql-transport-ws when that is all we offer, then closes 1002: exit 5, and
    the script's pending connection_init is no internal error."""
    result = run_wiretool(["ws", "connect", f"ws://127.0.0.1:{legacy_port}/graphql", "-s", "graphql-transport-ws",
                           "--no-stdin", "--timeout", "20", "--graphql-subscribe", "subscription { ticks }"])
    assert result.exit_code == 5, result.stderr
    assert result.stderr.strip() == "wiretool: error: server closed with 1002 PROTOCOL_ERROR: no reason"
