"""The ClientHello reader: real hellos from Python's TLS stack, split feeds, and garbage."""

from __future__ import annotations

import ssl

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wiretool.proxy import clienthello


def _hello(sni: str | None, alpn: list[str]) -> bytes:
    ctx = ssl.create_default_context()
    if alpn:
        ctx.set_alpn_protocols(alpn)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(incoming, outgoing, server_hostname=sni)
    with pytest.raises(ssl.SSLWantReadError):
        obj.do_handshake()
    return outgoing.read()


def test_sni_and_alpn_are_read() -> None:
    got = clienthello.parse(_hello("Example.test", ["h2", "http/1.1"]))
    assert got == clienthello.ClientHello("example.test", ("h2", "http/1.1"))


def test_no_sni_for_an_ip_address_and_no_alpn() -> None:
    assert clienthello.parse(_hello("127.0.0.1", [])) == clienthello.ClientHello(None, ())


def test_every_prefix_asks_for_more_and_a_split_record_is_joined() -> None:
    data = _hello("a.test", ["h2"])
    for n in range(len(data)):
        assert clienthello.parse(data[:n]) is None
    # the same handshake message in two records (as large post-quantum hellos may be sent)
    body = data[5:]
    half = len(body) // 2
    split = (b"\x16\x03\x01" + half.to_bytes(2, "big") + body[:half]
             + b"\x16\x03\x01" + (len(body) - half).to_bytes(2, "big") + body[half:])
    assert clienthello.parse(split) == clienthello.ClientHello("a.test", ("h2",))


def test_plain_bytes_are_not_tls() -> None:
    assert not clienthello.looks_like_tls(b"GET / HTTP/1.1\r\n")
    assert clienthello.looks_like_tls(b"\x16\x03\x01")
    with pytest.raises(clienthello.NotTls):
        clienthello.parse(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
    with pytest.raises(clienthello.NotTls):
        clienthello.parse(b"\x16\x03\x01\x00\x05\x02\x00\x00\x01\x00")  # a ServerHello


@given(st.binary(max_size=300))
def test_any_bytes_give_a_hello_none_or_not_tls(data: bytes) -> None:
    try:
        clienthello.parse(b"\x16\x03\x01" + len(data).to_bytes(2, "big") + data)
    except clienthello.NotTls:
        pass
