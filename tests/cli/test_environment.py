"""``cli.main.run(argv, env=Environment(...))``: a command runs on the given streams, TTY answers and
environment variables, never on the process's."""

from __future__ import annotations

import io
import json

import pytest

from wiretool import __version__
from wiretool.cli.main import run
from wiretool.exitcodes import ExitCode
from wiretool.output.env import Environment


def _env(stdin: str = "", **kwargs: object) -> Environment:
    return Environment(stdout=io.StringIO(), stderr=io.StringIO(), stdin=io.StringIO(stdin), **kwargs)  # type: ignore[arg-type]


def _out(env: Environment) -> str:
    return env.stdout.getvalue()  # type: ignore[attr-defined]


def _err(env: Environment) -> str:
    return env.stderr.getvalue()  # type: ignore[attr-defined]


def test_records_go_to_the_given_stdout_and_nothing_to_the_process(capsys: pytest.CaptureFixture[str]) -> None:
    env = _env()
    assert run(["--json", "frame", "decode", "8100"], env=env) == ExitCode.OK
    lines = [json.loads(line) for line in _out(env).splitlines()]
    assert lines[0]["type"] == "frame" and lines[-1]["type"] == "summary"
    assert capsys.readouterr() == ("", "")


def test_stdin_comes_from_the_environment(capsys: pytest.CaptureFixture[str]) -> None:
    env = _env("81 05 48 65 6c 6c 6f")
    assert run(["frame", "decode", "-", "--json"], env=env) == ExitCode.OK
    assert json.loads(_out(env).splitlines()[0])["payload_text"] == "Hello"
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("argv", [["--help"], ["frame", "--help"], ["frame", "decode", "--help"], ["ws", "connect", "-h"]])
def test_help_goes_to_the_given_stdout(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    env = _env()
    assert run(argv, env=env) == ExitCode.OK
    assert _out(env).startswith("Usage: wiretool")
    assert capsys.readouterr() == ("", "")


def test_version_and_usage_errors_go_to_the_given_streams(capsys: pytest.CaptureFixture[str]) -> None:
    env = _env()
    assert run(["--version"], env=env) == ExitCode.OK
    assert _out(env) == f"wiretool {__version__}\n"
    env = _env()
    assert run(["frame", "decode", "--no-such-option"], env=env) == ExitCode.USAGE
    assert "No such option" in _err(env) and "Try 'wiretool frame decode --help' for help." in _err(env)
    env = _env()
    assert run(["frame", "decode", "zz"], env=env) == ExitCode.USAGE
    assert _err(env).startswith("wiretool: error: ")
    assert capsys.readouterr() == ("", "")


def test_colour_is_decided_from_the_given_tty_and_environment() -> None:
    coloured = _env(stdout_isatty=True, environ={})
    assert run(["frame", "decode", "8100"], env=coloured) == ExitCode.OK
    assert "\x1b[" in _out(coloured)
    for env in (_env(stdout_isatty=True, environ={"NO_COLOR": "1"}), _env(stdout_isatty=False, environ={})):
        assert run(["frame", "decode", "8100"], env=env) == ExitCode.OK
        assert "\x1b[" not in _out(env)
    forced = _env(stdout_isatty=False, environ={"FORCE_COLOR": "1"})
    assert run(["frame", "decode", "8100", "--color", "auto"], env=forced) == ExitCode.OK
    assert "\x1b[" in _out(forced)


def test_completion_script_goes_to_the_given_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    env = _env()
    assert run(["completion", "bash"], env=env) == ExitCode.OK
    assert "_WIRETOOL_COMPLETE" in _out(env)
    assert capsys.readouterr() == ("", "")
