"""Options shared by many commands, declared once so every command spells them the same way.

- :func:`global_options`: ``--json``, ``--color``, ``--debug``, accepted on the group *and* on every
  leaf command, so ``wiretool --json frame decode X`` and ``wiretool frame decode X --json`` agree.
- the options every network command shares are in :mod:`wiretool.cli.net_options` (imported by the network
  commands only).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from wiretool.output.env import Environment

F = TypeVar("F", bound=Callable[..., Any])

_SETTINGS_KEY = "wiretool.settings"


class Settings:
    """The global options, merged from wherever on the command line they appeared.

    A plain class, not a dataclass: every command imports this module, and making a dataclass here cost every
    start-up about 0.4 ms (the network options' one lives in :mod:`wiretool.cli.net_options` for that reason).
    """

    __slots__ = ("color", "debug", "json")

    def __init__(self, *, json: bool = False, color: str = "auto", debug: bool = False) -> None:
        self.json = json
        self.color = color
        self.debug = debug


def settings(ctx: click.Context | None = None) -> Settings:
    """The run's :class:`Settings` (kept on the root context so every level sees the same one)."""
    ctx = ctx or click.get_current_context()
    return ctx.find_root().meta.setdefault(_SETTINGS_KEY, Settings())


def _remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    s = settings(ctx)
    if param.name == "json" and value:
        s.json = True
    elif param.name == "debug" and value:
        s.debug = True
    elif param.name == "color" and value is not None:
        s.color = value
    return value


def global_options(f: F) -> F:
    """Add ``--json``, ``--color`` and ``--debug`` to a group or command (values land in :func:`settings`)."""
    f = click.option("--debug", is_flag=True, expose_value=False, callback=_remember, is_eager=True,
                     help="Show Python tracebacks for internal errors.")(f)
    f = click.option("--color", type=click.Choice(["auto", "always", "never"]), default=None,
                     expose_value=False, callback=_remember, is_eager=True,
                     help="Colour: auto (TTY, honours NO_COLOR/FORCE_COLOR), always, never.")(f)
    f = click.option("--json", is_flag=True, expose_value=False, callback=_remember, is_eager=True,
                     help="Emit NDJSON records, one per line, flushed per line.")(f)
    return f


def base_env(ctx: click.Context | None = None) -> Environment:
    """The streams this run was started with: the ``env`` given to ``main.run()``, kept as the root context's obj.

    Outside a run started by ``main.run()`` (a command invoked some other way) it is the process's own.
    """
    ctx = ctx or click.get_current_context(silent=True)
    obj = ctx.find_root().obj if ctx is not None else None
    return obj if isinstance(obj, Environment) else Environment.from_process()


def make_env(ctx: click.Context | None = None) -> Environment:
    """The :class:`Environment` for this run: the run's streams with the merged global options applied."""
    ctx = ctx or click.get_current_context()
    s = settings(ctx)
    return base_env(ctx).configured(json=s.json, color=s.color, debug=s.debug)
