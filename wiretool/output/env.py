"""The Environment: where output goes and how it looks, decided once per run.

Like httpie's ``Environment``: tests can build one around ``io.StringIO`` streams, and nothing calls
``isatty()`` at import time.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from typing import IO


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def decide_color(choice: str, stdout: IO[str], environ: dict[str, str] | os._Environ[str]) -> bool:
    """``--color always|never|auto``; auto honours NO_COLOR, then FORCE_COLOR, then whether stdout is a TTY."""
    if choice == "always":
        return True
    if choice == "never":
        return False
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return _isatty(stdout)


@dataclass
class Environment:
    """Streams and presentation choices of one run."""

    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    stdin: IO[str] = field(default_factory=lambda: sys.stdin)
    json: bool = False
    color: bool = False
    debug: bool = False
    stdout_isatty: bool = False
    stdin_isatty: bool = False

    @classmethod
    def from_settings(cls, *, json: bool, color: str, debug: bool) -> Environment:
        """Build the environment of a real run from the global options."""
        env = cls(json=json, debug=debug)
        env.stdout_isatty = _isatty(env.stdout)
        env.stdin_isatty = _isatty(env.stdin)
        env.color = (not json) and decide_color(color, env.stdout, os.environ)
        return env

    @property
    def interactive(self) -> bool:
        """True when a person is at the keyboard and watching: prompts and spinners are allowed."""
        return self.stdin_isatty and self.stdout_isatty and not self.json
