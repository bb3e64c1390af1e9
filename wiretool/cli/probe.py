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


def _report_options(f: Any) -> Any:
    """``--strict``, ``--junit FILE`` and ``--report FILE``, the same on every probe."""
    f = click.option("--report", "report_file", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
                     help="Write a self-contained HTML report.")(f)
    f = click.option("--junit", "junit_file", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
                     help="Write a JUnit XML report for CI systems.")(f)
    return click.option("--strict", is_flag=True, help="NON-STRICT counts as a failure for the exit status.")(f)


def _tls_options(f: Any) -> Any:
    """``--connect-timeout``, ``--insecure`` and ``--cacert``, the same on every probe (TLS for wss://, https://)."""
    f = click.option("--cacert", type=click.Path(exists=True, dir_okay=False),
                     help="TLS: the CA bundle (PEM) to verify the server with.")(f)
    f = click.option("--insecure", is_flag=True, help="TLS: do not verify the server certificate.")(f)
    return click.option("--connect-timeout", type=click.FloatRange(min=0.01), default=10.0, show_default=True,
                        metavar="S", help="Limit for each connection and its handshake.")(f)


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
@_report_options
@click.option("--wire", is_flag=True, help="Keep each case's bytes both ways in its --json record ('wire').")
@click.option("-H", "--header", "headers", multiple=True, metavar="NAME:VALUE",
              help="Extra handshake header (repeatable).")
@_tls_options
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
    from wiretool.probe.case import UNIMPLEMENTED, CaseResult
    from wiretool.probe.ws_run import CaseRun, preflight

    deflate = await preflight(target)
    skipped: list[CaseResult] = []
    runnable = []
    for case in selected:
        if case.deflate and not deflate:
            skipped.append(CaseResult(case.id, case.family, case.description, case.expectation, case.rfc,
                                      UNIMPLEMENTED, "the server does not negotiate permessage-deflate"))
        else:
            runnable.append(case)

    async def play(case: Any) -> CaseResult:
        return await CaseRun(target, case, keep_wire=wire).run()

    return await run_probe(env, "ws", target.url, runnable, play, skipped=skipped, concurrency=concurrency,
                           strict=strict, junit_file=junit_file, report_file=report_file,
                           describe=lambda c: (c.id, c.family, c.description, c.expectation, c.rfc))


async def run_probe(env: Any, proto: str, url: str, runnable: list[Any], play: Any, *, skipped: list[Any],
                    concurrency: int, strict: bool, junit_file: str | None, report_file: str | None,
                    describe: Any) -> int:
    """The part every ``probe`` shares: run, show, write the reports, the summary and the exit status."""
    from wiretool.output.sink import Output
    from wiretool.probe import report
    from wiretool.probe.case import sort_key
    from wiretool.probe.runner import counts, run_cases
    from wiretool.probe.view import ProbeView

    out = Output(env, proto="probe")
    view = ProbeView(env, out, total=len(runnable) + len(skipped))
    for result in skipped:
        view.result(result)
    results = await run_cases(runnable, play, concurrency=concurrency, on_result=view.result, describe=describe)
    results = sorted(results + skipped, key=lambda r: sort_key(r.id))
    view.finish(results)
    failed = sum(1 for r in results if r.failed(strict))
    code = ExitCode.PROTOCOL if failed else ExitCode.OK
    try:
        if junit_file:
            _write(junit_file, report.junit(results, suite=f"wiretool.probe.{proto}", target=url, strict=strict))
        if report_file:
            _write(report_file, report.html_report(results, title=f"wiretool probe {proto}", target=url))
    except OSError as exc:
        raise WiretoolError(f"cannot write report: {exc.strerror or exc}", ExitCode.USAGE) from None
    out.summary(code, cases=len(results), **{k.lower().replace("-", "_"): v for k, v in counts(results).items()})
    return code


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


@click.command("h2")
@click.argument("url")
@click.option("--cases", "cases", multiple=True, metavar="IDS",
              help="Only these cases: ids or prefixes with '*' (e.g. 'http2/6.5*,hpack/*'; repeatable).")
@click.option("--exclude", multiple=True, metavar="IDS", help="Leave these cases out (same syntax as --cases).")
@click.option("--include-limits", is_flag=True,
              help="Also run the resource checks: rapid reset, CONTINUATION/SETTINGS/PING floods.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Cases run at once, each on its own connection.")
@click.option("--wait", type=click.FloatRange(min=0.05), default=1.0, show_default=True, metavar="S",
              help="How long each case waits for the server's reaction.")
@_report_options
@_tls_options
@click.option("--list", "list_only", is_flag=True, help="List the selected cases and exit without connecting.")
@global_options
def probe_h2(url: str, cases: tuple[str, ...], exclude: tuple[str, ...], include_limits: bool, concurrency: int,
             strict: bool,
             wait: float, junit_file: str | None, report_file: str | None, connect_timeout: float, insecure: bool,
             cacert: str | None, list_only: bool) -> int:
    """Check an HTTP/2 server against RFC 9113 and RFC 7541, case by case (h2spec's case ids).

    \b
    http:// is h2c with prior knowledge; https:// is TLS with ALPN h2.
    Groups: generic, http2 (RFC 7540 sections, RFC 9113's beside them), hpack.
    \b
    Examples:
      wiretool probe h2 http://127.0.0.1:8080/
      wiretool probe h2 https://localhost:8443/ --insecure --cases 'http2/6.*' --junit h2.xml
    """
    from wiretool.probe.case import CaseResult, matches
    from wiretool.probe.h2_cases import all_cases
    from wiretool.probe.h2_run import H2CaseRun, H2Target, preflight
    from wiretool.transport.tls import client_context

    env = make_env()
    wanted, unwanted = _split(cases), _split(exclude)
    selected = [c for c in all_cases() if include_limits or not c.limits or wanted]
    if wanted:
        selected = [c for c in selected if matches(c.id, wanted)]
    if unwanted:
        selected = [c for c in selected if not matches(c.id, unwanted)]
    if not selected:
        raise UsageError("no case matches --cases/--exclude (case ids look like generic/1/1, http2/6.5/*, hpack/*)")
    if list_only:
        for c in selected:
            env.stdout.write(f"{c.id}\t{c.description}\n")
        env.stdout.flush()
        return ExitCode.OK
    tls = client_context(insecure=insecure, cacert=cacert) if url.lower().startswith("https:") else None
    target = H2Target.parse(url, tls=tls, connect_timeout=connect_timeout, wait=wait)

    async def main() -> int:
        await preflight(target)

        import dataclasses

        # the resource checks run last and alone, with time to recover: a flood must not fail other cases
        floods = [c for c in selected if c.limits]
        slow_target = dataclasses.replace(target, wait=max(target.wait, 5.0))
        early: list[CaseResult] = []
        for flood in floods:
            result = await H2CaseRun(slow_target, flood).run()
            try:  # the flood's real effect: can a new client still connect afterwards?
                await asyncio.wait_for(preflight(target), 15)
            except (WiretoolError, asyncio.TimeoutError):
                result.verdict = "FAILED"
                result.reason += "; afterwards the server did not accept a new connection within 15 s"
                for _ in range(4):  # let it recover (up to a minute) before the next flood is blamed for it
                    try:
                        await asyncio.wait_for(preflight(target), 15)
                        break
                    except (WiretoolError, asyncio.TimeoutError):
                        continue
            early.append(result)

        async def play(case: Any) -> CaseResult:
            return await H2CaseRun(target, case).run()

        return await run_probe(env, "h2", url, [c for c in selected if not c.limits], play, skipped=early,
                               concurrency=concurrency, strict=strict, junit_file=junit_file,
                               report_file=report_file,
                               describe=lambda c: (c.id, c.family, c.description, c.expectation, c.rfc9113))

    return asyncio.run(main())


@click.command("sse")
@click.argument("url")
@click.option("--wait", type=click.FloatRange(min=0.05), default=5.0, show_default=True, metavar="S",
              help="How long the first event (and a resumed stream) may take.")
@click.option("--observe", type=click.FloatRange(min=0.1), default=3.0, show_default=True, metavar="S",
              help="How long the first stream is watched (flushing, keep-alive).")
@click.option("--keepalive", type=click.FloatRange(min=0.01), default=None, metavar="S",
              help="Fail when the stream is silent longer than this (default: report the longest silence).")
@_report_options
@_tls_options
@global_options
def probe_sse(url: str, wait: float, observe: float, keepalive: float | None, strict: bool,
              junit_file: str | None, report_file: str | None, connect_timeout: float, insecure: bool,
              cacert: str | None) -> int:
    """Check what a Server-Sent Events endpoint owes an EventSource client.

    \b
    Content type, time to the first event, flushing, keep-alive, UTF-8, ids, retry, Cache-Control,
    a reconnection with Last-Event-ID, and the same stream over HTTP/2 for https:// URLs.
    \b
    Examples:
      wiretool probe sse http://127.0.0.1:8766/events
      wiretool probe sse https://localhost:8443/stream --cacert ca.pem --keepalive 20 --junit sse.xml
    """
    from urllib.parse import urlsplit

    from wiretool.probe.case import CaseResult
    from wiretool.probe.sse_run import probe
    from wiretool.transport.tls import client_context

    env = make_env()
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        raise UsageError(f"probe sse needs an http:// or https:// URL, got {url[:80]!r}")
    verify: Any = True
    if url.lower().startswith("https:"):
        verify = client_context(insecure=insecure, cacert=cacert)

    async def main() -> int:
        results = await probe(url, wait=wait, observe=observe, keepalive=keepalive, verify=verify,
                              timeout=connect_timeout)
        first = results[0]
        if first.verdict == "FAILED" and first.observed.get("status") is None:
            raise ConnectError(f"cannot connect to {url}: {first.reason.split('(', 1)[-1].rstrip(')')}")
        if first.observed.get("status") not in (None, 200):
            raise WiretoolError(f"{url}: {first.reason}", ExitCode.REFUSED)

        async def play(r: CaseResult) -> CaseResult:
            return r

        return await run_probe(env, "sse", url, results, play, skipped=[], concurrency=1, strict=strict,
                               junit_file=junit_file, report_file=report_file,
                               describe=lambda r: (r.id, r.family, r.description, r.expectation, r.rfc))

    return asyncio.run(main())


__all__ = ["ConnectError", "probe_h2", "probe_sse", "probe_ws"]
