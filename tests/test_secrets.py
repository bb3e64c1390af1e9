"""secrets.py: the one place that says what a secret is and how it is hidden."""

from __future__ import annotations

import pytest

from wiretool.secrets import is_secret, redact, redact_head, redact_url


@pytest.mark.parametrize(("url", "shown"), [
    ("ws://alice:PASSWORD@host/x", "ws://alice:<redacted>@host/x"),
    ("http://bob:p%40ss@proxy:3128", "http://bob:<redacted>@proxy:3128"),
    ("wss://a:b:c@[::1]:8443/p?q=1@x#f", "wss://a:<redacted>@[::1]:8443/p?q=1@x#f"),
    ("http://user@host/x", "http://user@host/x"),
    ("http://host/a@b", "http://host/a@b"),
    ("no-scheme", "no-scheme"),
])
def test_redact_url_hides_the_password_only(url: str, shown: str) -> None:
    assert redact_url(url) == shown
    assert redact_url(url, show_secrets=True) == url


def test_secret_names_are_case_insensitive_in_str_and_bytes() -> None:
    assert is_secret("Set-Cookie") and is_secret(b"AUTHORIZATION") and not is_secret("x-token")
    assert redact("Cookie", "a=b") == "<redacted>" and redact("Cookie", "a=b", True) == "a=b"
    assert redact_head(b"GET / HTTP/1.1\r\ncookie:a=b\r\n\r\n") == b"GET / HTTP/1.1\r\ncookie: <redacted>\r\n\r\n"
