"""``wiretool completion bash|zsh|fish``: print the completion script click generates for this CLI.

The committed scripts in completions/ are the same text; a test fails when they go stale.
"""

from __future__ import annotations

import click

from wiretool.cli.options import base_env, global_options

SHELLS = ("bash", "zsh", "fish")


def completion_script(shell: str) -> str:
    """The completion source for ``shell``, as click's shell_completion module builds it."""
    from click.shell_completion import get_completion_class

    from wiretool.cli.main import cli

    cls = get_completion_class(shell)
    if cls is None:  # pragma: no cover - SHELLS only lists supported shells
        raise click.BadParameter(f"unsupported shell {shell}")
    return cls(cli, {}, "wiretool", "_WIRETOOL_COMPLETE").source()


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
@global_options
def completion(shell: str) -> int:
    """Print the completion script for SHELL.

    \b
    bash:  wiretool completion bash > ~/.local/share/bash-completion/completions/wiretool
    zsh:   wiretool completion zsh > "${fpath[1]}/_wiretool"
    fish:  wiretool completion fish > ~/.config/fish/completions/wiretool.fish
    """
    click.echo(completion_script(shell), file=base_env().stdout, nl=False)
    return 0
