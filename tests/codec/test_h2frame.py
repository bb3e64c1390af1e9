"""The pure HTTP/2 frame view: frames by name, header blocks decoded in wire order, violations, split feeds."""

from __future__ import annotations

from hpack import Encoder
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    GoAwayFrame,
    HeadersFrame,
    PingFrame,
    PriorityFrame,
    PushPromiseFrame,
    RstStreamFrame,
    SettingsFrame,
    WindowUpdateFrame,
)

from wiretool.codec.h2frame import PREFACE, H2FrameView
from wiretool.records.h2 import H2Frame, H2Preface


def feed_all(data: bytes, *, direction: str = "send", chunk: int | None = None, **kw) -> list:
    view = H2FrameView(preface={"send": "auto", "recv": "auto"}, **kw)
    out = []
    step = chunk or max(len(data), 1)
    for i in range(0, len(data), step):
        out += view.feed(direction, data[i:i + step])
    return out + view.finish(direction)


def codes(rec) -> list[str]:
    return [v.code for v in rec.violations]


def headers_frame(enc: Encoder, sid: int, headers, flags=("END_HEADERS",)) -> bytes:
    return HeadersFrame(sid, data=enc.encode(headers), flags=list(flags)).serialize()


def test_preface_settings_and_headers_decoded_with_secret_redacted():
    enc = Encoder()
    data = (PREFACE + SettingsFrame(0, settings={3: 100, 4: 65535}).serialize()
            + headers_frame(enc, 1, [(":method", "GET"), (":path", "/"), ("cookie", "s=1")],
                            ("END_HEADERS", "END_STREAM")))
    recs = feed_all(data)
    assert isinstance(recs[0], H2Preface) and recs[0].valid
    settings, headers = recs[1], recs[2]
    assert settings.frame_type == "SETTINGS" and settings.settings == {"MAX_CONCURRENT_STREAMS": 100,
                                                                        "INITIAL_WINDOW_SIZE": 65535}
    assert headers.flags == ("END_STREAM", "END_HEADERS") and headers.stream_id == 1
    assert headers.headers == [(":method", "GET"), (":path", "/"), ("cookie", "<redacted>")]
    assert headers.hpack_table_size > 0
    assert all(not r.violations for r in recs)


def test_every_split_gives_the_same_records():
    enc = Encoder()
    data = (PREFACE + SettingsFrame(0).serialize() + headers_frame(enc, 1, [(":path", "/a"), ("x", "y" * 50)])
            + DataFrame(1, data=b"hello", flags=["END_STREAM"]).serialize() + PingFrame(0, opaque_data=b"12345678").serialize())
    whole = [r.to_json() for r in feed_all(data)]
    for chunk in (1, 2, 7, 9, 10, 33):
        assert [r.to_json() for r in feed_all(data, chunk=chunk)] == whole
    assert [r["frame_type"] for r in whole[1:]] == ["SETTINGS", "HEADERS", "DATA", "PING"]
    assert whole[3]["data_length"] == 5 and whole[4]["ping_data"] == b"12345678".hex()


def test_continuation_kept_separate_and_headers_on_the_last_frame():
    block = Encoder().encode([(":status", "200"), ("x-long", "v" * 200)])
    data = (SettingsFrame(0).serialize()
            + HeadersFrame(3, data=block[:50]).serialize()
            + ContinuationFrame(3, data=block[50:100]).serialize()
            + ContinuationFrame(3, data=block[100:], flags=["END_HEADERS"]).serialize())
    recs = feed_all(data, direction="recv")
    assert [r.frame_type for r in recs] == ["SETTINGS", "HEADERS", "CONTINUATION", "CONTINUATION"]
    assert recs[1].headers is None and recs[2].headers is None
    assert recs[3].headers == [(":status", "200"), ("x-long", "v" * 200)]


def test_hpack_decoder_per_direction_in_wire_order():
    send_enc, recv_enc = Encoder(), Encoder()
    view = H2FrameView(preface={"send": "none"})
    h = [("x-custom", "one")]
    recs = view.feed("send", headers_frame(send_enc, 1, h)) + view.feed("recv", headers_frame(recv_enc, 1, h))
    recs += view.feed("send", headers_frame(send_enc, 3, h))  # indexed from the send table only
    assert [r.headers for r in recs] == [h, h, h]
    assert not any(r.violations for r in recs)


def test_hpack_entries_shown_on_request():
    recs = feed_all(headers_frame(Encoder(), 1, [("x-a", "1")]), hpack_entries=True)
    assert recs[0].hpack_entries == [("x-a", "1")]
    assert recs[0].to_json()["hpack_entries"] == [["x-a", "1"]]


def test_types_carry_their_fields():
    data = b"".join([
        RstStreamFrame(1, error_code=8).serialize(),
        GoAwayFrame(0, last_stream_id=5, error_code=11, additional_data=b"calm down").serialize(),
        WindowUpdateFrame(0, window_increment=1000).serialize(),
        PriorityFrame(3, depends_on=1, stream_weight=15, exclusive=True).serialize(),
        PushPromiseFrame(1, promised_stream_id=2, data=Encoder().encode([(":path", "/p")]),
                         flags=["END_HEADERS"]).serialize(),
        DataFrame(1, data=b"abc", pad_length=4, flags=["PADDED"]).serialize(),
        b"\x00\x00\x02\x42\x03\x00\x00\x00\x00zz",  # an extension type nobody defined
    ])
    recs = feed_all(data, direction="recv")
    rst, goaway, wu, prio, pp, data_f, ext = recs
    assert rst.error_code == "CANCEL"
    assert (goaway.last_stream_id, goaway.error_code, goaway.debug_data) == (5, "ENHANCE_YOUR_CALM", "calm down")
    assert wu.window_increment == 1000
    assert prio.priority == {"depends_on": 1, "weight": 16, "exclusive": True}
    assert pp.promised_stream_id == 2 and pp.headers == [(":path", "/p")]
    assert data_f.data_length == 3 and data_f.padding == 4
    assert ext.frame_type == "UNKNOWN_0x42" and ext.flags == ("0x03",) and not ext.violations


def test_violations_named_with_rfc_sections():
    bad = [
        (b"\x00\x00\x03\x00\x01\x00\x00\x00\x00abc", "stream_id_required", "§6.1"),       # DATA on stream 0
        (b"\x00\x00\x08\x06\x00\x00\x00\x00\x05" + b"x" * 8, "stream_id_forbidden", "§6.7"),  # PING on stream 5
        (b"\x00\x00\x04\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00", "window_update_zero", "§6.9"),
        (b"\x00\x00\x06\x04\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x07", "bad_setting", "§6.5.2"),
        (b"\x00\x00\x05\x04\x00\x00\x00\x00\x00" + b"x" * 5, "frame_size_error", "§6.5"),
        (b"\x00\x00\x03\x06\x00\x00\x00\x00\x00abc", "frame_size_error", "§6.7"),
        (ContinuationFrame(1, data=b"\x82").serialize(), "continuation_unexpected", "§6.10"),
        (b"\x00\x00\x02\x01\x04\x00\x00\x00\x01\xff\xff", "hpack_error", "§4.3"),
        (b"\x00\x40\x01\x00\x00\x00\x00\x00\x01" + b"\x00" * 16385, "frame_too_large", "§4.2"),
        (b"\x00\x00\x03\x00\x08\x00\x00\x00\x01\x05ab", "malformed_frame", "§6.1"),  # padding too long
    ]
    for data, code, section in bad:
        recs = feed_all(data, direction="recv")
        assert code in codes(recs[0]), (data[:12], recs)
        assert any(v.rfc.endswith(section) for v in recs[0].violations if v.code == code)


def test_frame_interrupting_a_header_block():
    data = (HeadersFrame(1, data=b"\x82").serialize() + DataFrame(1, data=b"x").serialize())
    recs = feed_all(data, direction="recv")
    assert "continuation_expected" in codes(recs[1])


def test_settings_must_come_first_after_the_preface():
    recs = feed_all(PREFACE + PingFrame(0).serialize())
    assert "settings_not_first" in codes(recs[1])


def test_truncated_input_is_reported_at_finish():
    recs = feed_all(DataFrame(1, data=b"hello").serialize()[:-2], direction="recv")
    assert recs[-1].frame_type == "DATA" and codes(recs[-1]) == ["truncated_frame"]


def test_invalid_preface():
    recs = feed_all(b"PRI * HTTP/1.1\r\n\r\nXX\r\n\r\n" + SettingsFrame(0).serialize())
    assert isinstance(recs[0], H2Preface) and not recs[0].valid and codes(recs[0]) == ["invalid_preface"]
    assert recs[1].frame_type == "SETTINGS"


def test_max_frame_size_follows_the_other_sides_settings():
    view = H2FrameView(preface={"send": "none"})
    view.feed("send", SettingsFrame(0, settings={5: 32768}).serialize())
    big = DataFrame(1, data=b"x" * 20000).serialize()
    assert not view.feed("recv", big)[0].violations
    assert "frame_too_large" in codes(view.feed("send", big)[0])


def test_continuation_flood_is_bounded_and_reported():
    view = H2FrameView(preface={"send": "none"}, max_header_block=1024)
    recs = view.feed("recv", HeadersFrame(1, data=b"\x00" * 1000).serialize())
    flood = ContinuationFrame(1, data=b"\x00" * 1000).serialize()
    for _ in range(200):
        recs += view.feed("recv", flood)
    recs += view.feed("recv", ContinuationFrame(1, data=b"", flags=["END_HEADERS"]).serialize())
    assert sum("header_block_too_large" in codes(r) for r in recs) == 1
    assert recs[-1].headers is None
    assert view._dirs["recv"].block is None  # nothing kept


def test_hpack_bomb_stops_at_the_header_list_limit():
    enc = Encoder()
    first = enc.encode([("x-bomb", "b" * 4000)])  # one table entry...
    again = enc.encode([("x-bomb", "b" * 4000)] * 40)  # ...referenced 40 times: 160 kB from ~40 bytes
    data = (HeadersFrame(1, data=first, flags=["END_HEADERS"]).serialize()
            + HeadersFrame(3, data=again, flags=["END_HEADERS"]).serialize())
    recs = feed_all(data, direction="recv")
    assert recs[0].headers == [("x-bomb", "b" * 4000)]
    assert "hpack_error" in codes(recs[1]) and recs[1].headers is None


def test_body_kept_only_when_asked():
    frame = DataFrame(1, data=b"hi there").serialize()
    assert feed_all(frame, direction="recv")[0].data is None
    rec = feed_all(frame, direction="recv", keep_data=True)[0]
    assert rec.to_json()["data_text"] == "hi there"


def test_offsets_in_decode_mode():
    data = PREFACE + SettingsFrame(0).serialize() + PingFrame(0).serialize()
    recs = feed_all(data, offsets=True, chunk=5)
    assert [r.offset for r in recs] == [0, 24, 33]


def test_json_shape_of_a_frame():
    rec = H2Frame(t=1.5, dir="recv", frame_type="RST_STREAM", type_code=3, length=4, stream_id=1,
                  error_code="CANCEL")
    assert rec.to_json() == {"proto": "h2", "type": "frame", "t": 1.5, "dir": "recv", "frame_type": "RST_STREAM",
                             "type_code": 3, "length": 4, "flags": [], "stream_id": 1, "error_code": "CANCEL",
                             "violations": []}


def test_repeated_blocks_follow_the_dynamic_table():
    enc = Encoder()
    view = H2FrameView(preface={"send": "none"})
    first = view.feed("recv", headers_frame(enc, 1, [("x-v", "1")]))  # adds x-v: 1 at index 62
    again = HeadersFrame(3, data=b"\xbe", flags=["END_HEADERS"]).serialize()  # indexed 62, table unchanged
    assert [r.headers for r in view.feed("recv", again) + view.feed("recv", again)] == [[("x-v", "1")]] * 2
    view.feed("recv", headers_frame(enc, 5, [("x-v", "2")]))  # now index 62 is x-v: 2
    assert view.feed("recv", again)[0].headers == [("x-v", "2")]
    assert first[0].headers == [("x-v", "1")]


def test_large_frame_in_small_reads_gives_the_same_records_as_one_feed():
    """A 1 MiB DATA frame (the peer allowed 2^24-1) between small frames, fed whole or in reads of any size."""
    allow_big = SettingsFrame(0, settings={5: 2**24 - 1}).serialize()
    big = DataFrame(1, data=bytes(range(256)) * 4096, flags=["END_STREAM"]).serialize()
    wire = (SettingsFrame(0).serialize() + PingFrame(0, opaque_data=b"abcdefgh").serialize() + big
            + DataFrame(3, data=b"tail").serialize() + big[:9 + 100])

    def decode(step: int) -> list[dict]:
        view = H2FrameView(preface={"send": "none", "recv": "none"}, offsets=True, keep_data=True)
        view.feed("send", allow_big)
        out = []
        for i in range(0, len(wire), step):
            out += view.feed("recv", wire[i:i + step])
        return [r.to_json() | {"data": getattr(r, "data", None)} for r in out + view.finish("recv")]

    whole = decode(len(wire))
    assert [r["frame_type"] for r in whole] == ["SETTINGS", "PING", "DATA", "DATA", "DATA"]
    assert whole[2]["data_length"] == 1 << 20 and whole[2]["data"] == bytes(range(256)) * 4096
    assert whole[4]["violations"][0]["code"] == "truncated_frame"
    for step in (16 * 1024, 4093, 9, 1000):
        assert decode(step) == whole
