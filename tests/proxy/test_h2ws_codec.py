"""The RFC 8441 bridge (wiretool.codec.h2ws), pure: HTTP/2 bytes in, WebSocket records with their stream out,
whatever the chunking; a refused CONNECT or another stream's DATA is not read as WebSocket."""

from __future__ import annotations

import random

from hpack import Encoder
from hyperframe.frame import DataFrame, HeadersFrame, SettingsFrame

from wiretool.codec.h2frame import PREFACE, H2FrameView
from wiretool.codec.h2ws import H2Streams, is_websocket_connect

CONNECT = [(":method", "CONNECT"), (":protocol", "websocket"), (":scheme", "https"), (":path", "/chat"),
           (":authority", "example.com"), ("sec-websocket-version", "13")]


def _headers(enc: Encoder, sid: int, headers: list[tuple[str, str]], end: bool = False) -> bytes:
    f = HeadersFrame(sid, data=enc.encode(headers))
    f.flags.add("END_HEADERS")
    if end:
        f.flags.add("END_STREAM")
    return f.serialize()


def _data(sid: int, payload: bytes, end: bool = False) -> bytes:
    f = DataFrame(sid, data=payload)
    if end:
        f.flags.add("END_STREAM")
    return f.serialize()


def _masked(opcode: int, payload: bytes, key: bytes = b"\x01\x02\x03\x04") -> bytes:
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def _wire(status: str = "200") -> list[tuple[str, bytes]]:
    c, s = Encoder(), Encoder()
    settings = SettingsFrame(0, settings={0x8: 1}).serialize()
    hello = b"\x81\x05hello"
    return [
        ("c2s", PREFACE + SettingsFrame(0).serialize()),
        ("s2c", settings),
        ("c2s", _headers(c, 1, CONNECT)),
        ("s2c", _headers(s, 1, [(":status", status)])),
        ("c2s", _data(1, _masked(1, b"hi") + _masked(1, b"there")[:5])),
        ("c2s", _data(1, _masked(1, b"there")[5:])),
        ("s2c", _data(1, hello)),
        ("c2s", _headers(c, 3, [(":method", "GET"), (":scheme", "https"), (":path", "/"),
                                (":authority", "example.com")], end=True)),
        ("s2c", _headers(s, 3, [(":status", "200")])),
        ("s2c", _data(3, b"\x81\x05hello", end=True)),  # a plain response body that looks like a frame
        ("c2s", _data(1, _masked(8, b"\x03\xe8"), end=True)),
        ("s2c", _data(1, b"\x88\x02\x03\xe8", end=True)),
    ]


def _decode(wire: list[tuple[str, bytes]], split: int | None = None) -> list:
    view = H2FrameView(preface={"c2s": "expect", "s2c": "none"}, roles={"c2s": "client", "s2c": "server"},
                       grpc=H2Streams(roles={"c2s": "client", "s2c": "server"}, max_message=1 << 20))
    codecs = {d: view.codec(d) for d in ("c2s", "s2c")}
    rng = random.Random(split)
    out = []
    for dir, data in wire:
        pos = 0
        while pos < len(data):
            n = len(data) if split is None else rng.randint(1, split)
            out += codecs[dir].feed(data[pos:pos + n], 0.0)
            pos += n
    for d in ("c2s", "s2c"):
        out += codecs[d].finish(0.0)
    return [r for r in out if r.proto == "ws"]


def _summary(records: list) -> list[tuple]:
    return [(r.type, r.dir, r.stream_id, r.to_json().get("payload_text", r.to_json().get("text"))) for r in records]


def test_the_websocket_of_an_extended_connect_is_decoded_per_direction() -> None:
    records = _decode(_wire())
    frames = [r for r in records if r.type == "frame"]
    assert [(r.dir, r.stream_id, r.to_json()["payload_text"], r.to_json()["masked"]) for r in frames] == [
        ("c2s", 1, "hi", True), ("c2s", 1, "there", True), ("s2c", 1, "hello", False),
        ("c2s", 1, None, True), ("s2c", 1, None, False)]
    assert all(not r.violations for r in frames)
    assert frames[-1].to_json()["close_code"] == 1000
    assert all(r.to_json()["stream_id"] == 1 for r in records)
    assert ("message", "c2s", 1, "there") in _summary(records)


def test_any_chunking_gives_the_same_records() -> None:
    whole = _summary(_decode(_wire()))
    for seed in (1, 2, 3, 7, 20):
        assert _summary(_decode(_wire(), split=seed)) == whole


def test_a_refused_connect_is_not_read_as_websocket() -> None:
    assert _decode(_wire(status="403")) == []


def test_is_websocket_connect() -> None:
    assert is_websocket_connect(CONNECT)
    assert not is_websocket_connect([(":method", "CONNECT"), (":authority", "example.com:443")])  # a tunnel
    assert not is_websocket_connect([(":method", "GET"), (":protocol", "websocket")])
