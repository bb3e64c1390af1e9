"""The Environment: where output goes and how it looks, decided once per run.

Like httpie's ``Environment``: ``wiretool.cli.main.run(argv, env=Environment(...))`` runs a command with
the given streams, TTY answers and environment variables instead of the process's (tests build one around
``io.StringIO`` streams), and nothing calls ``isatty()`` at import time. The global options then turn that
base into the run's environment with :meth:`Environment.configured`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import IO


def _isatty(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def decide_color(choice: str, stdout: IO[str], environ: Mapping[str, str]) -> bool:
    """``--color always|never|auto``; auto honours NO_COLOR, then FORCE_COLOR, then whether stdout is a TTY."""
    return _decide(choice, _isatty(stdout), environ)


def _decide(choice: str, isatty: bool, environ: Mapping[str, str]) -> bool:
    if choice == "always":
        return True
    if choice == "never":
        return False
    if environ.get("NO_COLOR"):
        return False
    if environ.get("FORCE_COLOR"):
        return True
    return isatty


@dataclass
class Environment:
    """Streams and presentation choices of one run.

    ``stdout_isatty``/``stdin_isatty`` and ``environ`` (NO_COLOR, FORCE_COLOR) are what colour and
    interactivity are decided from, so an injected environment decides them exactly as a real one would.
    """

    stdout: IO[str] = field(default_factory=lambda: sys.stdout)
    stderr: IO[str] = field(default_factory=lambda: sys.stderr)
    stdin: IO[str] = field(default_factory=lambda: sys.stdin)
    json: bool = False
    color: bool = False
    debug: bool = False
    stdout_isatty: bool = False
    stdin_isatty: bool = False
    environ: Mapping[str, str] = field(default_factory=lambda: os.environ, repr=False)

    @classmethod
    def from_process(cls) -> Environment:
        """The process's own streams and TTY answers: what ``main()`` runs with."""
        env = cls()
        env.stdout_isatty = _isatty(env.stdout)
        env.stdin_isatty = _isatty(env.stdin)
        return env

    @classmethod
    def from_settings(cls, *, json: bool, color: str, debug: bool) -> Environment:
        """Build the environment of a real run from the global options."""
        return cls.from_process().configured(json=json, color=color, debug=debug)

    def configured(self, *, json: bool, color: str, debug: bool) -> Environment:
        """This environment with the global options applied (``--json``, ``--color``, ``--debug``)."""
        return replace(self, json=json, debug=debug,
                       color=(not json) and _decide(color, self.stdout_isatty, self.environ))

    @property
    def interactive(self) -> bool:
        """True when a person is at the keyboard and watching: prompts and spinners are allowed."""
        return self.stdin_isatty and self.stdout_isatty and not self.json
