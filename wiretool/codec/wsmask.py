"""Unmasking (RFC 6455 §5.3) at memory speed: websockets' C ``apply_mask``, loaded without websockets.

``import websockets`` costs tens of milliseconds (its version module reads package metadata), which would
double the start-up of ``wiretool frame decode``. The C extension itself does not depend on the package,
so we locate ``speedups*.so`` beside it and load just that file. When it is missing (a pure-Python build
of websockets, another interpreter) a pure fallback XORs the payload as one big integer, which is still
linear and fast enough for debugging.
"""

from __future__ import annotations

from collections.abc import Callable

MaskFn = Callable[[bytes, bytes], bytes]


def apply_mask_py(data: bytes, mask: bytes) -> bytes:
    """XOR ``data`` with the 4-byte ``mask`` repeated (pure Python, one big-integer XOR)."""
    n = len(data)
    if n == 0:
        return b""
    key = (bytes(mask) * ((n + 3) // 4))[:n]
    return (int.from_bytes(data, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")


def _load_speedups() -> MaskFn | None:
    """websockets' C ``apply_mask``, or None. Never imports the ``websockets`` package itself."""
    try:
        import importlib.machinery
        import importlib.util
        import os

        spec = importlib.util.find_spec("websockets")
        if spec is None or not spec.submodule_search_locations:
            return None
        for folder in spec.submodule_search_locations:
            for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                path = os.path.join(folder, "speedups" + suffix)
                if not os.path.exists(path):
                    continue
                loader = importlib.machinery.ExtensionFileLoader("websockets.speedups", path)
                mspec = importlib.util.spec_from_file_location("websockets.speedups", path, loader=loader)
                if mspec is None:
                    continue
                module = importlib.util.module_from_spec(mspec)
                loader.exec_module(module)
                fn: MaskFn = module.apply_mask
                if fn(b"\x00\x01\x02\x03\x04", b"\x01\x01\x01\x01") == b"\x01\x00\x03\x02\x05":
                    return fn
    except Exception:  # any failure means: use the pure fallback
        return None
    return None


_c_apply_mask = _load_speedups()

apply_mask: MaskFn = _c_apply_mask or apply_mask_py
"""Unmask (or mask) a payload: the C version when available, else :func:`apply_mask_py`."""

HAVE_C_MASK = _c_apply_mask is not None
