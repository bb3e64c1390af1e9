"""``wiretool frame decode --proto h2``: the decode itself is :func:`wiretool.run.decode.decode_h2`.

Kept as the name the CLI and the tests import; the function lives in ``run/`` so the demo can use it too.
"""

from __future__ import annotations

from wiretool.run.decode import decode_h2

__all__ = ["decode_h2"]
