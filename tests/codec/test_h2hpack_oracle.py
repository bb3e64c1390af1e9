"""Our HPACK decoder (``wiretool.codec.h2hpack``) against the ``hpack`` package's on random header lists:
the same headers, the same dynamic table, block after block (indexing, never-indexed, Huffman or not,
table size updates, evictions), and the same refusals of broken blocks."""

from __future__ import annotations

import random

import pytest
from hpack import Decoder, Encoder

from wiretool.codec.h2hpack import LOST_NAME, HpackError, HpackReader

NAMES = [":method", ":path", ":status", "content-type", "x-id", "accept", "cookie", "user-agent", "x-\xe9",
         "set-cookie", "etag"]


def _random_headers(rng: random.Random) -> list[tuple[str, str] | tuple[str, str, bool]]:
    out: list[tuple[str, str] | tuple[str, str, bool]] = []
    for _ in range(rng.randint(0, 12)):
        name = rng.choice(NAMES) if rng.random() < 0.8 else "x-" + "".join(rng.choices("abcdefgh", k=rng.randint(1, 30)))
        value = rng.choice(["GET", "200", "", "application/json", "/"]) if rng.random() < 0.4 else \
            "".join(rng.choices("abc/=0123456789\xff", k=rng.randint(0, rng.choice([5, 60, 300]))))
        out.append((name, value, True) if rng.random() < 0.1 else (name, value))
    return out


@pytest.mark.parametrize("seed", range(40))
def test_our_decoder_equals_hpack_on_random_header_lists(seed: int) -> None:
    rng = random.Random(seed)
    enc = Encoder()
    ours = HpackReader(max_header_list_size=1 << 20, show_secrets=True)
    theirs = Decoder(max_header_list_size=1 << 20)
    for _ in range(60):
        if rng.random() < 0.1:
            enc.header_table_size = rng.choice([0, 64, 256, 4096])
        block = enc.encode(_random_headers(rng), huffman=rng.random() < 0.7)
        want = [(n.decode("utf-8", "backslashreplace"), v.decode("utf-8", "backslashreplace"))
                for n, v in theirs.decode(block, raw=True)]
        assert ours.decode(block) == want
        assert ours.table_size == theirs.header_table._current_size
        assert ours.entries() == [(n.decode("utf-8", "backslashreplace"), v.decode("utf-8", "backslashreplace"))
                                  for n, v in theirs.header_table.dynamic_entries]


@pytest.mark.parametrize("seed", range(20))
def test_broken_blocks_are_refused_as_hpack_refuses_them(seed: int) -> None:
    rng = random.Random(1000 + seed)
    enc = Encoder()
    for _ in range(30):
        ours = HpackReader(max_header_list_size=2000, show_secrets=True)
        theirs = Decoder(max_header_list_size=2000)
        good = enc.encode(_random_headers(rng), huffman=rng.random() < 0.7)
        block = bytearray(good)
        for _ in range(rng.randint(1, 3)):
            if block:
                block[rng.randrange(len(block))] = rng.randrange(256)
        if rng.random() < 0.3:
            block = block[:rng.randint(0, len(block))]
        try:
            want: object = [(n.decode("utf-8", "backslashreplace").encode("utf-8", "surrogateescape"),
                             v.decode("utf-8", "backslashreplace").encode("utf-8", "surrogateescape"))
                            for n, v in theirs.decode(bytes(block), raw=True)]
        except Exception:
            want = HpackError
        try:
            got: object = [(n.encode("utf-8", "surrogateescape"), v.encode("utf-8", "surrogateescape"))
                           for n, v in ours.decode(bytes(block))]
        except HpackError:
            got = HpackError
        if want is HpackError or got is HpackError:
            assert got is want, bytes(block).hex()
        else:
            assert got == want
            assert ours.table_size == theirs.header_table._current_size


def test_a_lost_table_names_its_entries_and_decodes_the_rest() -> None:
    enc = Encoder()
    enc.encode([("x-before", "the gap")])  # an entry the reader never sees
    block = enc.encode([(":method", "GET"), ("x-before", "the gap"), ("x-after", "seen")])
    reader = HpackReader(max_header_list_size=1 << 16)
    reader.lose_table()
    headers = reader.decode(block)
    assert headers[0] == (":method", "GET") and headers[2] == ("x-after", "seen")
    assert headers[1] == (LOST_NAME.format(62), "<lost>") and reader.lost_refs == 1
    assert reader.entries() == [("x-after", "seen")]
    fresh = HpackReader(max_header_list_size=1 << 16)
    with pytest.raises(HpackError):
        fresh.decode(block)  # without a gap, an unknown index is an error, not a lost entry


@pytest.mark.parametrize("block", [
    b"\xff" + b"\xff" * 40,  # an index whose integer never ends
    b"\x7f\xff\xff\xff\xff\xff\xff\x7f",  # an integer of 6 continuation bytes
    b"\x40\x7f\xff\xff\xff\x0f",  # a name length far past the block
    b"\x3f\xff\xff\xff\x0f",  # a table size update past the allowed maximum
    b"\x82\x20",  # a table size update after a header
    b"\x80",  # index 0
])
def test_hostile_blocks_are_one_clear_error(block: bytes) -> None:
    with pytest.raises(HpackError) as err:
        HpackReader(max_header_list_size=1 << 16).decode(block)
    assert str(err.value) and "\n" not in str(err.value)


def test_a_header_list_bomb_stops_at_the_limit() -> None:
    reader = HpackReader(max_header_list_size=4096)
    reader.decode(Encoder().encode([("x-big", "v" * 3000)]))
    with pytest.raises(HpackError, match="larger than 4096"):
        reader.decode(b"\xbe" * 100)  # the 3 KiB entry, again and again
