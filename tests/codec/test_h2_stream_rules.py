"""Stream states, stream identifiers, server push and flow control (RFC 9113 §5.1, §5.1.1, §6.6, §6.9.1).

One case per MUST broken (named, with its section, naming the stream) and one per legal oddity (quiet),
each fed through the whole frame view whole and a byte at a time.
"""

from __future__ import annotations

import pytest
from hpack import Encoder
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    HeadersFrame,
    PriorityFrame,
    PushPromiseFrame,
    RstStreamFrame,
    SettingsFrame,
    WindowUpdateFrame,
)

from wiretool.codec.h2frame import PREFACE, H2FrameView
from wiretool.codec.h2streams import StreamRules

MAX = 2**31 - 1
REQ = [(":method", "GET"), (":scheme", "http"), (":authority", "x"), (":path", "/")]
RESP = [(":status", "200")]


class Conn:
    """Both sides of one connection through one frame view: ``c(...)`` the client sends, ``s(...)`` the server."""

    def __init__(self, chunk: int | None, *, client_settings: dict[int, int] | None = None,
                 server_settings: dict[int, int] | None = None, ack: bool = True, roles=None) -> None:
        kw = {"roles": roles} if roles else {}
        self.view = H2FrameView(preface={"send": "expect", "recv": "none"}, **kw)
        self.chunk = chunk
        self.enc = {"send": Encoder(), "recv": Encoder()}
        self.records: list = []
        self.feed("send", PREFACE + SettingsFrame(0, settings=client_settings or {}).serialize())
        self.feed("recv", SettingsFrame(0, settings=server_settings or {}).serialize())
        if ack:
            self.feed("send", SettingsFrame(0, flags=["ACK"]).serialize())
            self.feed("recv", SettingsFrame(0, flags=["ACK"]).serialize())

    def feed(self, direction: str, data: bytes) -> list[tuple[str, str, str]]:
        step = self.chunk or max(len(data), 1)
        recs = []
        for i in range(0, len(data), step):
            recs += self.view.feed(direction, data[i:i + step])
        self.records += recs
        return [(v.code, v.rfc, v.message) for r in recs for v in r.violations]

    def c(self, *frames) -> list[tuple[str, str, str]]:
        return self.feed("send", b"".join(f.serialize() for f in frames))

    def s(self, *frames) -> list[tuple[str, str, str]]:
        return self.feed("recv", b"".join(f.serialize() for f in frames))

    def headers(self, direction: str, sid: int, headers, flags=("END_HEADERS",)) -> HeadersFrame:
        return HeadersFrame(sid, data=self.enc[direction].encode(headers), flags=list(flags))

    def request(self, sid: int, end: bool = True) -> list[tuple[str, str, str]]:
        flags = ("END_HEADERS", "END_STREAM") if end else ("END_HEADERS",)
        return self.c(self.headers("send", sid, REQ, flags))

    def response(self, sid: int, body: bytes = b"ok") -> list[tuple[str, str, str]]:
        return self.s(self.headers("recv", sid, RESP), DataFrame(sid, data=body, flags=["END_STREAM"]))


def raw(typ: int, flags: int, sid: int, body: bytes) -> bytes:
    return len(body).to_bytes(3, "big") + bytes([typ, flags]) + sid.to_bytes(4, "big") + body


@pytest.fixture(params=[None, 1], ids=["whole", "bytewise"])
def mk(request):
    return lambda **kw: Conn(request.param, **kw)


def one(found, code: str, section: str, stream: int) -> None:
    """Exactly one violation: ``code`` with its RFC 9113 section, and its message names the stream."""
    assert [(c, r) for c, r, _ in found] == [(code, f"RFC 9113 §{section}")], found
    assert f"stream {stream}" in found[0][2], found


# -- rules broken: each named -------------------------------------------------------------------------
def test_data_on_idle_stream(mk):
    c = mk()
    assert c.request(1) == []
    one(c.s(DataFrame(3, data=b"x")), "frame_on_idle_stream", "5.1", 3)


def test_window_update_on_idle_stream(mk):
    c = mk()
    c.request(1)
    one(c.s(WindowUpdateFrame(5, window_increment=10)), "frame_on_idle_stream", "5.1", 5)


def test_rst_stream_on_idle_stream(mk):
    c = mk()
    c.request(1)
    one(c.s(RstStreamFrame(7, error_code=1)), "frame_on_idle_stream", "5.1", 7)


def test_client_data_on_a_stream_it_never_opened(mk):
    c = mk()
    one(c.c(DataFrame(1, data=b"x")), "frame_on_idle_stream", "5.1", 1)


def test_continuation_on_idle_stream_is_named_once_by_the_frame_view(mk):
    c = mk()
    c.request(1)
    found = c.s(ContinuationFrame(3, data=b"", flags=["END_HEADERS"]))
    assert [code for code, _, _ in found] == ["continuation_unexpected"]


def test_server_opening_an_odd_stream(mk):
    c = mk()
    c.request(1)
    c.response(1)
    one(c.s(c.headers("recv", 3, RESP)), "stream_id_wrong_parity", "5.1.1", 3)


def test_client_opening_an_even_stream(mk):
    c = mk()
    one(c.c(c.headers("send", 2, REQ)), "stream_id_wrong_parity", "5.1.1", 2)


def test_client_stream_id_not_greater_than_one_already_opened(mk):
    c = mk()
    c.request(5)
    one(c.request(3), "stream_id_not_increasing", "5.1.1", 3)


def test_promised_stream_id_not_greater_than_one_already_promised(mk):
    c = mk()
    c.request(1, end=True)
    assert c.s(PushPromiseFrame(1, promised_stream_id=4, data=c.enc["recv"].encode(REQ), flags=["END_HEADERS"])) == []
    one(c.s(PushPromiseFrame(1, promised_stream_id=2, data=c.enc["recv"].encode(REQ), flags=["END_HEADERS"])),
        "stream_id_not_increasing", "5.1.1", 2)


def test_data_on_a_stream_closed_implicitly_by_a_higher_one(mk):
    c = mk()
    c.request(1)
    c.request(5)
    one(c.s(c.headers("recv", 3, RESP)), "frame_on_closed_stream", "5.1", 3)


def test_data_after_the_senders_end_stream(mk):
    c = mk()
    c.request(1)
    c.response(1)
    one(c.s(DataFrame(1, data=b"late")), "frame_after_end_stream", "5.1", 1)


def test_headers_after_the_senders_end_stream(mk):
    c = mk()
    c.request(1)
    c.response(1)
    one(c.s(c.headers("recv", 1, [("x-trailer", "late")], ("END_HEADERS", "END_STREAM"))),
        "frame_after_end_stream", "5.1", 1)


def test_client_data_after_its_own_end_stream(mk):
    c = mk()
    c.request(1, end=True)
    one(c.c(DataFrame(1, data=b"more")), "frame_after_end_stream", "5.1", 1)


def test_data_after_the_sender_reset_the_stream(mk):
    c = mk()
    c.request(1)
    c.s(c.headers("recv", 1, RESP), RstStreamFrame(1, error_code=2))
    one(c.s(DataFrame(1, data=b"x")), "frame_after_reset", "5.1", 1)


def test_push_promise_from_the_client(mk):
    c = mk()
    c.request(1, end=False)
    one(c.c(PushPromiseFrame(1, promised_stream_id=2, data=b"", flags=["END_HEADERS"])),
        "push_promise_from_client", "8.4", 1)


def test_push_promise_when_the_client_disabled_push(mk):
    c = mk(client_settings={0x2: 0})
    c.request(1)
    one(c.s(PushPromiseFrame(1, promised_stream_id=2, data=c.enc["recv"].encode(REQ), flags=["END_HEADERS"])),
        "push_disabled", "6.6", 1)


def test_push_promise_on_a_stream_the_client_never_opened(mk):
    c = mk()
    c.request(1)
    one(c.s(PushPromiseFrame(3, promised_stream_id=2, data=c.enc["recv"].encode(REQ), flags=["END_HEADERS"])),
        "push_on_bad_stream", "6.6", 3)


def test_push_promise_on_a_stream_the_server_already_ended(mk):
    c = mk()
    c.request(1)
    c.response(1)
    one(c.s(PushPromiseFrame(1, promised_stream_id=2, data=c.enc["recv"].encode(REQ), flags=["END_HEADERS"])),
        "push_on_bad_stream", "6.6", 1)


def test_data_on_a_promised_stream_before_its_headers(mk):
    c = mk()
    c.request(1)
    c.s(PushPromiseFrame(1, promised_stream_id=2, data=c.enc["recv"].encode(REQ), flags=["END_HEADERS"]))
    one(c.s(DataFrame(2, data=b"x")), "frame_on_reserved_stream", "5.1", 2)


def test_window_update_past_the_maximum_on_the_connection(mk):
    c = mk()
    c.request(1)
    assert c.s(WindowUpdateFrame(0, window_increment=MAX - 65_535)) == []
    one(c.s(WindowUpdateFrame(0, window_increment=1)), "window_overflow", "6.9.1", 0)


def test_window_update_past_the_maximum_on_a_stream(mk):
    c = mk()
    c.request(1, end=False)
    one(c.s(WindowUpdateFrame(1, window_increment=MAX)), "window_overflow", "6.9.1", 1)


def test_data_beyond_the_stream_window(mk):
    c = mk(client_settings={0x4: 10})
    c.request(1)
    c.s(c.headers("recv", 1, RESP))
    assert c.s(DataFrame(1, data=b"x" * 10)) == []
    one(c.s(DataFrame(1, data=b"y")), "flow_control_exceeded", "6.9.1", 1)


def test_data_beyond_the_connection_window(mk):
    c = mk(client_settings={0x4: MAX})
    c.request(1)
    c.s(c.headers("recv", 1, RESP))
    assert c.s(*(DataFrame(1, data=b"x" * 16_383) for _ in range(4))) == []  # 65,532 of 65,535
    one(c.s(DataFrame(1, data=b"y" * 4)), "flow_control_exceeded", "6.9.1", 1)


def test_padding_counts_toward_the_window(mk):
    c = mk(client_settings={0x4: 10})
    c.request(1)
    c.s(c.headers("recv", 1, RESP))
    one(c.s(DataFrame(1, data=b"x" * 5, flags=["PADDED"], pad_length=5)), "flow_control_exceeded", "6.9.1", 1)


def test_a_window_update_lets_more_data_through(mk):
    c = mk(client_settings={0x4: 10})
    c.request(1)
    c.s(c.headers("recv", 1, RESP), DataFrame(1, data=b"x" * 10))
    c.c(WindowUpdateFrame(1, window_increment=5))
    assert c.s(DataFrame(1, data=b"x" * 5)) == []
    one(c.s(DataFrame(1, data=b"x")), "flow_control_exceeded", "6.9.1", 1)


# -- legal oddities: quiet --------------------------------------------------------------------------
def quiet(c: Conn) -> None:
    assert [v.code for r in c.records for v in r.violations] == []


def test_unknown_frame_types_settings_flags_and_reserved_bit_are_quiet(mk):
    c = mk(server_settings={0x99: 7})
    c.request(1)
    c.feed("recv", raw(0x42, 0xFF, 1, b"whatever") + raw(0x42, 0, 11, b""))  # unknown types, any stream
    c.s(c.headers("recv", 1, RESP))
    c.feed("recv", raw(0x0, 0x40, 0x80000001, b"hi"))  # DATA with an undefined flag and the reserved bit set
    c.s(DataFrame(1, data=b"", flags=["END_STREAM"]))
    quiet(c)


def test_a_full_size_data_frame_is_quiet(mk):
    c = mk()
    c.request(1)
    c.s(c.headers("recv", 1, RESP), DataFrame(1, data=b"x" * 2**14, flags=["END_STREAM"]))
    quiet(c)


def test_many_continuations_are_quiet(mk):
    c = mk()
    c.request(1)
    block = c.enc["recv"].encode([*RESP, ("x-long", "y" * 400)])
    parts = [block[i:i + 8] for i in range(0, len(block), 8)]
    frames = [HeadersFrame(1, data=parts[0], flags=["END_STREAM"])]
    frames += [ContinuationFrame(1, data=p) for p in parts[1:-1]]
    frames.append(ContinuationFrame(1, data=parts[-1], flags=["END_HEADERS"]))
    c.s(*frames)
    assert len(frames) > 40
    quiet(c)


def test_frames_in_flight_after_the_clients_reset_are_quiet(mk):
    c = mk()
    c.request(1)
    c.c(RstStreamFrame(1, error_code=8))
    c.s(c.headers("recv", 1, RESP), DataFrame(1, data=b"x"), WindowUpdateFrame(1, window_increment=1),
        RstStreamFrame(1, error_code=5))
    quiet(c)


def test_window_update_and_rst_stream_on_a_closed_stream_are_quiet(mk):
    c = mk()
    c.request(1)
    c.response(1)
    c.c(WindowUpdateFrame(1, window_increment=100), RstStreamFrame(1, error_code=0))
    c.s(WindowUpdateFrame(1, window_increment=100))
    quiet(c)


def test_priority_on_any_stream_is_quiet(mk):
    c = mk()
    c.c(PriorityFrame(7, depends_on=0, stream_weight=10), PriorityFrame(2, depends_on=0))
    c.request(1)
    c.response(1)
    c.s(PriorityFrame(1, depends_on=0), PriorityFrame(9, depends_on=0))
    quiet(c)


def test_trailers_and_informational_responses_are_quiet(mk):
    c = mk()
    c.request(1)
    c.s(c.headers("recv", 1, [(":status", "103")]), c.headers("recv", 1, RESP), DataFrame(1, data=b"x"),
        c.headers("recv", 1, [("grpc-status", "0")], ("END_HEADERS", "END_STREAM")))
    quiet(c)


def test_unacknowledged_smaller_window_is_judged_leniently(mk):
    c = mk(client_settings={0x4: 10}, ack=False)
    c.request(1)
    c.s(c.headers("recv", 1, RESP), DataFrame(1, data=b"x" * 1000, flags=["END_STREAM"]))
    quiet(c)


def test_a_pushed_stream_in_order_is_quiet(mk):
    c = mk()
    c.request(1)
    c.s(PushPromiseFrame(1, promised_stream_id=2, data=c.enc["recv"].encode(REQ), flags=["END_HEADERS"]),
        c.headers("recv", 2, RESP), DataFrame(2, data=b"pushed", flags=["END_STREAM"]))
    c.c(WindowUpdateFrame(2, window_increment=6))
    c.response(1)
    quiet(c)


def test_h2c_upgrade_response_on_stream_1_is_quiet(mk):
    c = mk()
    c.response(1)  # the HTTP/1.1 Upgrade request was stream 1 (RFC 7540 §3.2)
    c.request(3)
    c.response(3)
    quiet(c)


def test_h2c_upgrade_answer_after_more_streams_opened_is_quiet(mk):
    c = mk()
    c.request(3)
    c.request(5)
    c.response(1)  # the answer to the Upgrade request comes after the client opened streams 3 and 5
    c.response(3)
    c.response(5)
    quiet(c)


def test_the_largest_legal_window_is_quiet(mk):
    c = mk()
    c.request(1, end=False)
    c.s(WindowUpdateFrame(0, window_increment=MAX - 65_535), WindowUpdateFrame(1, window_increment=MAX - 65_535))
    quiet(c)


# -- what can be judged from one direction ------------------------------------------------------------
def test_a_fragment_of_frames_is_not_judged():
    view = H2FrameView(preface={"recv": "auto"})
    recs = view.feed("recv", DataFrame(1, data=b"x", flags=["END_STREAM"]).serialize()
                     + DataFrame(1, data=b"y").serialize() + WindowUpdateFrame(9, window_increment=1).serialize())
    assert [v.code for r in recs for v in r.violations] == []


def test_server_bytes_alone_judge_only_the_servers_own_rules():
    enc = Encoder()
    view = H2FrameView(preface={"recv": "auto"})
    data = (SettingsFrame(0).serialize() + HeadersFrame(1, data=enc.encode(RESP), flags=["END_HEADERS"]).serialize()
            + DataFrame(1, data=b"x", flags=["END_STREAM"]).serialize() + DataFrame(3, data=b"y").serialize()
            + DataFrame(1, data=b"late").serialize())
    found = [(v.code, r.stream_id) for r in view.feed("recv", data) for v in r.violations]
    assert found == [("frame_after_end_stream", 1)]


def test_roles_say_which_direction_is_the_client():
    """A server's own view: ``recv`` is the client, so its HEADERS on an even stream are the client's fault."""
    enc = Encoder()
    view = H2FrameView(preface={"send": "none", "recv": "auto"}, roles={"send": "server", "recv": "client"})
    view.feed("send", SettingsFrame(0).serialize())
    recs = view.feed("recv", PREFACE + SettingsFrame(0).serialize()
                     + HeadersFrame(2, data=enc.encode(REQ), flags=["END_HEADERS"]).serialize())
    assert [(v.code, r.stream_id) for r in recs for v in r.violations] == [("stream_id_wrong_parity", 2)]


# -- memory ---------------------------------------------------------------------------------------------
def test_a_million_streams_keep_a_bounded_number_of_entries():
    rules = StreamRules(max_open=64, max_closed=64)
    rules.on_frame("send", 0x4, 0, 0, 0, {})
    rules.on_frame("recv", 0x4, 0, 0, 0, {})
    for sid in range(1, 2_000_001, 2):
        rules.on_frame("send", 0x1, 0x4, sid, 0, {})
        assert rules.tracked_streams <= 128 or sid < 130
    assert rules.tracked_streams <= 128
    assert rules.on_frame("recv", 0x0, 0, 5, 1, {}) == []  # forgotten: not judged
    found = rules.on_frame("send", 0x1, 0x4, 1_999_997, 0, {})
    assert found == []  # still open (among the newest): a second HEADERS, not a new stream
    assert [v.code for v in rules.on_frame("recv", 0x0, 0, 2_000_001, 1, {})] == ["frame_on_idle_stream"]


def test_data_beyond_the_stream_window_in_the_frame_that_ends_the_stream(mk):
    c = mk(client_settings={0x4: 15})
    c.request(1)
    c.s(c.headers("recv", 1, RESP))
    one(c.s(DataFrame(1, data=b"x" * 16, flags=["END_STREAM"])), "flow_control_exceeded", "6.9.1", 1)


def test_server_headers_on_an_even_stream_it_never_promised(mk):
    c = mk()
    c.request(1)
    one(c.s(c.headers("recv", 2, RESP)), "frame_on_idle_stream", "5.1", 2)
    assert c.s(DataFrame(2, data=b"x"))  # the stream never opened: its DATA is named too, not taken in


def test_a_new_initial_window_that_takes_an_open_stream_past_the_maximum(mk):
    """§6.9.2: the client grew stream 1's window by updates; a larger SETTINGS_INITIAL_WINDOW_SIZE then moves
    it past 2^31-1. Below the limit the same change is quiet."""
    c = mk()
    c.request(1)
    assert c.c(WindowUpdateFrame(1, window_increment=MAX - 65_535 - 10)) == []
    assert c.c(SettingsFrame(0, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 65_535 + 10})) == []
    one(c.c(SettingsFrame(0, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 65_535 + 11})),
        "window_overflow", "6.9.2", 1)
