"""H2FrameView.codec(dir): one direction of the frame view with the session contract's codec interface."""

from __future__ import annotations

from hpack import Encoder
from hyperframe.frame import DataFrame, HeadersFrame, SettingsFrame

from wiretool.codec.h2frame import PREFACE, H2FrameView
from wiretool.session import Codec


def _client_bytes() -> bytes:
    enc = Encoder()
    head = HeadersFrame(1, data=enc.encode([(":method", "POST"), (":path", "/"), (":scheme", "http"),
                                            (":authority", "x")]), flags=["END_HEADERS"]).serialize()
    return PREFACE + SettingsFrame(0).serialize() + head + DataFrame(1, b"x" * 300, flags=["END_STREAM"]).serialize()


def test_records_are_stamped_with_the_chunks_t_and_split_feeds_give_the_same_frames() -> None:
    data = _client_bytes()
    whole = H2FrameView(preface={"send": "expect"}).codec("send")
    assert isinstance(whole, Codec)
    one = whole.feed(data, 1.0) + whole.finish(2.0)
    assert [r.t for r in one] == [1.0] * len(one)
    split = H2FrameView(preface={"send": "expect"}).codec("send")
    pieces = []
    for i in range(len(data)):
        pieces += split.feed(data[i:i + 1], float(i))
    pieces += split.finish(float(len(data)))
    assert [r.to_json() | {"t": 0} for r in pieces] == [r.to_json() | {"t": 0} for r in one]
    assert [r.type for r in one] == ["preface", "frame", "frame", "frame"]


def test_a_truncated_frame_at_finish_is_stamped_with_finishs_t() -> None:
    codec = H2FrameView(preface={"send": "expect"}).codec("send")
    codec.feed(_client_bytes()[:-10], 1.0)
    (rest,) = codec.finish(5.0)
    assert rest.t == 5.0 and rest.violations[0].code == "truncated_frame"


def test_both_directions_share_the_views_state() -> None:
    view = H2FrameView(preface={"send": "expect", "recv": "none"})
    send, recv = view.codec("send"), view.codec("recv")
    send.feed(_client_bytes(), 0.0)
    recv.feed(SettingsFrame(0).serialize(), 0.1)
    assert view.frames == 5  # one counter for the connection: preface + 3 frames sent, 1 received
