"""``wiretool demo``: run every demo part (see :mod:`wiretool.demo`) and report one exit code."""

from __future__ import annotations

import asyncio
import importlib

import click

from wiretool.cli.options import global_options, make_env
from wiretool.exitcodes import worst
from wiretool.output.sink import Output


@click.command()
@click.option("--only", multiple=True, metavar="PART", help="Run only these parts (frame, ws, sse, h2, grpc, replay).")
@global_options
def demo(only: tuple[str, ...]) -> int:
    """Run a short session of each protocol against the built-in servers (no network needed)."""
    from wiretool.demo import PARTS

    env = make_env()
    codes = []
    for path in PARTS:
        name = path.rsplit(".", 1)[-1]
        if only and name not in only:
            continue
        module = importlib.import_module(path)
        out = Output(env, proto=getattr(module, "PROTO", name))
        if not env.json:
            out.console.rule(f"demo: {module.TITLE}", style="cyan")
        codes.append(asyncio.run(module.run(out)))
    return worst(*codes)
