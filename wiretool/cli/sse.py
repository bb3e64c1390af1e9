"""``wiretool sse tail URL``: follow an event stream like a browser's EventSource, and show every part of it.

This module only wires options to :class:`wiretool.transport.sse.SseSession` (the session),
:class:`wiretool.run.sse.SseGoals` (``--max-events``, ``--expect``) and the run's ``show`` (``--event``,
``--raw``), then hands them to :func:`wiretool.run.run`; httpx, asyncio and rich are imported lazily.
"""

from __future__ import annotations

import re
from typing import Any

import click

from wiretool.cli.net_options import NetOptions, har_option, network_options
from wiretool.cli.options import global_options, make_env
from wiretool.cli.views import view_option

_MIB = 1 << 20


def _check_url(url: str, show_secrets: bool) -> None:
    """Refuse a URL httpx cannot parse or connect to as a usage error, before any output (its password hidden)."""
    import httpx

    from wiretool.errors import UsageError
    from wiretool.secrets import redact_url

    shown = redact_url(url, show_secrets)

    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise UsageError(f"bad URL {shown!r}: {exc}") from None
    if not parsed.host:
        raise UsageError(f"bad URL {shown!r}: no host")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise UsageError(f"bad URL {shown!r}: port {parsed.port} is not in 1-65535")


def _check_request(method: str | None, headers: list[tuple[str, str]]) -> None:
    """A method and header names must be tokens, values free of CR, LF and NUL: say so before connecting."""
    from wiretool.codec.headers import has_cr_lf_nul, is_token
    from wiretool.errors import UsageError

    if method is not None and not is_token(method):
        raise UsageError(f"bad method {method!r}: an HTTP method is a token (letters, digits, !#$%&'*+-.^_`|~)")
    for name, value in headers:
        if not is_token(name):
            raise UsageError(f"bad header name {name!r}: a header name is a token (letters, digits, !#$%&'*+-.^_`|~)")
        if has_cr_lf_nul(value):
            raise UsageError(f"header {name!r} holds CR, LF or NUL")


def _content_type(body: bytes) -> str:
    import json

    try:
        json.loads(body)
    except ValueError:
        return "application/x-www-form-urlencoded"
    return "application/json"


@click.command()
@click.argument("url")
@click.option("-X", "--method", default=None, metavar="METHOD", help="HTTP method (default GET, or POST with -d).")
@click.option("-d", "--data", default=None, metavar="DATA",
              help="Request body for POST-streaming APIs: TEXT, @FILE, or - for stdin.")
@click.option("--last-event-id", default="", metavar="ID", help="Resume: send Last-Event-ID on the first request.")
@click.option("--http2", is_flag=True, help="HTTP/2 with prior knowledge (h2c) for http:// URLs.")
@click.option("--http1", is_flag=True, help="Never use HTTP/2 (https negotiates it by ALPN otherwise).")
@click.option("--raw", is_flag=True, help="Show the body bytes as received (verbatim when piped).")
@click.option("--timestamps", is_flag=True, help="Add the wall-clock arrival time to each event and comment.")
@click.option("--event", "types", multiple=True, metavar="TYPE", help="Show only events of this type (repeatable).")
@click.option("--max-events", type=click.IntRange(min=1), default=None, metavar="N",
              help="Stop after N shown events (exit 0).")
@click.option("--expect", default=None, metavar="REGEX|$.FIELD=VALUE",
              help="Stop with exit 0 once an event's data matches (a regex, or a field of its JSON or view: "
                   "'$.type=done', '$.choices[0].delta.content~hi'); exit 7 if the stream ends or times out first.")
@click.option("--reconnect/--no-reconnect", default=None,
              help="Reconnect when the stream ends, like a browser (default for GET; POST streams end the run). "
                   "Under --no-reconnect an end by the server is exit 0.")
@click.option("--max-reconnects", type=click.IntRange(min=0), default=None, metavar="N",
              help="Reconnect at most N times.")
@click.option("--retry-5xx", is_flag=True, help="Treat 5xx answers as temporary: reconnect with backoff.")
@click.option("--reconnect-delay", type=click.FloatRange(min=0), default=3.0, show_default=True, metavar="S",
              help="Wait before reconnecting when the server sent no retry: field.")
@click.option("--max-backoff", type=click.FloatRange(min=0), default=30.0, show_default=True, metavar="S",
              help="Cap of the exponential backoff after repeated failures.")
@click.option("--max-line", type=click.IntRange(min=16), default=_MIB, show_default=True, metavar="CHARS",
              help="Longest line accepted; past it the run stops (exit 5).")
@click.option("--max-event", type=click.IntRange(min=16), default=16 * _MIB, show_default=True, metavar="CHARS",
              help="Largest event data accepted; past it the run stops (exit 5).")
@view_option
@har_option
@network_options
@global_options
def tail(url: str, method: str | None, data: str | None, last_event_id: str, http2: bool, http1: bool,
         raw: bool, timestamps: bool, types: tuple[str, ...], max_events: int | None, expect: str | None,
         reconnect: bool | None, max_reconnects: int | None, retry_5xx: bool, reconnect_delay: float,
         max_backoff: float, max_line: int, max_event: int, view_name: str | None, net: NetOptions) -> int:
    """Follow the Server-Sent Events stream at URL, reconnecting with Last-Event-ID like a browser.

    \b
    Examples:
      wiretool sse tail http://127.0.0.1:8000/events
      wiretool sse tail URL --json --max-events 10 --event price
      wiretool sse tail https://api.example/v1/chat -d @request.json -H 'Authorization: Bearer ...'
    """

    from wiretool.errors import UsageError
    from wiretool.output.sink import Output
    from wiretool.run import Limits, run, run_sync
    from wiretool.run.sse import SseGoals, sse_show
    from wiretool.secrets import redact_url
    from wiretool.transport.sse import ReconnectPolicy, SseRequest, SseSession

    if "://" not in url:
        url = "http://" + url
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"expected an http:// or https:// URL, got {redact_url(url, net.show_secrets)!r}")
    _check_url(url, net.show_secrets)
    if http1 and http2:
        raise UsageError("--http1 and --http2 exclude each other")
    from wiretool.cli.views import resolve_view
    from wiretool.run import field_expect

    view, views_on = resolve_view(view_name)
    try:
        pattern: Any = None
        if expect is not None:
            pattern = field_expect.parse(expect) if field_expect.is_field_form(expect) else re.compile(expect)
    except re.error as exc:
        raise UsageError(f"bad --expect regex: {exc}") from None
    from wiretool.cli.input_bytes import read_data_option

    body = read_data_option(data)
    headers = list(net.headers)
    _check_request(method, headers)
    if body is not None and not any(n.lower() == "content-type" for n, _ in headers):
        headers.append(("Content-Type", _content_type(body)))
    request = SseRequest(url=url, method=(method or ("POST" if body is not None else "GET")).upper(),
                         headers=headers, body=body, last_event_id=last_event_id, http2=http2, http1=http1,
                         insecure=net.insecure, cacert=net.cacert, cert=net.cert, key=net.key,
                         connect_timeout=net.connect_timeout, idle_timeout=net.idle_timeout,
                         show_secrets=net.show_secrets)
    if reconnect is None:
        reconnect = request.method == "GET"
    policy = ReconnectPolicy(reconnect=reconnect, max_reconnects=max_reconnects, retry_5xx=retry_5xx,
                             default_delay=reconnect_delay, max_backoff=max_backoff)
    session = SseSession(request, policy, raw=raw, timestamps=timestamps, max_line=max_line, max_event=max_event,
                         types=frozenset(types), capture=net.recording)
    goals = SseGoals(types=frozenset(types), max_events=max_events, pattern=pattern)
    env = make_env()
    out = Output(env, proto="sse")
    if not views_on:
        out.options["view"] = "raw"
    viewing = None
    if view is not None:  # --view NAME: each event's data through it (JSON data is pretty-printed anyway)
        from wiretool.run.viewing import Viewing

        viewing = Viewing(proto="sse", url=url, forced=view, pretty=not env.json)
    # With --raw on a pretty run, stdout carries only the body bytes; everything else goes to stderr.
    meta = out
    if raw and not env.json:
        meta = Output(env.replace(stdout=env.stderr), proto="sse", start=out.start)
    capture = None
    if net.recording:
        import base64

        from wiretool.capture.file import CaptureWriter

        capture = CaptureWriter(net.record, proto="sse", url=url, request_headers=session.headers(),
                                show_secrets=net.show_secrets, pcapng=net.record_pcapng, har=net.har,
                                extra={"method": request.method, "http2": http2, "http1": http1,
                                       "body_b64": base64.b64encode(body).decode() if body is not None else None})
    return run_sync(run(session, meta, limits=Limits(timeout=net.timeout), goals=goals, capture=capture,
                        show=sse_show(out, meta, raw=raw, types=frozenset(types)), viewing=viewing))
