"""The one token check and the one CR/LF/NUL check that sse, h2 and ws apply to -X and -H."""

from __future__ import annotations

import pytest

from wiretool.codec.headers import has_cr_lf_nul, is_token


@pytest.mark.parametrize("text", ["GET", "x-trace-id", "X_Y.Z", "!#$%&'*+-.^_`|~09azAZ"])
def test_tokens(text: str) -> None:
    assert is_token(text)


@pytest.mark.parametrize("text", ["", "a b", "a:b", "a\r", "é", "a(b)", 'a"b', "a/b", "a\0"])
def test_not_tokens(text: str) -> None:
    assert not is_token(text)


@pytest.mark.parametrize("text", ["a\rb", "a\nb", "a\0b", "\r\n"])
def test_cr_lf_nul(text: str) -> None:
    assert has_cr_lf_nul(text)


@pytest.mark.parametrize("text", ["", "plain value", "tab\tok", "ünïcode", "\x7f"])
def test_values_without_cr_lf_nul(text: str) -> None:
    assert not has_cr_lf_nul(text)
