"""``keep_heap`` raises glibc's malloc thresholds once (a no-op, saying so, where malloc is not glibc's)."""

from __future__ import annotations

import platform

from wiretool.transport import heap


def test_keep_heap_once() -> None:
    first = heap.keep_heap()
    if platform.libc_ver()[0] == "glibc":
        assert first is True
    assert heap.keep_heap() is first  # the second call does nothing and says the same
