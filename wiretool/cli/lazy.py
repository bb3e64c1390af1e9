"""A click group that imports a subcommand's module only when that subcommand runs.

``wiretool --version`` and ``--help`` must stay fast: the table of commands below holds each command's
import path and one-line help, so listing them imports nothing.

Every command it hands out writes its ``--help`` to the run's :class:`~wiretool.output.env.Environment`
stdout (``main.run(argv, env=...)``), not to whatever ``sys.stdout`` is: click's own help option always
writes to ``sys.stdout``.
"""

from __future__ import annotations

import importlib
from typing import Any

import click


def show_help(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """The ``-h/--help`` callback: the help page on the run's stdout, then exit 0."""
    if not value or ctx.resilient_parsing:
        return
    from wiretool.cli.options import base_env

    click.echo(ctx.get_help(), file=base_env(ctx).stdout, color=ctx.color)
    ctx.exit()


class EnvHelp:
    """Mixin for a click command: its help option writes through :func:`show_help`."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.callback = show_help
        return option


_ENV_HELP_CLASSES: dict[type, type] = {}


def with_env_help(cmd: click.Command) -> click.Command:
    """Give a command loaded from another module the :class:`EnvHelp` help option (its class, plus the mixin)."""
    cls = type(cmd)
    if not issubclass(cls, EnvHelp):
        sub = _ENV_HELP_CLASSES.get(cls)
        if sub is None:
            sub = _ENV_HELP_CLASSES[cls] = type(cls.__name__, (EnvHelp, cls), {"__module__": cls.__module__})
        cmd.__class__ = sub
    return cmd


class LazyGroup(EnvHelp, click.Group):
    """A group whose commands are ``name -> ("module:attr", "short help")`` until first used."""

    def __init__(self, *args: object, lazy: dict[str, tuple[str, str]] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            path, _ = self.lazy[cmd_name]
            module_name, attr = path.split(":")
            cmd: Any = getattr(importlib.import_module(module_name), attr)
            self.add_command(with_env_help(cmd), cmd_name)
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy and name not in self.commands:
                rows.append((name, self.lazy[name][1]))
            else:
                cmd = self.commands.get(name)
                if cmd is not None and not cmd.hidden:
                    rows.append((name, cmd.get_short_help_str(limit=80)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
