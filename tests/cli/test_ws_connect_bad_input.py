"""careless ``ws connect`` input (bad ports, broken IPv6 literals, bad proxy, CR/LF in -H) is a one-line error."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("url", ["ws://127.0.0.1:99999/", "ws://127.0.0.1:abc/", "ws://[::1/"])
def test_bad_url_is_a_usage_error(wiretool, url: str) -> None:
    r = wiretool(["ws", "connect", url, "--timeout", "5", "--no-stdin"])
    assert r.exit_code == 2, r.stderr
    assert r.stderr.startswith("wiretool: error: invalid WebSocket URL") and "internal error" not in r.stderr


def test_proxy_with_bad_port_is_a_one_line_error(wiretool) -> None:
    r = wiretool(["ws", "connect", "ws://127.0.0.1:1/", "--proxy", "http://127.0.0.1:99999", "--timeout", "5",
                  "--no-stdin"])
    assert r.exit_code == 3, r.stderr
    assert "unsupported proxy" in r.stderr and "internal error" not in r.stderr


def test_header_with_crlf_is_refused_before_connecting(cli) -> None:
    r = cli(["ws", "connect", "ws://127.0.0.1:1/", "-H", "X: a\r\nInjected: 1", "--no-stdin"])
    assert r.exit_code == 2
    assert "cannot hold CR, LF or NUL" in r.stderr
    assert "connect" not in r.stdout  # nothing was sent


def test_unreadable_send_file_is_a_usage_error(wiretool) -> None:
    """/proc/self/mem passes click's exists/not-a-directory check, and reading it fails (EIO)."""
    r = wiretool(["ws", "connect", "ws://127.0.0.1:1/", "--send-file", "/proc/self/mem", "--no-stdin"])
    assert r.exit_code == 2, r.stderr
    assert r.stderr.startswith("wiretool: error: cannot read --send-file") and "internal error" not in r.stderr
