"""The replay run, whatever the protocol: replay the capture, keep the new bytes, and (``--check``) compare answers.

A protocol module offers ``session(cap, opts, check=, rules=)``, a :class:`~wiretool.session.Session` run by
the one run layer: ws drives its client step by step (``replay/ws.py``), sse and h2 send their requests and
read the answers (``replay/chunks.py``). This module picks it by the capture's ``proto``, writes the
replay's own capture (``--record``), shows the verdict and returns the exit status.
"""

from __future__ import annotations

import asyncio
from typing import Any

from wiretool.capture.file import Capture, CaptureWriter
from wiretool.errors import UsageError
from wiretool.exitcodes import ExitCode
from wiretool.output.sink import Output
from wiretool.records import Record
from wiretool.records.replay import ReplayCheck
from wiretool.replay.compare import Rules
from wiretool.replay.options import ReplayOptions
from wiretool.session import Outcome, Session


def protocol(proto: str) -> Any:
    """The replay module of a protocol (the registry's ``replayer``); UsageError for one that cannot be replayed."""
    from wiretool import protocols

    mod = protocols.part(proto, "replayer") if isinstance(proto, str) else None
    if mod is None:
        replayable = [name for name, entry in protocols.PROTOCOLS.items() if entry.replayer]
        raise UsageError(f"cannot replay a {str(proto)[:40]!r} capture (replayable: {', '.join(replayable)})")
    return mod


def run_replay(cap: Capture, opts: ReplayOptions, out: Output, *, check: bool, rules: Rules,
               record: str | None = None, record_pcapng: str | None = None) -> int:
    """Replay ``cap``; return 0, 7 for a ``--check`` mismatch, or the failure's exit code."""
    return asyncio.run(replay_capture(cap, opts, out, check=check, rules=rules, record=record,
                                      record_pcapng=record_pcapng))


async def replay_capture(cap: Capture, opts: ReplayOptions, out: Output, *, check: bool, rules: Rules,
                         record: str | None = None, record_pcapng: str | None = None) -> int:
    """:func:`run_replay` inside a running event loop (the demo runs it there)."""
    mod = protocol(cap.proto)
    for warning in cap.warnings:
        out.note(warning, level="warn")
    writer = None
    if record or record_pcapng:
        writer = CaptureWriter(record, proto=cap.proto, pcapng=record_pcapng,
                               url=opts.url or str(cap.header.get("url", "")),
                               request_headers=opts.headers or [tuple(p) for p in cap.header.get("request_headers", [])],
                               show_secrets=opts.show_secrets,
                               extra={k: v for k, v in cap.header.items()
                                      if k not in ("capture", "format", "wiretool", "proto", "url",
                                                   "request_headers", "start", "secrets")})
    return await _run_session(mod.session(cap, opts, check=check, rules=rules), cap, opts, out, writer)


class ReplayGoals:
    """A replay waits for nothing but its own end; its ``--timeout`` says so in the replay's words."""

    def on_record(self, record: Record) -> Outcome | None:
        return None

    def on_timeout(self, timeout: float) -> Outcome:
        return Outcome(ExitCode.TIMEOUT, f"the replay took longer than --timeout {timeout} s")

    def on_end(self, outcome: Outcome) -> Outcome:
        return outcome


async def _run_session(session: Session, cap: Capture, opts: ReplayOptions, out: Output,
                       writer: CaptureWriter | None) -> int:
    """The replay session to its end: the run layer's limits, Ctrl-C, error, summary and capture."""
    from wiretool.run import Limits, run

    def show(record: Record) -> None:
        if type(record) is ReplayCheck and not out.env.json:
            show_verdict(out, record)
        else:
            out.emit(record)

    viewing = None
    if cap.proto == "ws":  # the replayed messages get their payload view, picked as in a live ws connect
        from wiretool.run.viewing import Viewing

        viewing = Viewing(proto="ws", url=opts.url or str(cap.header.get("url", "")), pretty=not out.env.json)
    return await run(session, out, limits=Limits(timeout=opts.timeout), goals=ReplayGoals(), capture=writer,
                     show=show, viewing=viewing)


def show_verdict(out: Output, check: ReplayCheck) -> None:
    """The verdict on a terminal: one green line when it matches, the first difference in red and green."""
    from rich.text import Text

    if check.ok:
        out.console.print(Text(f"replay check passed: {check.compared} answers match the recording", style="green"))
        return
    lines = check.diff
    out.console.print(Text("replay check FAILED: " + lines[0], style="bold red"))
    for line in lines[1:]:
        style = "red" if line.lstrip().startswith("-") else "green" if line.lstrip().startswith("+") else "dim"
        out.console.print(Text(line, style=style))
