"""``wiretool demo``: a short session of each protocol against the built-in servers, no network needed.

Each protocol contributes one part: a module with ``TITLE`` and ``async def run(out: Output) -> int``
that starts its server in-process on a free loopback port, runs a short client session through the
same code paths as the real commands, stops the server and returns an exit code.
"""

from __future__ import annotations

from wiretool.protocols import PROTOCOLS

PARTS: list[str] = [
    "wiretool.demo.frame",  # offline: decoding bytes, before any server
    *(entry.demo for entry in PROTOCOLS.values() if entry.demo),  # each protocol's part, as the registry names it
    "wiretool.demo.replay",  # last: it replays what the ws part's kind of session records
]
"""Module paths of the demo parts, in the order they run."""
