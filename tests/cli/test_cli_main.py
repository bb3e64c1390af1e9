"""The CLI frame: version, help, usage errors, global option placement, exit codes, completions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import WIRETOOL, run_cli, run_wiretool

from wiretool import __version__
from wiretool.cli.completion import SHELLS, completion_script
from wiretool.exitcodes import ExitCode

ROOT = Path(__file__).resolve().parents[2]
COMPLETION_FILES = {"bash": "wiretool.bash", "zsh": "_wiretool", "fish": "wiretool.fish"}


def test_version_through_entry_point() -> None:
    result = run_wiretool(["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"wiretool {__version__}"


def test_python_dash_m_runs_the_same_cli() -> None:
    proc = subprocess.run([sys.executable, "-m", "wiretool", "--version"], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0
    assert proc.stdout.strip() == f"wiretool {__version__}"


def test_help_lists_every_subcommand() -> None:
    result = run_cli(["--help"])
    assert result.exit_code == 0
    for name in ("frame", "ws", "sse", "h2", "serve", "demo", "completion", "replay"):
        assert f"\n  {name} " in result.stdout, name


@pytest.mark.parametrize("group,subs", [("frame", ["decode", "craft"]), ("serve", ["ws", "sse", "h2"]),
                                        ("ws", ["connect"]), ("sse", ["tail"]), ("h2", ["get", "grpc"])])
def test_group_help_lists_its_commands(group: str, subs: list[str]) -> None:
    result = run_cli([group, "--help"])
    assert result.exit_code == 0
    for sub in subs:
        assert f"\n  {sub} " in result.stdout


def test_every_lazy_command_resolves_to_a_click_command() -> None:
    """A typo in a command table would only show when that command runs: resolve them all here."""
    import click

    from wiretool.cli.lazy import LazyGroup
    from wiretool.cli.main import cli

    def walk(group: LazyGroup, path: str) -> list[str]:
        seen = []
        ctx = click.Context(group)
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            assert isinstance(cmd, click.Command), f"{path} {name}"
            seen.append(f"{path} {name}".strip())
            if isinstance(cmd, LazyGroup):
                seen += walk(cmd, f"{path} {name}")
        return seen

    names = walk(cli, "")
    assert {"frame decode", "frame craft", "ws connect", "sse tail", "h2 get", "h2 grpc", "serve ws", "serve sse",
            "serve h2", "demo", "completion", "replay"} <= set(names)


def test_unknown_command_is_a_usage_error() -> None:
    result = run_wiretool(["no-such-command"])
    assert result.exit_code == ExitCode.USAGE
    assert "No such command" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_option_value_is_a_usage_error() -> None:
    result = run_cli(["--color", "purple", "--version"])
    assert result.exit_code == ExitCode.USAGE


def test_version_does_not_import_network_stacks() -> None:
    code = ("import sys; from wiretool.cli.main import run; run(['--version']); "
            "heavy = [m for m in ('httpx', 'h2', 'hyperframe', 'hpack', 'aiohttp', 'hypercorn', 'websockets', "
            "'rich', 'asyncio') if m in sys.modules]; print('HEAVY', heavy)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert "HEAVY []" in proc.stdout, proc.stdout + proc.stderr


def test_sigint_during_a_command_exits_130() -> None:
    """click's Abort/KeyboardInterrupt path ends with 130, not 1, and prints no traceback."""
    code = ("import signal, os, sys, time; from wiretool.cli import main as m; import click\n"
            "@m.cli.command('sleepy')\n"
            "def sleepy():\n"
            "    os.kill(os.getpid(), signal.SIGINT)\n"
            "    time.sleep(10)  # the signal is delivered here at the latest\n"
            "sys.exit(m.run(['sleepy']))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert proc.returncode == ExitCode.INTERRUPTED
    assert "Traceback" not in proc.stderr


def test_internal_error_is_one_line_without_debug_and_a_traceback_with_it() -> None:
    code = ("import sys; from wiretool.cli import main as m\n"
            "@m.cli.command('boom')\n"
            "@m.global_options\n"
            "def boom():\n"
            "    raise RuntimeError('kaput')\n"
            "sys.exit(m.run(sys.argv[1:]))\n")
    plain = subprocess.run([sys.executable, "-c", code, "boom"], capture_output=True, text=True, timeout=30)
    assert plain.returncode == ExitCode.INTERNAL
    assert "Traceback" not in plain.stderr
    assert plain.stderr.strip().splitlines() == [
        "wiretool: error: internal error: RuntimeError: kaput (run with --debug for a traceback)"]
    debug = subprocess.run([sys.executable, "-c", code, "boom", "--debug"], capture_output=True, text=True,
                           timeout=30)
    assert debug.returncode != 0
    assert "Traceback" in debug.stderr and "kaput" in debug.stderr


@pytest.mark.parametrize("shell", SHELLS)
def test_committed_completion_scripts_are_current(shell: str) -> None:
    committed = (ROOT / "completions" / COMPLETION_FILES[shell]).read_text()
    assert committed == completion_script(shell), (
        f"completions/{COMPLETION_FILES[shell]} is stale: run `wiretool completion {shell} > "
        f"completions/{COMPLETION_FILES[shell]}`")


def test_completion_command_prints_the_script() -> None:
    result = run_wiretool(["completion", "bash"])
    assert result.exit_code == 0
    assert "_WIRETOOL_COMPLETE=bash_complete" in result.stdout


def test_bash_completion_completes_subcommands() -> None:
    env = {**os.environ, "COMP_WORDS": "wiretool fr", "COMP_CWORD": "1", "_WIRETOOL_COMPLETE": "bash_complete"}
    proc = subprocess.run([WIRETOOL], capture_output=True, text=True, env=env, timeout=30)
    assert proc.stdout.split() == ["plain,frame"]


_PLAIN_WRITER = ("    for i in range(100000):\n"
                 "        print('line', i, flush=True)\n")
_RICH_WRITER = ("    out = Output(Environment())\n"
                "    for i in range(100000):\n"
                "        out.note(f'line {i}')\n")


@pytest.mark.parametrize("body", [_PLAIN_WRITER, _RICH_WRITER], ids=["print", "rich-view"])
def test_closed_stdout_ends_quietly_with_zero(body: str) -> None:
    """``wiretool ... | head -1``: the reader going away is a normal end, not an error (click's and rich's paths)."""
    code = ("import sys; from wiretool.cli import main as m\n"
            "from wiretool.output.sink import Output; from wiretool.output.env import Environment\n"
            "@m.cli.command('chatty')\n"
            "def chatty():\n" + body +
            "sys.exit(m.run(['chatty']))\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    proc.stdout.readline()
    proc.stdout.close()
    assert proc.wait(timeout=30) == 0
    assert proc.stderr is not None and proc.stderr.read() == b""


_EXIT_PROBE = """
import atexit, sys, threading, time
from wiretool.cli.main import _exit
mode, out = sys.argv[1], sys.argv[2]
atexit.register(lambda: open(out, "a").write("atexit ran\\n"))
sys.stdout.write("buffered line\\n")  # still in the text layer's buffer: _exit must flush it
if mode == "thread":  # a worker that is not a daemon: the normal exit waits for it to finish
    threading.Thread(target=lambda: (time.sleep(0.5), open(out, "a").write("thread finished\\n"))).start()
_exit(3)
"""


@pytest.mark.parametrize("mode", ["plain", "thread"])
def test_the_entry_points_fast_exit_keeps_the_exit_code_output_atexit_and_workers(mode: str, tmp_path: Path) -> None:
    out = tmp_path / "events"
    proc = subprocess.run([sys.executable, "-c", _EXIT_PROBE, mode, str(out)], capture_output=True, text=True,
                          timeout=30)
    assert (proc.returncode, proc.stdout, proc.stderr) == (3, "buffered line\n", "")
    events = out.read_text().splitlines()
    assert "atexit ran" in events
    if mode == "thread":
        assert "thread finished" in events
