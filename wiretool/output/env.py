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
from typing import IO, Any


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


class Environment:
    """Streams and presentation choices of one run.

    ``stdout_isatty``/``stdin_isatty`` and ``environ`` (NO_COLOR, FORCE_COLOR) are what colour and
    interactivity are decided from, so an injected environment decides them exactly as a real one would.

    A plain class, not a dataclass: every command makes one, and creating the dataclass (with the
    ``dataclasses`` import) cost every start-up about 1.7 ms. :meth:`replace` is ``dataclasses.replace``.
    """

    __slots__ = ("color", "debug", "environ", "json", "stderr", "stdin", "stdin_isatty", "stdout", "stdout_isatty")

    def __init__(self, *, stdout: IO[str] | None = None, stderr: IO[str] | None = None, stdin: IO[str] | None = None,
                 json: bool = False, color: bool = False, debug: bool = False, stdout_isatty: bool = False,
                 stdin_isatty: bool = False, environ: Mapping[str, str] | None = None) -> None:
        self.stdout: IO[str] = sys.stdout if stdout is None else stdout
        self.stderr: IO[str] = sys.stderr if stderr is None else stderr
        self.stdin: IO[str] = sys.stdin if stdin is None else stdin
        self.json = json
        self.color = color
        self.debug = debug
        self.stdout_isatty = stdout_isatty
        self.stdin_isatty = stdin_isatty
        self.environ: Mapping[str, str] = os.environ if environ is None else environ

    def replace(self, **changes: Any) -> Environment:
        """A copy with ``changes`` applied (the other fields shared, as ``dataclasses.replace`` does)."""
        fields = {name: getattr(self, name) for name in self.__slots__}
        fields.update(changes)
        return type(self)(**fields)

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__ if name != "environ")
        return f"Environment({shown})"

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
        return self.replace(json=json, debug=debug,
                            color=(not json) and _decide(color, self.stdout_isatty, self.environ))

    @property
    def interactive(self) -> bool:
        """True when a person is at the keyboard and watching: prompts and spinners are allowed."""
        return self.stdin_isatty and self.stdout_isatty and not self.json
