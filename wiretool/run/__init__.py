"""The one run layer: any :class:`~wiretool.session.Session` → output, capture, exit status.

``run(session, out, limits=..., goals=..., capture=...)`` is written once for every protocol and every source
of bytes: the ``--timeout`` and ``--idle-timeout`` clocks, Ctrl-C and SIGTERM (a graceful stop, then an abort on
the second signal), a closed stdout (``| head``) that ends quietly, the ``error`` and ``summary`` records, and
the capture. What differs per protocol is only its :class:`~wiretool.run.goals.Goals` (count, expect,
expect-close, max-events) and the pure function that maps how its session ended onto an exit status.
"""

from wiretool.run.core import Limits, RunSink, run, run_sync
from wiretool.run.goals import Goals, NoGoals

__all__ = ["Goals", "Limits", "NoGoals", "RunSink", "run", "run_sync"]
