"""The ``wiretool`` entry point: the command tree, global options, and the mapping of outcomes onto exit codes.

Every failure ends here. A :class:`~wiretool.errors.WiretoolError` becomes one line on stderr (and an
NDJSON ``error`` record under ``--json``) with its documented exit code; click usage errors exit 2;
Ctrl-C exits 130; a closed stdout (``| head``) ends quietly; anything else is a bug, exit 1, with a
traceback only under ``--debug``.

:func:`run` takes an :class:`~wiretool.output.env.Environment` (httpie style): every command reads its
streams from it (through the root click context's ``obj``, see ``cli.options.make_env``), so tests run
the real entry point in-process without touching ``sys.stdout``; :func:`main` builds the process's one.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn

import click

from wiretool import __version__
from wiretool.cli.lazy import LazyGroup
from wiretool.cli.options import base_env, global_options, settings
from wiretool.exitcodes import ExitCode
from wiretool.output.env import Environment

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 110}


def _group(name: str, help: str, lazy: dict[str, tuple[str, str]]) -> LazyGroup:
    @global_options
    def callback() -> None:
        pass

    callback.__doc__ = help
    return LazyGroup(name=name, callback=callback, params=getattr(callback, "__click_params__", []),
                     help=help, lazy=lazy, context_settings=CONTEXT)


frame_group = _group("frame", "Decode raw frames from hex, base64, files or stdin; craft any frame.", {
    "decode": ("wiretool.cli.frame_decode:decode", "Decode WebSocket (or HTTP/2) frames from bytes."),
    "craft": ("wiretool.cli.frame_craft:craft", "Build any WebSocket frame, valid or deliberately broken."),
})
ws_group = _group("ws", "WebSocket client that shows the handshake and every frame.", {
    "connect": ("wiretool.cli.ws:connect", "Connect to a ws:// or wss:// URL and show every frame."),
})
sse_group = _group("sse", "Server-Sent Events client, exact as a browser.", {
    "tail": ("wiretool.cli.sse:tail", "Follow an event stream; reconnect with Last-Event-ID."),
})
h2_group = _group("h2", "HTTP/2 client that shows every frame and decoded HPACK headers.", {
    "get": ("wiretool.cli.h2:get", "Request URLs over one HTTP/2 connection and show every frame."),
    "grpc": ("wiretool.cli.h2_grpc:grpc", "Call a gRPC method and show frames, messages and status."),
})
capture_group = _group("capture", "Work with wiretool captures (from --record).", {
    "export": ("wiretool.cli.capture_export:export", "Export a capture as pcapng (tshark, Wireshark) or HAR 1.2."),
})
serve_group = _group("serve", "Local servers to try everything with no network.", {
    "ws": ("wiretool.cli.serve_ws:serve_ws", "Local WebSocket server (echo, flood, script)."),
    "sse": ("wiretool.cli.serve_sse:serve_sse", "Local Server-Sent Events server."),
    "h2": ("wiretool.cli.serve_h2:serve_h2", "Local HTTP/2 server with test routes."),
})
probe_group = _group("probe", "Server conformance: Autobahn-style cases, a verdict each.", {
    "ws": ("wiretool.cli.probe:probe_ws", "Check a WebSocket echo server against RFC 6455 (Autobahn case ids)."),
    "h2": ("wiretool.cli.probe:probe_h2", "Check an HTTP/2 server against RFC 9113 and RFC 7541 (h2spec case ids)."),
    "sse": ("wiretool.cli.probe:probe_sse", "Check what a Server-Sent Events endpoint owes an EventSource client."),
})


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """``-V/--version``: ``wiretool X.Y.Z`` on the run's stdout (click's version option writes to sys.stdout)."""
    if not value or ctx.resilient_parsing:
        return
    click.echo(f"wiretool {__version__}", file=base_env(ctx).stdout, color=ctx.color)
    ctx.exit()


@click.group(cls=LazyGroup, context_settings=CONTEXT, lazy={
    "demo": ("wiretool.cli.demo:demo", "Run a short session of each protocol against the built-in servers."),
    "completion": ("wiretool.cli.completion:completion", "Print the shell completion script (bash, zsh, fish)."),
    "replay": ("wiretool.cli.replay:replay", "Re-run a recorded session against a server; --check compares."),
    "views": ("wiretool.cli.views:list_views", "List the payload views (Socket.IO, SignalR, JSON...) and their subprotocols."),
    "proxy": ("wiretool.cli.proxy:proxy", "Relay a client to a server and show what each says, frame by frame."),
})
@click.option("-V", "--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
              help="Show the version and exit.")
@global_options
def cli() -> None:
    """wiretool: see what really crosses the wire.

    A debugger for WebSocket, Server-Sent Events, HTTP/2 and gRPC. Every command takes --json for
    NDJSON output and exits with a documented status (see README).
    """


for _g in (frame_group, ws_group, sse_group, h2_group, serve_group, probe_group, capture_group):
    cli.add_command(_g)


def main(argv: list[str] | None = None) -> None:
    """Run the CLI on the process's streams and exit with the documented status."""
    code = run(argv, env=Environment.from_process())
    _exit(code)


def _exit(code: int) -> NoReturn:
    """End the process with ``code`` without tearing the interpreter down, when nothing is left to finish.

    Tearing down (every module's objects freed one by one) costs about 10 ms here, a sixth of ``frame
    decode``'s whole run, for a process that is about to vanish. Like mypy's ``hard_exit``: the streams are
    flushed and the ``atexit`` callbacks run (temporary directories, logging), then ``os._exit``. Any thread
    still running that is not a daemon (an executor's worker) gets the normal exit, which waits for it; so does
    a stream that cannot be flushed (the normal exit's handling of it stays in force).
    """
    threading = sys.modules.get("threading")
    if threading is not None and any(t.is_alive() and not t.daemon for t in threading.enumerate()
                                     if t is not threading.main_thread()):
        sys.exit(code)
    try:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
    except (OSError, ValueError):
        sys.exit(code)
    import atexit  # (a builtin module: nothing to load)

    atexit._run_exitfuncs()  # the callbacks a normal exit would run first
    os._exit(code)


def run(argv: list[str] | None = None, *, env: Environment | None = None, prog_name: str = "wiretool") -> int:
    """Run the CLI with ``env``'s streams (default: the process's) and return its exit status.

    Never shows a traceback without ``--debug``. Tests call this in-process with their own ``env``.
    """
    from wiretool.errors import WiretoolError

    env = env if env is not None else Environment.from_process()
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        rv: Any = cli.main(args=args, prog_name=prog_name, standalone_mode=False, obj=env)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.exceptions.Abort:
        _stderr(env, "Aborted.")
        return ExitCode.INTERRUPTED
    except KeyboardInterrupt:
        _stderr(env, "Interrupted.")
        return ExitCode.INTERRUPTED
    except click.ClickException as exc:
        exc.show(file=env.stderr)
        return ExitCode.USAGE if isinstance(exc, click.UsageError) else exc.exit_code or ExitCode.USAGE
    except WiretoolError as exc:
        _report(env, exc.message)
        if _debug(args):
            raise
        return exc.exit_code
    except BrokenPipeError:
        _quiet_broken_pipe(env)
        return ExitCode.OK
    except SystemExit:
        # click answers EPIPE (the reader of our stdout went away: ``| head``) with sys.exit(1) after
        # wrapping the streams; for a debugger piped into head that is a normal end, not a failure.
        if type(sys.stdout).__name__ == "_PacifyFlushWrapper":
            _quiet_broken_pipe(env)
            return ExitCode.OK
        raise
    except Exception as exc:
        from wiretool.errors import output_failure

        failure = output_failure(exc)
        if failure is not None:  # stdout is a full disk (> /dev/full): the machine's doing, not a bug
            _report(env, failure.message)
            _quiet_broken_pipe(env)  # the exit flush would fail the same way
            return failure.exit_code
        if _debug(args):
            raise
        _report(env, f"internal error: {type(exc).__name__}: {exc} (run with --debug for a traceback)")
        return ExitCode.INTERNAL
    if rv is None:
        return ExitCode.OK
    return int(rv)


def _debug(args: list[str]) -> bool:
    ctx = click.get_current_context(silent=True)
    if ctx is not None:
        return settings(ctx).debug
    return "--debug" in args


def _stderr(env: Environment, text: str) -> None:
    try:
        env.stderr.write(f"wiretool: {text}\n")
        env.stderr.flush()
    except (BrokenPipeError, ValueError):
        pass


def _report(env: Environment, message: str) -> None:
    """One line on stderr; the command has usually emitted its own NDJSON error record already."""
    from wiretool.output.sanitize import safe_text

    _stderr(env, f"error: {safe_text(message)}")


def _quiet_broken_pipe(env: Environment | None = None) -> None:
    """stdout (the run's, else the process's) was closed by the reader (``| head``): point it at /dev/null
    so the exit flush is silent. cli/sse.py calls it without an environment."""
    stdout = env.stdout if env is not None else sys.stdout
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout.fileno())
    except (OSError, ValueError):
        pass
