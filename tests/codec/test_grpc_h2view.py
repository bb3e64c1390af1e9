"""The gRPC view inside the HTTP/2 frame view: crafted frames in, message and status records out, pure."""

from __future__ import annotations

import tracemalloc

from hpack import Encoder
from hyperframe.frame import ContinuationFrame, DataFrame, HeadersFrame, RstStreamFrame
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.codec.grpcview import GrpcStreams, is_grpc_content_type
from wiretool.codec.h2frame import H2FrameView

HELLO = b"\x0a\x05world"
REQUEST = [(":method", "POST"), (":scheme", "http"), (":path", "/demo.Greeter/SayHello"),
           (":authority", "x"), ("content-type", "application/grpc"), ("te", "trailers")]
RESPONSE = [(":status", "200"), ("content-type", "application/grpc")]


def framed(payload: bytes, flag: int = 0) -> bytes:
    return bytes([flag]) + len(payload).to_bytes(4, "big") + payload


class Wire:
    """Both directions of one connection as frame bytes, each with its own HPACK encoder."""

    def __init__(self) -> None:
        self.enc = {"send": Encoder(), "recv": Encoder()}

    def headers(self, direction: str, sid: int, headers: list[tuple[str, str]], *flags: str) -> bytes:
        return HeadersFrame(sid, self.enc[direction].encode(headers), flags=["END_HEADERS", *flags]).serialize()

    @staticmethod
    def data(sid: int, payload: bytes, *flags: str) -> bytes:
        return DataFrame(sid, payload, flags=list(flags)).serialize()


def view(**kw) -> H2FrameView:
    return H2FrameView(preface={"send": "none", "recv": "none"}, settings_first={"send": False, "recv": False},
                       grpc=GrpcStreams(**kw) if kw else True)


def kinds(records) -> list[str]:
    return [f"{r.proto}:{getattr(r, 'frame_type', r.type)}" for r in records]


def test_request_and_response_messages_follow_their_data_frames():
    w, v = Wire(), view()
    out = v.feed("send", w.headers("send", 1, REQUEST) + w.data(1, framed(b"\x0a\x03bob"), "END_STREAM"))
    assert kinds(out) == ["h2:HEADERS", "h2:DATA", "grpc:message"]
    assert out[2].dir == "send" and out[2].fields[0].value == "bob"
    out = v.feed("recv", w.headers("recv", 1, RESPONSE) + w.data(1, framed(HELLO)[:3]) + w.data(1, framed(HELLO)[3:])
                 + w.headers("recv", 1, [("grpc-status", "0")], "END_STREAM"))
    assert kinds(out) == ["h2:HEADERS", "h2:DATA", "h2:DATA", "grpc:message", "h2:HEADERS", "grpc:status"]
    assert out[3].payload == HELLO and (out[5].name, out[5].source) == ("OK", "trailers")


def test_trailers_split_by_continuation_with_end_stream_on_the_headers_frame():
    w, v = Wire(), view()
    block = w.enc["recv"].encode([("grpc-status", "5"), ("grpc-message", "gone%21")])
    first = HeadersFrame(1, block[:2], flags=["END_STREAM"])
    cont = ContinuationFrame(1, block[2:], flags=["END_HEADERS"])
    out = v.feed("recv", w.headers("recv", 1, RESPONSE) + first.serialize() + cont.serialize())
    status = out[-1]
    assert kinds(out) == ["h2:HEADERS", "h2:HEADERS", "h2:CONTINUATION", "grpc:status"]
    assert (status.code, status.message, status.source) == (5, "gone!", "trailers")


def test_stream_becomes_grpc_from_the_response_alone():
    w, v = Wire(), view()
    out = v.feed("recv", w.headers("recv", 3, [(":status", "200"), ("content-type", "application/grpc+proto")])
                 + w.data(3, framed(HELLO) * 2))
    assert kinds(out)[-2:] == ["grpc:message", "grpc:message"]


def test_plain_and_grpc_web_streams_are_left_alone():
    w, v = Wire(), view()
    out = v.feed("recv", w.headers("recv", 1, [(":status", "200"), ("content-type", "application/grpc-web")])
                 + w.data(1, framed(HELLO), "END_STREAM")
                 + w.headers("recv", 3, [(":status", "200"), ("content-type", "text/plain")])
                 + w.data(3, framed(HELLO), "END_STREAM"))
    assert all(r.proto == "h2" for r in out)
    assert is_grpc_content_type("application/grpc; charset=x") and not is_grpc_content_type("application/grpcx")


def test_client_cancel_maps_to_cancelled():
    w, v = Wire(), view()
    v.feed("send", w.headers("send", 1, REQUEST))
    out = v.feed("send", RstStreamFrame(1, error_code=0x8).serialize())
    assert (out[-1].name, out[-1].source) == ("CANCELLED", "rst_stream")
    assert "by the client" in out[-1].message


def test_message_cut_by_reset_is_reported_then_status():
    w, v = Wire(), view()
    out = v.feed("recv", w.headers("recv", 1, RESPONSE) + w.data(1, framed(HELLO)[:6])
                 + RstStreamFrame(1, error_code=0x2).serialize())
    assert kinds(out)[-2:] == ["grpc:message", "grpc:status"]
    assert out[-2].violations[0].code == "grpc-truncated" and out[-1].name == "INTERNAL"


def test_schema_decoder_is_asked_per_direction():
    asked = []

    def schema_for(path, is_request):
        asked.append((path, is_request))
        return lambda payload: ({"len": len(payload)}, "T.Req" if is_request else "T.Rep", None)

    w, v = Wire(), view(schema_for=schema_for)
    out = v.feed("send", w.headers("send", 1, REQUEST) + w.data(1, framed(b"\x0a\x03bob"), "END_STREAM"))
    out += v.feed("recv", w.headers("recv", 1, RESPONSE) + w.data(1, framed(HELLO)))
    msgs = [r for r in out if r.proto == "grpc"]
    assert [(m.message_type, m.decoded) for m in msgs] == [("T.Req", {"len": 5}), ("T.Rep", {"len": 7})]
    assert asked == [("/demo.Greeter/SayHello", True), ("/demo.Greeter/SayHello", False)]


def test_tracked_streams_are_bounded():
    w, v = Wire(), view(max_streams=50)
    for sid in range(1, 2001, 2):
        v.feed("recv", w.headers("recv", sid, RESPONSE) + w.data(sid, framed(HELLO)[:3]))
    assert v.grpc is not None and len(v.grpc._streams) <= 50


@settings(deadline=None, max_examples=150)
@given(st.binary(max_size=4096), st.lists(st.integers(min_value=0, max_value=600), max_size=12),
       st.sampled_from(["identity", "gzip", "deflate", "br"]))
def test_any_bytes_in_grpc_data_frames_never_raise_and_stay_bounded(payload, cuts, encoding):
    w, v = Wire(), view(max_message=1024)
    v.feed("recv", w.headers("recv", 1, [*RESPONSE, ("grpc-encoding", encoding)]))
    pos = 0
    for cut in [*cuts, len(payload)]:
        chunk = payload[pos:pos + cut]
        pos += cut
        v.feed("recv", w.data(1, chunk))
    v.feed("recv", w.headers("recv", 1, [("grpc-status", "0")], "END_STREAM"))
    v.finish("recv")
    assert v.grpc is not None and not v.grpc._streams


def test_4gb_prefixes_cost_no_memory():
    w, v = Wire(), view()
    tracemalloc.start()
    try:
        v.feed("recv", w.headers("recv", 1, RESPONSE))
        for _ in range(200):
            out = v.feed("recv", w.data(1, b"\x00\xff\xff\xff\xff" + b"x" * 16000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2 * 1024 * 1024
    assert kinds(out) == ["h2:DATA"]  # still skipping the first message's 4 GB


def test_a_push_promise_continuation_is_not_read_as_the_streams_headers():
    from hyperframe.frame import PushPromiseFrame

    w, v = Wire(), view()
    v.feed("send", w.headers("send", 1, REQUEST))
    v.feed("recv", w.headers("recv", 1, RESPONSE))
    block = w.enc["recv"].encode([(":method", "GET"), (":path", "/pushed"), (":scheme", "http"), (":authority", "x"),
                                  ("grpc-status", "9")])
    promise = PushPromiseFrame(1, promised_stream_id=2, data=block[:3]).serialize()
    cont = ContinuationFrame(1, block[3:], flags=["END_HEADERS"]).serialize()
    out = v.feed("recv", promise + cont + w.data(1, framed(HELLO)))
    assert kinds(out) == ["h2:PUSH_PROMISE", "h2:CONTINUATION", "h2:DATA", "grpc:message"]
