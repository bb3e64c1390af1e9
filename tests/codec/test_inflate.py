"""The bounded Content-Encoding decoder: every piece at most ``piece`` bytes, any chunking, one error type."""

from __future__ import annotations

import gzip
import os
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wiretool.codec.inflate import InflateError, Inflater


def _all(inflater: Inflater, chunks: list[bytes]) -> list[bytes]:
    pieces = [p for c in chunks for p in inflater.feed(c)]
    return pieces + list(inflater.finish())


def test_a_bomb_comes_out_in_bounded_pieces() -> None:
    plain = b"\n" * (8 << 20)
    pieces = _all(Inflater("gzip", piece=4096), [gzip.compress(plain)])
    assert max(map(len, pieces)) <= 4096 and b"".join(pieces) == plain


def test_stacked_codings_identity_and_unknown() -> None:
    plain = os.urandom(3000) + b"x" * 100_000
    body = gzip.compress(zlib.compress(plain))  # "deflate, gzip": deflate first, then gzip
    pieces = _all(Inflater("deflate, gzip", piece=1000), [body[i:i + 7] for i in range(0, len(body), 7)])
    assert max(map(len, pieces)) <= 1000 and b"".join(pieces) == plain
    assert Inflater("identity").identity and Inflater("br").identity


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=300), st.sampled_from(["gzip", "deflate", "x-gzip, deflate"]))
def test_garbage_raises_only_inflate_error(data: bytes, coding: str) -> None:
    try:
        _all(Inflater(coding, piece=64), [data[:5], data[5:]])
    except InflateError:
        pass


def test_truncated_gzip_gives_what_it_can() -> None:
    plain = b"".join(b"data: %d\n\n" % i for i in range(20000))
    body = gzip.compress(plain)
    out = b"".join(_all(Inflater("gzip"), [body[: len(body) // 2]]))
    assert out and plain.startswith(out)
    with pytest.raises(InflateError):
        _all(Inflater("gzip"), [b"\x1f\x8b\x08\x00garbage-garbage"])
