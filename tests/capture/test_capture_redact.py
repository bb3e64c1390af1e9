"""Secrets hidden in a capture's raw bytes: HTTP/1 heads and HPACK header blocks, whatever the chunking."""

from __future__ import annotations

import hpack
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.capture.redact import H2_PREFACE, H2Redactor, Http1Redactor

HEAD = (b"GET /chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer s3cret\r\nCookie: sid=abc\r\n"
        b"X-Keep: 1\r\n\r\n")
FRAMES = b"\x81\x85abcd\x09\x04\x0f\x08\x0e"


def feed_split(red: Http1Redactor | H2Redactor, data: bytes, cuts: list[int]) -> bytes:
    out = b""
    pos = 0
    for cut in sorted(set(cuts)):
        out += red.feed(data[pos:cut])
        pos = cut
    return out + red.feed(data[pos:]) + red.flush()


@settings(deadline=None, max_examples=60)
@given(st.lists(st.integers(min_value=0, max_value=len(HEAD) + len(FRAMES)), max_size=6))
def test_http1_head_redacted_whatever_the_chunking(cuts: list[int]) -> None:
    out = feed_split(Http1Redactor(), HEAD + FRAMES, cuts)
    assert b"s3cret" not in out and b"sid=abc" not in out
    assert out == (b"GET /chat HTTP/1.1\r\nHost: x\r\nAuthorization: <redacted>\r\nCookie: <redacted>\r\n"
                   b"X-Keep: 1\r\n\r\n" + FRAMES)


def test_bytes_that_are_not_a_head_pass_at_once() -> None:
    red = Http1Redactor()
    assert red.feed(FRAMES) == FRAMES
    assert red.feed(b"Authorization: later bytes are a body, left alone") != b""


def _headers_frame(block: bytes, sid: int, flags: int = 0x05) -> bytes:
    return len(block).to_bytes(3, "big") + bytes([1, flags]) + sid.to_bytes(4, "big") + block


def _stream() -> tuple[bytes, list[list[tuple[str, str]]]]:
    enc = hpack.Encoder()
    lists = [
        [(":method", "GET"), (":path", "/a"), ("authorization", "Bearer h2-s3cret"), ("x-id", "one")],
        [(":method", "GET"), (":path", "/b"), ("cookie", "sid=" + "k" * 40), ("x-id", "one")],
        [(":method", "GET"), (":path", "/c"), ("cookie", "sid=" + "k" * 40), ("x-id", "two")],
    ]
    data = H2_PREFACE + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])
    for i, headers in enumerate(lists):
        data += _headers_frame(enc.encode(headers), 2 * i + 1)
    return data, lists


@settings(deadline=None, max_examples=60)
@given(st.lists(st.integers(min_value=0, max_value=400), max_size=6))
def test_hpack_secrets_blanked_in_place_and_the_table_stays_in_step(cuts: list[int]) -> None:
    data, lists = _stream()
    out = feed_split(H2Redactor(), data, cuts)
    assert len(out) == len(data) and b"h2-s3cret" not in out and b"k" * 40 not in out
    dec = hpack.Decoder()
    pos = len(H2_PREFACE) + 9
    for expected in lists:
        length = int.from_bytes(out[pos:pos + 3], "big")
        got = dec.decode(out[pos + 9:pos + 9 + length])
        pos += 9 + length
        for (name, value), (ename, evalue) in zip(got, expected, strict=True):
            assert name == ename
            if name in ("authorization", "cookie"):
                assert set(value) == {"*"}
            else:
                assert value == evalue  # later fields, indexed or not, still decode to what was sent


def test_header_block_split_over_continuation_is_held_until_whole() -> None:
    block = hpack.Encoder().encode([(":method", "GET"), ("authorization", "Bearer split-s3cret")])
    first = _headers_frame(block[:5], 1, flags=0x00)
    rest = len(block[5:]).to_bytes(3, "big") + bytes([9, 0x04]) + (1).to_bytes(4, "big") + block[5:]
    red = H2Redactor()
    assert red.feed(H2_PREFACE + first) == H2_PREFACE  # the HEADERS waits for its CONTINUATION
    out = red.feed(rest)
    assert len(out) == len(first + rest) and b"split-s3cret" not in out
    joined = out[9:9 + 5] + out[9 + 5 + 9:]
    assert hpack.Decoder().decode(joined)[0] == (":method", "GET")
    assert set(hpack.Decoder().decode(joined)[1][1]) == {"*"}


UPGRADE = (b"GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
           b"HTTP2-Settings: AAMAAABkAAQAAP__\r\nAuthorization: Bearer up-s3cret\r\n\r\n")


def _blanked(out: bytes, start: int, names: tuple[str, ...]) -> list[tuple[str, str]]:
    """The header fields of the HEADERS frames from ``start`` on, after checking each secret is all '*'."""
    dec, pos, fields = hpack.Decoder(), start, []
    while pos < len(out):
        length, typ = int.from_bytes(out[pos:pos + 3], "big"), out[pos + 3]
        if typ == 1:
            fields += dec.decode(out[pos + 9:pos + 9 + length])
        pos += 9 + length
    assert [v for n, v in fields if n in names] and all(set(v) == {"*"} for n, v in fields if n in names)
    return fields


@settings(deadline=None, max_examples=60)
@given(st.lists(st.integers(min_value=0, max_value=600), max_size=6))
def test_after_an_h2c_upgrade_the_clients_hpack_secrets_are_hidden_too(cuts: list[int]) -> None:
    """The proxy's h2c connections: the upgrade request is HTTP/1, the preface and HEADERS after it HPACK."""
    frames, _ = _stream()
    out = feed_split(Http1Redactor(), UPGRADE + frames, cuts)
    assert out.startswith(UPGRADE.replace(b"Bearer up-s3cret", b"<redacted>"))
    rest = out[len(UPGRADE) - len(b"Bearer up-s3cret") + len(b"<redacted>"):]
    assert rest.startswith(H2_PREFACE) and len(rest) == len(frames)
    assert b"h2-s3cret" not in rest and b"k" * 40 not in rest
    assert ("x-id", "two") in _blanked(rest, len(H2_PREFACE) + 9, ("authorization", "cookie"))


@settings(deadline=None, max_examples=60)
@given(st.lists(st.integers(min_value=0, max_value=400), max_size=6))
def test_after_a_101_to_h2c_the_servers_hpack_secrets_are_hidden_too(cuts: list[int]) -> None:
    head = b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n"
    block = hpack.Encoder().encode([(":status", "200"), ("set-cookie", "sid=srv-s3cret"), ("x-ok", "1")])
    frames = bytes([0, 0, 0, 4, 0, 0, 0, 0, 0]) + _headers_frame(block, 1)
    out = feed_split(Http1Redactor(), head + frames, cuts)
    assert out.startswith(head) and len(out) == len(head + frames) and b"srv-s3cret" not in out
    assert ("x-ok", "1") in _blanked(out[len(head):], 0, ("set-cookie",))


def test_a_websocket_upgrade_still_streams_its_frames_and_a_refused_one_goes_on_as_http1() -> None:
    ws = UPGRADE.replace(b"h2c", b"websocket")
    red = Http1Redactor()
    assert b"up-s3cret" not in red.feed(ws)
    assert red.feed(FRAMES) == FRAMES  # frames pass at once, nothing held
    refused = Http1Redactor()
    refused.feed(ws)
    again = refused.feed(HEAD)  # the server said no; the client asks again on the same connection
    assert b"s3cret" not in again and b"Authorization: <redacted>" in again
