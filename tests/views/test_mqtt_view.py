"""The MQTT view: 3.1.1 and 5.0 control packets split across and joined within WebSocket messages, a remaining
length that lies, bounded memory; the aedes broker (npm) over WebSocket through ws connect; fuzzing."""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import run_wiretool
from hypothesis import given, settings
from hypothesis import strategies as st
from protocol_peers import connect, fields_of, node_server, record_views, viewed

from wiretool import views
from wiretool.views import ViewContext, mqtt


def _var(n: int) -> bytes:
    out = bytearray()
    while True:
        n, b = n >> 7, n & 0x7F
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _s(text: str) -> bytes:
    return len(text.encode()).to_bytes(2, "big") + text.encode()


def packet(first: int, body: bytes) -> bytes:
    """An MQTT control packet: the fixed header (type and flags, remaining length) then the body."""
    return bytes([first]) + _var(len(body)) + body


def connect_packet(client: str = "wire", level: int = 4, password: bytes | None = None) -> bytes:
    flags = 0x02 | (0xC0 if password is not None else 0)
    body = _s("MQTT") + bytes([level, flags]) + (60).to_bytes(2, "big") + (b"\x00" if level == 5 else b"")
    body += _s(client) + ((_s("user") + len(password).to_bytes(2, "big") + password) if password is not None else b"")
    return packet(0x10, body)


def subscribe_packet(pid: int, topic: str, v5: bool = False) -> bytes:
    return packet(0x82, pid.to_bytes(2, "big") + (b"\x00" if v5 else b"") + _s(topic) + b"\x01")


def publish_packet(topic: str, payload: bytes, qos: int = 0, pid: int = 1, v5: bool = False) -> bytes:
    body = _s(topic) + (pid.to_bytes(2, "big") if qos else b"") + (b"\x00" if v5 else b"") + payload
    return packet(0x30 | (qos << 1), body)


def _run(*messages: tuple[str, bytes], state: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    state = {} if state is None else state
    out = []
    for i, (direction, data) in enumerate(messages):
        ctx = ViewContext(dir=direction, t=i / 10, subprotocol="mqtt", state=state)
        assert views.pick(data, ctx) is mqtt.VIEW
        result = views.render(data, ctx)
        assert result.error is None
        out.append(result.fields)
    return out


def test_a_3_1_1_session_with_acks_matched() -> None:
    con, ack, sub, suback, pub, puback = _run(
        ("send", connect_packet(password=b"hunter2")), ("recv", packet(0x20, b"\x00\x00")),
        ("send", subscribe_packet(1, "a/#")), ("recv", packet(0x90, b"\x00\x01\x01")),
        ("send", publish_packet("a/b", b"hello", qos=1, pid=2)), ("recv", packet(0x40, b"\x00\x02")))
    assert con == {"type": "CONNECT", "remaining_length": 31, "keep_alive": 60, "protocol": "MQTT",
                   "protocol_level": 4, "version": "3.1.1", "clean_start": True, "client_id": "wire",
                   "username": "user", "password": "<redacted> (7 bytes)"}
    assert ack["reason"] == "Connection Accepted"
    assert sub["topics"] == [{"topic": "a/#", "qos": 1}]
    assert suback["granted"] == ["qos1"] and suback["acknowledges"] == "a/#" and suback["rtt_ms"] == 100.0
    assert pub["topic"] == "a/b" and pub["payload"] == "hello" and pub["qos"] == 1 and pub["packet_id"] == 2
    assert puback["acknowledges"] == "a/b"


def test_mqtt_5_properties_and_reason_codes() -> None:
    props = b"\x11\x00\x00\x00\x3c" + b"\x26" + _s("k") + _s("v")  # session expiry 60, user property k=v
    con = packet(0x10, _s("MQTT") + b"\x05\x02\x00\x3c" + _var(len(props)) + props + _s("c5"))
    connack = packet(0x20, b"\x00\x87\x00")  # 0x87 Not authorized, no properties
    disconnect = packet(0xE0, b"\x8e\x00")
    c, a, d = _run(("send", con), ("recv", connack), ("recv", disconnect))
    assert c["version"] == "5.0"
    assert c["properties"] == {"session_expiry_interval": 60, "user_property": [["k", "v"]]}
    assert (a["reason_code"], a["reason"]) == (135, "Not authorized")
    assert d["reason"] == "Session taken over"


def test_packets_split_across_messages_and_joined_within_one() -> None:
    pub = publish_packet("t", b"x" * 300)  # a 2-byte remaining length
    ping = packet(0xC0, b"")
    stream = connect_packet() + pub + ping + ping
    got = _run(("send", stream[:1]), ("send", stream[1:3]), ("send", stream[3:25]), ("send", stream[25:]))
    assert got[0] == {"type": "partial", "count": 0, "packets": [], "partial": {"have": 1}}
    assert got[1]["partial"] == {"have": 3, "need": len(connect_packet())}  # the header is whole: its length known
    assert got[2]["type"] == "CONNECT" and got[2]["partial"]["need"] == len(pub)
    assert got[3]["type"] == "packets"
    assert [p["type"] for p in got[3]["packets"]] == ["PUBLISH", "PINGREQ", "PINGREQ"]
    assert got[3]["packets"][0]["payload_length"] == 300


@pytest.mark.parametrize("size", [1, 7, 64])
def test_any_split_of_a_session_gives_the_same_packets(size: int) -> None:
    stream = connect_packet() + subscribe_packet(3, "x/y") + publish_packet("x/y", bytes(range(256)), qos=2, pid=9)
    rng = random.Random(size)
    cuts, pos = [], 0
    while pos < len(stream):
        step = rng.randint(1, size)
        cuts.append(stream[pos:pos + step])
        pos += step
    types = []
    for fields in _run(*[("send", c) for c in cuts]):
        types += [p["type"] for p in fields.get("packets", [fields])]
    assert types == ["CONNECT", "SUBSCRIBE", "PUBLISH"]


def test_a_remaining_length_that_lies_is_named() -> None:
    short = packet(0x10, connect_packet()[2:-2])  # the client id runs past the packet's end
    (got,) = _run(("send", short))
    assert got["complaints"] == ["remaining length 14 lies: the CONNECT's client identifier runs past it"]
    long_ping = packet(0xC0, b"\x00\x00")
    long_ack = packet(0x20, b"\x00\x00\x00")
    extra = packet(0x10, connect_packet()[2:] + b"\x00")
    g1, g2, g3 = _run(("send", long_ping), ("recv", long_ack), ("send", extra))
    assert g1["complaints"] == ["remaining length 2 lies: a PINGREQ has 0"]
    assert g2["complaints"] == ["remaining length 3 lies: a CONNACK has 2"]
    assert g3["complaints"] == ["remaining length 17 lies: 1 bytes after the CONNECT's last field"]
    (five,) = _run(("send", b"\x30\xff\xff\xff\xff\x01"))
    assert five["complaints"] == ["the remaining length runs past its 4 bytes (MQTT §2.2.3): the rest of this "
                                  "message (6 bytes) is not read"]
    (reserved,) = _run(("send", b"\x00\x00"))
    assert reserved["complaints"][0].startswith("reserved packet type 0 at byte 0: not MQTT")


def test_a_packet_longer_than_the_view_keeps_is_named_and_skipped() -> None:
    big = publish_packet("big", b"z" * (mqtt.MAX_PARTIAL + 10))
    state: dict[str, Any] = {}
    first, second, third = _run(("send", big[:1000]), ("send", big[1000:-5]),
                                ("send", big[-5:] + packet(0xC0, b"")), state=state)
    assert first["too_long"] is True and first["type"] == "PUBLISH"
    assert second == {"type": "partial", "count": 0, "packets": []}
    assert third["type"] == "PINGREQ"
    assert len(state["mqtt"]["send"]["buf"]) == 0


def test_without_the_subprotocol_only_a_connect_is_claimed() -> None:
    assert views.pick(connect_packet(), ViewContext()).name == "mqtt"
    assert views.pick(packet(0xC0, b""), ViewContext()).name == "raw"


@pytest.fixture(scope="module")
def broker_port() -> Iterator[int]:
    with node_server("mqtt_broker.js") as port:
        yield port


def test_the_aedes_broker_through_ws_connect(broker_port: int) -> None:
    v5, level = False, 4  # aedes speaks MQTT 3.1.1 (5.0 "not supported yet"): 5.0 is covered by the stories above
    pub = publish_packet("a/b", b"hello", qos=1, pid=2, v5=v5)
    code, records = connect(
        f"ws://127.0.0.1:{broker_port}/", "-s", "mqtt", "--wait", "1", "--timeout", "20",
        "--send-hex", connect_packet("wiretool", level=level).hex(),
        "--send-hex", (subscribe_packet(1, "a/b", v5=v5) + packet(0xC0, b"")).hex(),  # two packets in one message
        "--send-hex", pub[:6].hex(), "--send-hex", pub[6:].hex())  # one packet split in two
    assert code == 0, records[-2:]
    hello = next(r for r in records if r["type"] == "handshake" and r["dir"] == "recv")
    assert hello["subprotocol"] == "mqtt"
    results = viewed(records)
    sent = fields_of(results, "send")
    assert [f["type"] for f in sent] == ["CONNECT", "packets", "partial", "PUBLISH"]
    assert sent[3]["payload"] == "hello"
    got = []
    for f in fields_of(results, "recv"):
        got += f.get("packets", [f])
    by_type = {p["type"]: p for p in got}
    assert by_type["CONNACK"]["reason_code"] == 0
    assert by_type["SUBACK"]["acknowledges"] == "a/b"
    assert by_type["PUBACK"]["acknowledges"] == "a/b" and by_type["PUBACK"]["rtt_ms"] >= 0
    assert by_type["PUBLISH"]["topic"] == "a/b" and by_type["PUBLISH"]["payload"] == "hello"
    assert "PINGRESP" in by_type
    assert not [p for p in got if p.get("complaints")]
    record_views(records, "mqtt")


_VALID = [connect_packet(), connect_packet(level=5), packet(0x20, b"\x00\x00"), subscribe_packet(1, "a"),
          publish_packet("t", b"p", qos=1), packet(0x90, b"\x00\x01\x00\x80"), packet(0xA2, b"\x00\x01" + _s("a")),
          packet(0xE0, b"")]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=8), st.sampled_from(["send", "recv"]))
def test_random_bytes_never_raise_and_stay_bounded(chunks: list[bytes], direction: str) -> None:
    state: dict[str, Any] = {}
    for chunk in chunks:
        ctx = ViewContext(dir=direction, state=state, subprotocol="mqtt")
        mqtt.VIEW.render_priority(chunk, ctx)
        mqtt.VIEW.decode(chunk, ctx)
    assert len(state["mqtt"][direction]["buf"]) <= mqtt.MAX_PARTIAL if chunks else True


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_VALID), st.integers(0, 40), st.integers(0, 255), st.integers(1, 40)),
                max_size=8))
def test_mutated_packets_never_raise(mutations: list[tuple[bytes, int, int, int]]) -> None:
    state: dict[str, Any] = {}
    stream = bytearray()
    for base, at, byte, _ in mutations:
        p = bytearray(base)
        p[at % len(p)] = byte
        stream += p
    pos = 0
    for *_, cut in mutations:
        result = mqtt.VIEW.decode(bytes(stream[pos:pos + cut]), ViewContext(dir="send", state=state))
        assert result.fields is not None
        pos += cut
    mqtt.VIEW.decode(bytes(stream[pos:]), ViewContext(dir="send", state=state))


def test_the_ci_example_of_the_docs(broker_port: int) -> None:
    ok = run_wiretool(["ws", "connect", f"ws://127.0.0.1:{broker_port}/", "-s", "mqtt", "--no-stdin",
                       "--timeout", "10", "--send-hex", "101000044d5154540402003c000477697265",
                       "--expect", "$.reason=Connection Accepted"])
    assert ok.exit_code == 0, ok.stderr
    assert "CONNACK 0 Connection Accepted" in ok.stdout


def test_the_work_per_message_is_bounded() -> None:
    (got,) = _run(("send", packet(0xC0, b"") * 5000))
    assert got["count"] == mqtt.MAX_READ and len(got["packets"]) == mqtt.MAX_PACKETS
    assert got["complaints"] == [f"more than {mqtt.MAX_READ} packets in one message: the rest (6000 bytes) is not read"]
