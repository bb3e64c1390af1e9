"""Keep the C heap's freed memory for the next large frame instead of handing it back to the kernel at once.

Why: a 1 MiB frame under ``--json`` makes a few short-lived buffers of 1-3 MiB each (its payload, its hex, its
line, the line encoded). glibc's malloc hands such blocks back to the kernel as soon as they are freed (mmap'd
blocks are unmapped, and the heap top is trimmed past 128 KiB, its default), so the next frame's buffers fault
in fresh zeroed pages: 1 GiB received in 1 MiB frames took about 260,000 page faults per 128 MiB, and more time
than the hex encoding itself. Raising the two thresholds once, when the first large frame is announced, makes
those buffers come from the heap and stay there: peak RSS stays what the largest frame's buffers need (it does
not grow with the number of frames), the faults vanish and the throughput more than doubles (see
docs/benchmarks.md). Small-frame sessions never call it, so their start-up does not pay for ctypes.

Only glibc has ``mallopt`` with these parameters; anywhere else (musl, macOS) this does nothing.
"""

from __future__ import annotations

import sys

BIG_FRAME = 1 << 18
"""A frame announcing a payload this large (or more) keeps the heap (see :func:`keep_heap`)."""

_M_TRIM_THRESHOLD = -1  # glibc <malloc.h>
_M_MMAP_THRESHOLD = -3
_MMAP_THRESHOLD = 32 << 20
"""Blocks up to this size come from the heap (glibc's own dynamic bound stops here too): a frame larger still is
mapped and unmapped on its own, as before."""
_TRIM_THRESHOLD = 64 << 20
"""Free memory at the heap top kept for reuse, at most (what is kept was resident at the peak anyway)."""

_kept: bool | None = None
"""What :func:`keep_heap` found (None: not called yet)."""


def keep_heap() -> bool:
    """Raise glibc's mmap and trim thresholds once per process; True when they are raised (by this call or an
    earlier one), False where they cannot be (not glibc)."""
    global _kept
    if _kept is None:
        _kept = _mallopt()
    return _kept


def _mallopt() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (or no libc symbols): nothing to tune
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD))
