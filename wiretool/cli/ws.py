"""``wiretool ws connect``: options → :class:`~wiretool.transport.ws_session.ConnectPlan` → run → exit code.

Heavy modules (asyncio transports, websockets' protocol, rich) are imported inside the command body.
"""

from __future__ import annotations

from typing import Any

import click

from wiretool.cli.net_options import NetOptions, har_option, network_options
from wiretool.cli.options import global_options, make_env
from wiretool.cli.views import view_option


def _hex(ctx: click.Context, param: click.Parameter, values: tuple[str, ...]) -> list[bytes]:
    from wiretool.errors import UsageError
    from wiretool.transport.ws_input import parse_hex

    try:
        return [parse_hex(v) for v in values]
    except UsageError as exc:
        raise click.BadParameter(exc.message, param=param) from None


def _size(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    import re

    if value is None or value.lower() in ("none", "0", "unlimited"):
        return None
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?", value.strip().lower())
    if not m:
        raise click.BadParameter(f"expected a size like 1048576, 64k or 16MiB, got {value!r}", param=param)
    return int(float(m.group(1)) * {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}[m.group(2)])


def _payload_size(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """``--max-payload``: a size as for --max-size, where 0 is 0 (no payload shown), not unlimited."""
    if value is None or value.strip() in ("0", "0b", "0B"):
        return None if value is None else 0
    return _size(ctx, param, value)


def _read_file(path: str) -> bytes:
    """A --send-file's content; unreadable (permissions, a special file) is a usage error, not a traceback."""
    from wiretool.errors import UsageError

    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise UsageError(f"cannot read --send-file {path}: {exc.strerror or exc}") from None


_SEND_OPTIONS = ("send_text", "send_hex", "send_file", "raw")
_ORDER_KEY = "wiretool.ws.send_order"


class _SendOrderCommand(click.Command):
    """Remembers the command-line order of --send/--send-hex/--send-file/--raw, which click groups by option."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            _, _, order = self.make_parser(ctx).parse_args(args=list(args))
            ctx.meta[_ORDER_KEY] = [p.name for p in order if p.name in _SEND_OPTIONS]
        except click.ClickException:
            pass  # the real parse below reports it
        return super().parse_args(ctx, args)


def _in_order(values: dict[str, list[tuple[str, bytes]]]) -> list[tuple[str, bytes]]:
    """Interleave the per-option lists of things to send back into command-line order."""
    order = click.get_current_context().meta.get(_ORDER_KEY) or list(_SEND_OPTIONS)
    queues = {name: list(items) for name, items in values.items()}
    out: list[tuple[str, bytes]] = []
    for name in order:
        if queues.get(name):
            out.append(queues[name].pop(0))
    for name in _SEND_OPTIONS:  # anything the order did not account for, by kind
        out.extend(queues.get(name, []))
    return out


@click.command(cls=_SendOrderCommand)
@click.argument("url")
@click.option("--send", "send_text", multiple=True, metavar="TEXT",
              help="Send a text message (repeatable; --send* and --raw go out in command-line order).")
@click.option("--send-hex", multiple=True, metavar="HEX", callback=_hex, help="Send a binary message given in hex.")
@click.option("--send-file", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Send a file's content as a binary message.")
@click.option("--raw", multiple=True, metavar="HEX", callback=_hex,
              help="Write bytes as-is after the handshake (crafted, even invalid frames).")
@click.option("--count", type=click.IntRange(min=1), metavar="N", help="Exit 0 after N received data messages.")
@click.option("--expect", multiple=True, metavar="REGEX|$.FIELD=VALUE",
              help="Matched in order against received messages (repeatable); exit 7 if unmatched. A regex on the "
                   "text, or a field of the decoded view: '$.event=chat', '$.args[0]~^hi', '$.id'.")
@click.option("--expect-close", type=int, metavar="CODE", help="Wait for the peer's close; exit 7 unless its code is CODE.")
@click.option("--wait", type=click.FloatRange(min=0), metavar="S", help="After sending, stay S seconds, then close.")
@click.option("--origin", help="Origin header.")
@click.option("-s", "--subprotocol", multiple=True, help="Offer a subprotocol (repeatable, in preference order).")
@click.option("--compression", type=click.Choice(["deflate", "none"]), default="none", show_default=True,
              help="Offer permessage-deflate (RSV1 frames shown compressed and inflated).")
@click.option("--max-size", default="16MiB", show_default=True, callback=_size, metavar="SIZE",
              help="Largest message accepted (bigger: close 1009, exit 5); 'none' for no limit.")
@click.option("--max-payload", callback=_payload_size, metavar="SIZE",
              help="Show at most SIZE bytes of each payload (payload_truncated set when cut). Default: the "
                   "terminal view shows 2048 characters of text or 256 bytes as hex; --json shows all.")
@click.option("--ping-interval", type=click.FloatRange(min=0, min_open=True), metavar="S",
              help="Send a ping every S seconds and show the round-trip time.")
@click.option("--proxy", metavar="URL", help="HTTP CONNECT proxy (default: the proxy environment variables).")
@click.option("--show", type=click.Choice(["frames", "messages"]), default="frames", show_default=True,
              help="Show every frame, or reassembled messages only.")
@click.option("--binary-stdin", is_flag=True, help="Send all of stdin as one binary message instead of lines.")
@click.option("--no-stdin", is_flag=True, help="Do not read stdin.")
@click.option("--commands/--no-commands", default=None,
              help="Read /slash commands from stdin (default: only on a terminal).")
@view_option
@click.option("--socketio-emit", "socketio_emit", nargs=2, multiple=True, metavar="EVENT JSON",
              help="Socket.IO: after the Engine.IO open and the CONNECT, emit EVENT with these arguments (a JSON "
                   "array, or one value) and an ack id; Engine.IO pings are answered (repeatable).")
@click.option("--socketio-namespace", default="/", show_default=True, metavar="NS",
              help="The Socket.IO namespace --socketio-emit connects to and emits on.")
@click.option("--graphql-subscribe", "graphql_subscribe", multiple=True, metavar="QUERY",
              help="GraphQL over WebSocket: connection_init, then subscribe to QUERY (a document, or JSON with "
                   "query/variables) once acknowledged; the run ends when every operation has (repeatable).")
@click.option("--graphql-init", metavar="JSON", help="The connection_init payload for --graphql-subscribe.")
@global_options
@har_option
@network_options
def connect(url: str, send_text: tuple[str, ...], send_hex: list[bytes], send_file: tuple[str, ...],
            raw: list[bytes], count: int | None, expect: tuple[str, ...], expect_close: int | None,
            wait: float | None, origin: str | None, subprotocol: tuple[str, ...], compression: str,
            max_size: int | None, max_payload: int | None, ping_interval: float | None, proxy: str | None,
            show: str, binary_stdin: bool, no_stdin: bool, commands: bool | None, view_name: str | None,
            socketio_emit: tuple[tuple[str, str], ...], socketio_namespace: str, graphql_subscribe: tuple[str, ...],
            graphql_init: str | None, net: NetOptions) -> int:
    """Connect to a ws:// or wss:// URL and show the handshake and every frame, both directions.

    \b
    Examples:
      wiretool ws connect ws://127.0.0.1:8765 --send hello --count 1
      wiretool ws connect wss://example.org/chat -s chat --expect '"ok"' --timeout 5
      echo hi | wiretool ws connect ws://127.0.0.1:8765 --show messages --json --count 1
      wiretool ws connect 'ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket' \\
        --socketio-emit 'chat message' '"hi"' --expect '$.ack_of=chat message' --timeout 5
      wiretool ws connect ws://127.0.0.1:4000/graphql --graphql-subscribe 'subscription { greetings }' --timeout 5
    """
    import re

    from wiretool.codec.headers import has_cr_lf_nul, is_token
    from wiretool.errors import UsageError
    from wiretool.output.sink import Output
    from wiretool.run import run_sync
    from wiretool.transport.ws import ClientOptions
    from wiretool.transport.ws_session import ConnectPlan, run_connect

    if not url.lower().startswith(("ws://", "wss://")):
        from wiretool.secrets import redact_url

        raise UsageError(f"expected a ws:// or wss:// URL, got {redact_url(url, net.show_secrets)!r}")
    for name, value in net.headers:
        if has_cr_lf_nul(name + value):  # it would end the header line: request smuggling
            raise UsageError(f"-H {name!r}: header names and values cannot hold CR, LF or NUL")
        _check_header(name, value)
    if origin is not None:
        _check_header("Origin", origin, option="--origin")
    for proto in subprotocol:
        if not is_token(proto):  # RFC 6455 §4.1: each subprotocol is a token
            raise UsageError(f"--subprotocol {repr(proto.encode('utf-8', 'surrogateescape'))[1:]}: a subprotocol "
                             "is a token (letters, digits and !#$%&'*+-.^_`|~)")
    from wiretool.cli.views import resolve_view
    from wiretool.run import field_expect

    for pattern in expect:
        if field_expect.is_field_form(pattern):
            field_expect.parse(pattern)  # a usage error naming what is wrong
            continue
        try:
            re.compile(pattern)
        except re.error as exc:
            raise UsageError(f"--expect {pattern!r} is not a valid regex: {exc}") from None
    view, views_on = resolve_view(view_name)
    emits = []
    if socketio_emit:
        from wiretool.transport.socketio_script import parse_emit

        try:
            emits = [parse_emit(event, data, socketio_namespace) for event, data in socketio_emit]
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    sends = _in_order({"send_text": [("text", t.encode("utf-8", "surrogateescape")) for t in send_text],
                       "send_hex": [("binary", b) for b in send_hex],
                       "send_file": [("binary", _read_file(p)) for p in send_file],
                       "raw": [("raw", b) for b in raw]})
    graphql = _graphql_plan(graphql_subscribe, graphql_init)
    if graphql is not None and emits:
        raise UsageError("--graphql-subscribe and --socketio-emit cannot be used together: one protocol per connection")
    if graphql is not None and not subprotocol:
        from wiretool.transport.ws_graphql import SUBPROTOCOLS

        subprotocol = SUBPROTOCOLS
    env = make_env()
    plan = ConnectPlan(
        client=ClientOptions(url=url, headers=net.headers, origin=origin, subprotocols=list(subprotocol),
                             compression=compression, max_size=max_size, show=show, show_secrets=net.show_secrets),
        sends=sends, count=count, expects=list(expect), expect_close=expect_close, wait=wait,
        ping_interval=ping_interval, timeout=net.timeout, idle_timeout=net.idle_timeout,
        connect_timeout=net.connect_timeout, insecure=net.insecure, cacert=net.cacert, cert=net.cert, key=net.key,
        proxy=proxy, stdin="none" if no_stdin else ("binary" if binary_stdin else "lines"), commands=commands,
        stdin_stream=env.stdin, interactive=env.stdin_isatty, record=net.record, view=view, views=views_on,
        socketio=emits, graphql=graphql, record_pcapng=net.record_pcapng, har=net.har)
    out = Output(env, proto="ws")
    out.options["show"] = show
    if max_payload is not None:
        from functools import partial

        from wiretool.records.ws import cut_payload

        out.cut = partial(cut_payload, limit=max_payload)
        out.options["max_payload"] = max_payload
    return run_sync(run_connect(out, plan))


def _graphql_plan(queries: tuple[str, ...], init: str | None) -> Any:
    """``--graphql-subscribe``/``--graphql-init`` as a GraphqlPlan (None when not asked); a usage error (exit 2)
    for a bad value."""
    if not queries:
        if init is not None:
            from wiretool.errors import UsageError

            raise UsageError("--graphql-init needs --graphql-subscribe")
        return None
    from wiretool.errors import UsageError
    from wiretool.transport.ws_graphql import GraphqlPlan, parse_init, parse_operation

    try:
        return GraphqlPlan([parse_operation(q) for q in queries], parse_init(init))
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _check_header(name: str, value: str, option: str = "-H") -> None:
    """A ``-H`` header websockets can put on the wire, or a usage error (exit 2) saying why not.

    The name must be a token (RFC 9110 §5.6.2); the value is written as ISO-8859-1, so it may not hold
    bytes that were not UTF-8 in argv (they reach us as lone surrogates), characters past U+00FF, or
    control characters other than tab (RFC 9110 §5.5)."""
    from wiretool.codec.headers import is_token
    from wiretool.errors import UsageError

    shown = repr(name.encode("utf-8", "surrogateescape"))[1:]
    if not is_token(name):
        raise UsageError(f"{option} {shown}: a header name is a token (letters, digits and !#$%&'*+-.^_`|~)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise UsageError(f"{option} {shown}: the value holds bytes that are not UTF-8: "
                         f"{value.encode('utf-8', 'surrogateescape')!r}") from None
    bad = next((c for c in value if not (c == "\t" or " " <= c <= "~" or "\x80" <= c <= "\xff")), None)
    if bad is not None:
        raise UsageError(f"{option} {shown}: the value holds {bad!r}, which a header value cannot carry")
