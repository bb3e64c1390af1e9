"""``wiretool h2 get URL [URL ...]``: options → :class:`~wiretool.transport.h2.ClientConfig` → run → exit code.

The options only get wired here; the connection lives in ``transport/h2.py`` and the frame view in
``codec/h2frame.py``. Heavy modules (asyncio transport, h2) are imported inside the command body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from wiretool.cli.net_options import NetOptions, har_option, network_options, parse_header
from wiretool.cli.options import F, global_options, make_env

if TYPE_CHECKING:
    from wiretool.transport.h2 import ClientConfig

def _pairs(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> list[tuple[str, str]]:
    return [parse_header(v) for v in value]


def h2_connection_options(f: F) -> F:
    """Options of every command that opens an HTTP/2 connection (``h2 get``, ``h2 grpc``)."""
    for opt in reversed([
        click.option("--hexdump", is_flag=True, help="Show the raw bytes of both directions."),
        click.option("--hpack", is_flag=True, help="Show the HPACK dynamic table entries after each header block."),
        click.option("--window-bits", type=click.IntRange(0, 31), metavar="N",
                     help="Initial stream (and connection) window of 2^N-1 bytes."),
        click.option("--max-frame-size", type=click.IntRange(16_384, 2**24 - 1), metavar="N",
                     help="SETTINGS_MAX_FRAME_SIZE to announce."),
    ]):
        f = opt(f)
    return f


@click.command()
@click.argument("urls", nargs=-1, required=True, metavar="URL [URL ...]")
@click.option("-X", "--request", "method", metavar="METHOD", help="Request method (default GET, POST with -d).")
@click.option("-d", "--data", metavar="DATA", help="Request body: text, @FILE, or - for stdin.")
@click.option("--trailer", "trailers", multiple=True, callback=_pairs, metavar="NAME:VALUE",
              help="Send a request trailer after the body (repeatable).")
@click.option("--repeat", type=click.IntRange(min=1), default=1, show_default=True, metavar="N",
              help="Request each URL N times, multiplexed on the one connection.")
@click.option("--max-concurrent", type=click.IntRange(min=1), default=100, show_default=True, metavar="N",
              help="At most N streams open at once (and never more than the server allows).")
@click.option("--upgrade", is_flag=True, help="http:// only: HTTP/1.1 Upgrade: h2c instead of prior knowledge.")
@click.option("--no-push", is_flag=True, help="Refuse server push (SETTINGS_ENABLE_PUSH=0).")
@click.option("--ping", is_flag=True, help="Send a PING and show the round-trip time.")
@click.option("--body", is_flag=True, help="Show DATA content (text, or a hex dump), not only its size.")
@click.option("--stats", is_flag=True, help="Per stream: time to headers, to first byte, duration, bytes.")
@click.option("--fail", is_flag=True, help="Exit 4 when a response has status >= 400.")
@h2_connection_options
@har_option
@network_options
@global_options
def get(urls: tuple[str, ...], method: str | None, data: str | None, trailers: list[tuple[str, str]], repeat: int,
        max_concurrent: int, upgrade: bool, no_push: bool, ping: bool, hexdump: bool, body: bool, hpack: bool,
        stats: bool, window_bits: int | None, max_frame_size: int | None, fail: bool, net: NetOptions) -> int:
    """Request URLs over one HTTP/2 connection and show every frame, both directions.

    Several URLs of one origin go on one connection, each on its own stream, concurrently.
    https:// agrees on h2 with ALPN; http:// uses h2c with prior knowledge (or --upgrade).
    Streams whose content-type is application/grpc also show their gRPC messages and status
    (see wiretool h2 grpc).

    \b
    Examples:
      wiretool h2 get https://localhost:8443/ --cacert ca.pem
      wiretool h2 get http://127.0.0.1:8080/a http://127.0.0.1:8080/b --stats
      wiretool h2 get http://127.0.0.1:8080/echo -d @file.json --trailer x-sum:42

    Exit status: 0 every stream ended with a response; 3 no connection or no h2 agreement; 4 status >= 400
    with --fail; 5 protocol violation, or RST_STREAM/GOAWAY with an error code; 6 timeout; 8 cut short.
    """
    from wiretool.output.sink import Output
    from wiretool.run import Limits, run, run_sync
    from wiretool.run.h2 import H2Goals
    from wiretool.transport.h2 import H2Client, h2_exit

    out = Output(make_env(), proto="h2")
    try:  # -d - reads stdin here: Ctrl-C ends with the error record and summary
        cfg = build_config(urls, method=method, data=data, trailers=trailers, repeat=repeat,
                           max_concurrent=max_concurrent, upgrade=upgrade, push=not no_push, ping=ping,
                           hexdump=hexdump, body=body, hpack=hpack, stats=stats, window_bits=window_bits,
                           max_frame_size=max_frame_size, net=net)
    except KeyboardInterrupt:
        return interrupted_reading("h2")
    capture = None
    if net.recording:
        import base64

        from wiretool.capture.file import CaptureWriter

        first = cfg.requests[0]
        capture = CaptureWriter(net.record, proto="h2", url=urls[0], request_headers=net.headers,
                                show_secrets=net.show_secrets, pcapng=net.record_pcapng, har=net.har,
                                extra={"method": first.method, "urls": [s.url for s in cfg.requests[:len(urls)]],
                                       "repeat": repeat,
                                       "body_b64": base64.b64encode(first.body).decode() if first.body else None})
    client = H2Client(cfg, capture=capture is not None, decide=lambda outcome: h2_exit(outcome, fail=fail))
    return run_sync(run(client, out, limits=Limits(timeout=net.timeout),
                        goals=H2Goals(cfg.authority, upgrade=upgrade), capture=capture))


def interrupted_reading(proto: str) -> int:
    """Ctrl-C while the request was still being read (stdin): the error and the summary a run ends with, 130.

    Without this click answers with a bare "Aborted." and no NDJSON error or summary (issue 12 #24).
    """
    from wiretool.exitcodes import ExitCode
    from wiretool.output.sink import Output
    from wiretool.transport.h2_outcome import Outcome

    out = Output(make_env(), proto=proto)
    out.error("interrupted while reading the request from stdin", ExitCode.INTERRUPTED)
    out.summary(ExitCode.INTERRUPTED, **Outcome().counts())
    return ExitCode.INTERRUPTED


def must_be_utf8(what: str, text: str, *, hint: str = "", show: bool = True) -> None:
    """A usage error (exit 2) if ``text`` holds bytes that were not UTF-8 in argv (Python's surrogate escapes).

    HTTP/2 sends header fields as given; a byte like 0xFF in a URL or a header would otherwise surface as
    an internal UnicodeEncodeError from h2 (issue 12 #24), and ws and sse already refuse it with exit 2.
    ``show``: quote the text in the message (not a header value: it may be a secret).
    """
    from wiretool.errors import UsageError

    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raw = text.encode("utf-8", "surrogateescape")
        shown = raw.decode("utf-8", "backslashreplace")
        bad = text[exc.start].encode("utf-8", "surrogateescape")
        quoted = f" '{shown}'" if show else ""
        raise UsageError(f"{what}{quoted} holds a byte that is not UTF-8 (0x{bad.hex()}){hint}") from None


def build_config(urls: tuple[str, ...], *, method: str | None, data: str | None, trailers: list[tuple[str, str]],
                 repeat: int, max_concurrent: int, upgrade: bool, push: bool, ping: bool, hexdump: bool,
                 body: bool, hpack: bool, stats: bool, window_bits: int | None, max_frame_size: int | None,
                 net: NetOptions) -> ClientConfig:
    """Check the URLs share one origin and turn the options into a :class:`ClientConfig`."""
    from urllib.parse import urlsplit

    from wiretool.errors import UsageError
    from wiretool.transport.h2 import ClientConfig, RequestSpec
    from wiretool.transport.h2_outcome import header_problem
    from wiretool.transport.tls import client_context

    for url in urls:
        must_be_utf8("the URL", url, hint=": percent-encode it (%XX)", show=False)
    for name, value in [*net.headers, *trailers]:
        must_be_utf8("the header name", name)
        must_be_utf8(f"the value of header {name!r}", value, show=False)
    must_be_utf8("the method", method or "")
    origins = set()
    paths = []
    for url in urls:
        try:
            parts = urlsplit(url)
        except ValueError as exc:  # "Invalid IPv6 URL" for an unclosed bracket
            raise UsageError(f"bad URL {url!r}: {exc}") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise UsageError(f"not an http:// or https:// URL: {url}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise UsageError(f"bad port in {url}") from None
        origins.add((parts.scheme, parts.hostname, port))
        paths.append((parts.path or "/") + (f"?{parts.query}" if parts.query else ""))
    if len(origins) > 1:
        raise UsageError("all URLs must share one origin (scheme, host, port): they go on one connection")
    scheme, host, port = origins.pop()
    if upgrade and scheme == "https":
        raise UsageError("--upgrade is for http:// (h2c); https:// agrees on h2 with ALPN")
    for name, value in [*net.headers, *trailers]:
        problem = header_problem(name, value)
        if problem is not None:
            raise UsageError(problem)
    from wiretool.cli.input_bytes import read_data_option

    payload = read_data_option(data)
    if upgrade and (payload is not None or trailers):
        raise UsageError("--upgrade sends the first request as an HTTP/1.1 GET: -d and --trailer need prior knowledge")
    default_port = 443 if scheme == "https" else 80
    authority = (f"[{host}]" if ":" in host else host) + ("" if port == default_port else f":{port}")
    verb = (method or ("POST" if payload is not None else "GET")).upper()
    from wiretool.secrets import redact_url

    # the URL as records, the view and captures show it: a userinfo password never in clear (issue 12 #1)
    specs = [RequestSpec(url=redact_url(url, net.show_secrets), path=path, method=verb, headers=list(net.headers), body=payload,
                         trailers=list(trailers))
             for _ in range(repeat) for url, path in zip(urls, paths, strict=True)]
    ctx = None
    if scheme == "https":
        ctx = client_context(insecure=net.insecure, cacert=net.cacert, cert=net.cert, key=net.key, alpn=["h2", "http/1.1"])
    return ClientConfig(scheme=scheme, host=host, port=port, authority=authority, requests=specs,
                        max_concurrent=max_concurrent, push=push, ping=ping, upgrade=upgrade,
                        window_bits=window_bits, max_frame_size=max_frame_size, ssl_context=ctx,
                        connect_timeout=net.connect_timeout, idle_timeout=net.idle_timeout,
                        hexdump=hexdump, body=body, hpack=hpack, stats=stats, show_secrets=net.show_secrets)

