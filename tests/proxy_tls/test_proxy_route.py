"""Where a forward-mode client's first request goes, and what is refused with which status."""

from __future__ import annotations

import pytest

from wiretool.proxy.forward import ForwardOptions, Refused, route


def test_connect_names_host_and_port() -> None:
    got = route(b"CONNECT example.test:443 HTTP/1.1\r\nHost: example.test:443\r\n\r\n")
    assert (got.method, got.host, got.port, got.head) == ("CONNECT", "example.test", 443, b"")
    assert route(b"CONNECT [::1]:8443 HTTP/1.1\r\n\r\n").host == "::1"


def test_absolute_form_becomes_origin_form_and_nothing_else_changes() -> None:
    head = b"GET http://127.0.0.1:9000/a/b?x=1 HTTP/1.1\r\nHost: 127.0.0.1:9000\r\nX: y\r\n\r\n"
    got = route(head)
    assert (got.host, got.port) == ("127.0.0.1", 9000)
    assert got.head == b"GET /a/b?x=1 HTTP/1.1\r\nHost: 127.0.0.1:9000\r\nX: y\r\n\r\n"
    assert route(b"GET http://example.test HTTP/1.1\r\n\r\n").head.startswith(b"GET / HTTP/1.1\r\n")
    assert route(b"GET http://example.test HTTP/1.1\r\n\r\n").port == 80


@pytest.mark.parametrize("line, why", [
    (b"GET / HTTP/1.1", "needs an absolute URL"),
    (b"GET https://example.test/ HTTP/1.1", "only http:// URLs"),
    (b"CONNECT example.test HTTP/1.1", "not host:port"),
    (b"CONNECT example.test:99999 HTTP/1.1", "not host:port"),
    (b"CONNECT example.test:\xc2\xb2 HTTP/1.1", "not host:port"),
    (b"CONNECT a/b:443 HTTP/1.1", "not a host name"),
    (b"\x16\x03\x01\x02\x00", "not an HTTP/1.1 request line"),
    (b"GET http://u:p@example.test/ HTTP/1.1", "user:password"),
])
def test_what_cannot_be_routed_is_a_400(line: bytes, why: str) -> None:
    with pytest.raises(Refused, match=why) as caught:
        route(line + b"\r\n\r\n")
    assert caught.value.status == 400


def test_no_intercept_globs_match_case_insensitively() -> None:
    opts = ForwardOptions(ca=object(), no_intercept=("*.bank.test", "pinned.test"))  # type: ignore[arg-type]
    assert not opts.intercepts("www.BANK.test")
    assert not opts.intercepts("pinned.test.")
    assert opts.intercepts("example.test")
    assert not ForwardOptions(ca=None).intercepts("example.test")
