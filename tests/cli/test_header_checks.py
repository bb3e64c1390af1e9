"""sse, h2 and ws refuse a -H value with CR, LF or NUL (and sse a -X that is no token) before connecting.

All three use the one check in codec/headers.py; port 9 is never reached.
"""

from __future__ import annotations

import pytest
from conftest import run_cli


@pytest.mark.parametrize("argv", [["sse", "tail", "http://127.0.0.1:9/", "-H", "X: a\rb"],
                                  ["sse", "tail", "http://127.0.0.1:9/", "-X", "G T"],
                                  ["h2", "get", "http://127.0.0.1:9/", "-H", "x: a\nb"],
                                  ["ws", "connect", "ws://127.0.0.1:9/", "-H", "x: a\0b"]])
def test_each_command_refuses_before_connecting(argv: list[str]) -> None:
    res = run_cli(argv)
    assert res.exit_code == 2 and "Traceback" not in res.stderr, res.stderr
    assert "CR, LF or NUL" in res.stderr or "token" in res.stderr
