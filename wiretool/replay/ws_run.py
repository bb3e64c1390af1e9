"""The ws entry points of :mod:`wiretool.replay.run`: the replay as a session (run by the one run layer)."""

from __future__ import annotations

from wiretool.capture.file import Capture
from wiretool.replay.compare import Rules
from wiretool.replay.options import ReplayOptions
from wiretool.replay.ws import WsReplaySession


def session(cap: Capture, opts: ReplayOptions, *, check: bool, rules: Rules) -> WsReplaySession:
    """Replay a ws capture on a new connection; with ``check`` its outcome is the comparison's verdict."""
    return WsReplaySession(cap, opts, check=check, rules=rules)
