"""The one run layer: any :class:`~wiretool.session.Session` → output, capture, exit status.

``run(session, out, limits=..., goals=..., capture=...)`` is written once for every protocol and every source
of bytes: the ``--timeout`` and ``--idle-timeout`` clocks, Ctrl-C and SIGTERM (a graceful stop, then an abort on
the second signal), a closed stdout (``| head``) that ends quietly, the ``error`` and ``summary`` records, and
the capture. What differs per protocol is only its :class:`~wiretool.run.goals.Goals` (count, expect,
expect-close, max-events) and the pure function that maps how its session ended onto an exit status.

The names are imported on first use (PEP 562): ``frame decode`` uses :mod:`wiretool.run.decode` and must not
pay for asyncio, which :mod:`wiretool.run.core` needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from wiretool.run.core import Limits, RunSink, run, run_sync
    from wiretool.run.goals import Goals, NoGoals

__all__ = ["Goals", "Limits", "NoGoals", "RunSink", "run", "run_sync"]

_HOMES = {"Limits": "core", "RunSink": "core", "run": "core", "run_sync": "core", "Goals": "goals", "NoGoals": "goals"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'wiretool.run' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f"wiretool.run.{home}"), name)
