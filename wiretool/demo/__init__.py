"""``wiretool demo``: a short session of each protocol against the built-in servers, no network needed.

Each protocol contributes one part: a module with ``TITLE`` and ``async def run(out: Output) -> int``
that starts its server in-process on a free loopback port, runs a short client session through the
same code paths as the real commands, stops the server and returns an exit code.
"""

from __future__ import annotations

PARTS: list[str] = [
    "wiretool.demo.frame",
    "wiretool.demo.ws",
    "wiretool.demo.sse",
    "wiretool.demo.h2",
    "wiretool.demo.grpc",
    "wiretool.demo.replay",
]
"""Module paths of the demo parts, in the order they run."""
