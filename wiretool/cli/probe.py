"""``wiretool probe ws URL``: options → the selected cases → run them → table, NDJSON, JUnit, HTML; exit status.

Exit status: 0 when no case FAILED (nor, under ``--strict``, was NON-STRICT); 5 (protocol) otherwise; 3 when
the server cannot be reached at all and 4 when it refuses the opening handshake (both found by one
handshake before any case runs, so a wrong URL is one line, not three hundred FAILED cases).
"""

from __future__ import annotations

import asyncio
from typing import Any

import click

from wiretool.cli.options import global_options, make_env
from wiretool.errors import ConnectError, UsageError, WiretoolError
from wiretool.exitcodes import ExitCode


def _split(values: tuple[str, ...]) -> list[str]:
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


@click.command("ws")
@click.argument("url")
@click.option("--cases", "cases", multiple=True, metavar="IDS",
              help="Only these cases: ids or prefixes with '*' (e.g. '5.*,6.4.*'; repeatable).")
@click.option("--exclude", multiple=True, metavar="IDS", help="Leave these cases out (same syntax as --cases).")
@click.option("--include-limits", is_flag=True, help="Also run 9.x: messages up to 16 MiB, 1000-message runs.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Cases run at once, each on its own connection.")
@click.option("--strict", is_flag=True, help="NON-STRICT counts as a failure for the exit status.")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="Write a JUnit XML report for CI systems.")
@click.option("--report", "report_file", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
              help="Write a self-contained HTML report.")
@click.option("--wire", is_flag=True, help="Keep each case's bytes both ways in its --json record ('wire').")
@click.option("-H", "--header", "headers", multiple=True, metavar="NAME:VALUE",
              help="Extra handshake header (repeatable).")
@click.option("--connect-timeout", type=click.FloatRange(min=0.01), default=10.0, show_default=True, metavar="S",
              help="Limit for each connection and opening handshake.")
@click.option("--insecure", is_flag=True, help="wss://: do not verify the server certificate.")
@click.option("--cacert", type=click.Path(exists=True, dir_okay=False), help="wss://: CA bundle (PEM) to verify with.")
@click.option("--list", "list_only", is_flag=True, help="List the selected cases and exit without connecting.")
@global_options
def probe_ws(url: str, cases: tuple[str, ...], exclude: tuple[str, ...], include_limits: bool, concurrency: int,
             strict: bool, junit_file: str | None, report_file: str | None, wire: bool, headers: tuple[str, ...],
             connect_timeout: float, insecure: bool, cacert: str | None, list_only: bool) -> int:
    """Check a WebSocket echo server against RFC 6455, case by case (Autobahn's case ids).

    \b
    Families: 1 framing, 2 ping/pong, 3 reserved bits, 4 opcodes, 5 fragmentation, 6 UTF-8,
    7 close handling, 9 limits (--include-limits), 12 permessage-deflate (when the server offers it).
    Verdicts: OK, NON-STRICT, FAILED, INFORMATIONAL, UNIMPLEMENTED.
    \b
    Examples:
      wiretool probe ws ws://127.0.0.1:9001/
      wiretool probe ws ws://127.0.0.1:9001/ --cases '5.*,6.4.*' --junit probe.xml
      wiretool probe ws wss://localhost:8443/echo --cacert ca.pem --json | jq 'select(.verdict=="FAILED")'
    """
    from wiretool.probe.case import matches
    from wiretool.probe.ws_cases import all_cases
    from wiretool.probe.ws_run import Target
    from wiretool.transport.tls import client_context

    env = make_env()
    selected = [c for c in all_cases() if (include_limits or not c.limits or _split(cases))]
    wanted, unwanted = _split(cases), _split(exclude)
    if wanted:
        selected = [c for c in selected if matches(c.id, wanted)]
    if unwanted:
        selected = [c for c in selected if not matches(c.id, unwanted)]
    if not selected:
        raise UsageError("no case matches --cases/--exclude (case ids look like 1.1.1, 6.4.*, 12.*)")
    extra = []
    for h in headers:
        name, sep, value = h.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"invalid -H {h!r}: use NAME:VALUE")
        extra.append((name.strip(), value.strip()))
    if list_only:
        for c in selected:
            env.stdout.write(f"{c.id}\t{c.description}\n")
        env.stdout.flush()
        return ExitCode.OK
    tls = None
    if url.lower().startswith("wss:"):
        tls = client_context(insecure=insecure, cacert=cacert)
    target = Target.parse(url, tls=tls, headers=tuple(extra), connect_timeout=connect_timeout)
    return asyncio.run(_probe(env, target, selected, concurrency=concurrency, strict=strict, wire=wire,
                              junit_file=junit_file, report_file=report_file))


async def _probe(env: Any, target: Any, selected: list[Any], *, concurrency: int, strict: bool, wire: bool,
                 junit_file: str | None, report_file: str | None) -> int:
    from wiretool.output.sink import Output
    from wiretool.probe import report
    from wiretool.probe.case import UNIMPLEMENTED, CaseResult
    from wiretool.probe.runner import counts, run_cases
    from wiretool.probe.view import ProbeView
    from wiretool.probe.ws_run import CaseRun, preflight

    deflate = await preflight(target)
    out = Output(env, proto="probe")
    view = ProbeView(env, out, total=len(selected))
    skipped: list[CaseResult] = []
    runnable = []
    for case in selected:
        if case.deflate and not deflate:
            skipped.append(CaseResult(case.id, case.family, case.description, case.expectation, case.rfc,
                                      UNIMPLEMENTED, "the server does not negotiate permessage-deflate"))
        else:
            runnable.append(case)
    for result in skipped:
        view.result(result)

    async def play(case: Any) -> CaseResult:
        return await CaseRun(target, case, keep_wire=wire).run()

    results = await run_cases(runnable, play, concurrency=concurrency, on_result=view.result,
                              describe=lambda c: (c.id, c.family, c.description, c.expectation, c.rfc))
    results = sorted(results + skipped, key=lambda r: tuple(int(p) for p in r.id.split(".")))
    view.finish(results)
    failed = sum(1 for r in results if r.failed(strict))
    code = ExitCode.PROTOCOL if failed else ExitCode.OK
    try:
        if junit_file:
            _write(junit_file, report.junit(results, suite="wiretool.probe.ws", target=target.url, strict=strict))
        if report_file:
            _write(report_file, report.html_report(results, title="wiretool probe ws", target=target.url))
    except OSError as exc:
        raise WiretoolError(f"cannot write report: {exc.strerror or exc}", ExitCode.USAGE) from None
    out.summary(code, cases=len(results), **{k.lower().replace("-", "_"): v for k, v in counts(results).items()})
    return code


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


__all__ = ["ConnectError", "probe_ws"]
