"""A click group that imports a subcommand's module only when that subcommand runs.

``wiretool --version`` and ``--help`` must stay fast: the table of commands below holds each command's
import path and one-line help, so listing them imports nothing.
"""

from __future__ import annotations

import importlib

import click


class LazyGroup(click.Group):
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
            cmd = getattr(importlib.import_module(module_name), attr)
            self.add_command(cmd, cmd_name)
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
