"""What the proxy shows of its records: the filters (``--only``, ``--host``, ``--show``), NDJSON with ``conn``,
and the pretty view with one colour per connection.

Every record the relay emits is an :class:`~wiretool.records.proxy.OnConn`. :class:`ProxyView` decides
whether it is shown (:meth:`ProxyView.passes`, also what the goals count) and draws it: under ``--json`` the
inner record's NDJSON line (the protocol's fast writer where it has one) with ``conn`` added; else the
protocol's own renderer, each line prefixed with ``#N`` in the connection's colour. The proxy's own records
(a connection opening, its summary, a problem, HTTP/1.1 heads, opaque bytes) are drawn here.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wiretool.output.safe_line import SafeLine
from wiretool.output.sanitize import hexdump
from wiretool.records import Record
from wiretool.records.h2ws import OnStream
from wiretool.records.proxy import (
    HttpBody,
    HttpRequest,
    HttpResponse,
    OnConn,
    ProxyEnd,
    ProxyOpen,
    ProxyProblem,
    TcpBytes,
)

if TYPE_CHECKING:
    from wiretool.output.sink import Output

ONLY = ("ws", "sse", "h2", "grpc", "http", "tcp", "none")
"""``--only`` values: a connection's records of that protocol (``none``: nothing decoded, the quiet relay)."""
COLOURS = ("cyan", "magenta", "yellow", "green", "blue", "bright_red", "bright_cyan", "bright_magenta",
           "bright_yellow", "bright_green", "bright_blue", "red")
_ARROW = {"c2s": "→", "s2c": "←"}


class ProxyView:
    """Filter and draw the proxy's records; see the module docstring.

    ``show`` is the command's ``--show`` (``frames``, ``messages``, ``bytes``), or ``all`` (frames and
    messages: ``frame decode --capture``, which shows everything a capture decodes to).
    """

    def __init__(self, out: Output, *, only: tuple[str, ...] = (), host: str | None = None,
                 show: str = "frames") -> None:
        self.out = out
        self.only = frozenset(only)
        self.host = host
        self.show = show
        self._hosts: dict[int, str] = {}
        self._console: _PrefixConsole | None = None

    # -- filtering -------------------------------------------------------------------------------
    def passes(self, rec: Any) -> bool:
        """Is this record shown?"""
        return self.selected(rec) and (not isinstance(rec, OnConn) or self._shown(rec.record))

    def selected(self, rec: Any) -> bool:
        """Is this record of a connection and protocol asked for (``--host``, ``--only``)? What the goals count,
        whatever ``--show`` draws of it."""
        if not isinstance(rec, OnConn):
            return True
        inner = rec.record
        self._learn_host(rec.conn, inner)
        if self.host is not None:
            known = self._hosts.get(rec.conn)
            if known is None or not fnmatch.fnmatch(known.lower(), self.host.lower()):
                return False
        kind = type(inner)
        if kind is ProxyProblem:
            return True
        if kind in (ProxyOpen, ProxyEnd):
            if not self.only:
                return True
            return kind is ProxyEnd and (inner.protocol in self.only or bool(inner.error))  # type: ignore[attr-defined]
        return not self.only or inner.proto in self.only

    def _shown(self, inner: Record) -> bool:
        proto, typ = inner.proto, inner.type
        if proto == "proxy":
            return True
        if proto == "ws":
            if typ == "frame":
                return self.show != "messages" or bool(inner.violations)  # type: ignore[attr-defined]
            if typ == "message":
                return self.show in ("messages", "all") or bool(getattr(inner, "compressed", False))
            return True
        if proto == "h2" and typ == "frame" and self.show == "messages":
            return bool(inner.headers) or bool(inner.violations) or inner.frame_type in ("RST_STREAM", "GOAWAY")  # type: ignore[attr-defined]
        if proto == "http" and typ == "body":
            return self.show != "messages"
        return True

    def _learn_host(self, conn: int, inner: Record) -> None:
        if conn in self._hosts:
            return
        headers = getattr(inner, "headers", None)
        if not headers:
            return
        for pair in headers:
            name = str(pair[0]).lower()
            if name in ("host", ":authority"):
                self._hosts[conn] = str(pair[1])
                return

    # -- drawing ---------------------------------------------------------------------------------
    def __call__(self, rec: Any) -> None:
        """The run's ``show``: draw the record when it passes the filters."""
        if not self.passes(rec):
            return
        if not isinstance(rec, OnConn):
            self.out.emit(rec)
            return
        if self.out.env.json:
            self.out.write_line(self._conn_line(rec))
            return
        console = self._prefixed()
        inner = rec.record
        stream = ""
        if isinstance(inner, OnStream):  # a WebSocket inside an HTTP/2 stream (RFC 8441): drawn as one, with its stream
            stream, inner = f"s{inner.stream_id} ", inner.record
        console.prefix = (f"#{rec.conn} {stream}", COLOURS[(rec.conn - 1) % len(COLOURS)])
        own = _OWN.get(type(inner))
        if own is not None:
            console.print(own(inner).text)
        else:
            self.out._renderer(inner.proto or "common")(inner, self._proxy_out())
        console.prefix = None

    def emit_many(self, records: Any) -> None:
        """The records of one socket read: under ``--json`` their lines in one write and one flush (a flood
        of small frames is bound by that), else each one drawn."""
        if not self.out.env.json:
            for rec in records:
                self(rec)
            return
        lines = []
        for rec in records:
            if not self.passes(rec):
                continue
            if not isinstance(rec, OnConn):
                self.out.emit(rec)
                continue
            lines.append(self._conn_line(rec))
        if lines:
            self.out.write_line("".join(lines))

    def _conn_line(self, rec: OnConn) -> str:
        """The record's NDJSON line, as Output writes it, with the connection's ``conn`` added last."""
        inner = rec.record
        line = self.out.json_line(inner) or self.out.dumps(inner.to_json()) + "\n"  # (a note too)
        return f'{line[:-2]},"conn":{rec.conn}}}\n'

    def _prefixed(self) -> _PrefixConsole:
        if self._console is None:
            self._console = _PrefixConsole(self.out.console)
        return self._console

    def _proxy_out(self) -> Any:
        """An object that is ``out`` for a renderer, except that its console prefixes each line."""
        view = self

        class _Out:
            def __getattr__(self, name: str) -> Any:
                if name == "console":
                    return view._prefixed()
                return getattr(view.out, name)

        if not hasattr(self, "_out_proxy"):
            self._out_proxy = _Out()
        return self._out_proxy


class _PrefixConsole:
    """A rich console whose ``print`` puts the connection's ``#N`` before what it prints."""

    def __init__(self, console: Any) -> None:
        self.console = console
        self.prefix: tuple[str, str] | None = None

    def print(self, *objects: Any, **kwargs: Any) -> None:
        from rich.text import Text

        if self.prefix is not None:
            text, style = self.prefix
            if objects and isinstance(objects[0], Text):
                objects = (Text.assemble((text, style), objects[0]), *objects[1:])
            else:
                self.console.print(Text(text, style=style), end="")
        self.console.print(*objects, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)


def _stamp(rec: Record, dir: str | None = None) -> SafeLine:
    line = SafeLine(f"[{rec.t:8.3f}] ", "dim")
    if dir:
        line.add(f"{_ARROW.get(dir, '•')} ", "bold")
    return line


def _open(rec: ProxyOpen) -> SafeLine:
    line = _stamp(rec).add(f"{rec.client} ⇄ {rec.upstream}", "bold")
    if rec.tls:
        line.add(f" (client TLS{', ALPN ' + rec.alpn if rec.alpn else ''}{', SNI ' + rec.sni if rec.sni else ''})",
                 "dim")
    if rec.upstream_tls:
        line.add(" (upstream TLS)", "dim")
    return line


def _end(rec: ProxyEnd) -> SafeLine:
    line = _stamp(rec).add(f"end {rec.protocol}", "bold red" if rec.error else "bold")
    line.add(f"  ↑{rec.bytes_c2s} B ↓{rec.bytes_s2c} B  {rec.messages} messages")
    if rec.status is not None:
        line.add(f"  status {rec.status}")
    if rec.close_code is not None:
        line.add(f"  close {rec.close_code}")
    if rec.violations:
        line.add(f"  {rec.violations} violation(s)", "bold red")
    line.add(f"  {rec.duration_s:.3f}s", "dim")
    if rec.error:
        line.add(f"  {rec.error}", "red")
    return line


def _problem(rec: ProxyProblem) -> SafeLine:
    return _stamp(rec, rec.dir).add(rec.message, "bold red")


def _request(rec: HttpRequest) -> SafeLine:
    line = _stamp(rec, rec.dir).add(f"{rec.method} {rec.target} HTTP/{rec.version}", "bold")
    for name, value in rec.headers:
        line.under(f"{name}: {value}")
    return line


def _response(rec: HttpResponse) -> SafeLine:
    style = "bold green" if rec.status is not None and rec.status < 400 else "bold red"
    line = _stamp(rec, rec.dir).add(f"HTTP/{rec.version} {rec.status} {rec.reason}".rstrip(), style)
    for name, value in rec.headers:
        line.under(f"{name}: {value}")
    return line


def _body(rec: HttpBody) -> SafeLine:
    return _stamp(rec, rec.dir).add(f"body {rec.length} bytes", "dim")


def _bytes(rec: TcpBytes) -> SafeLine:
    line = _stamp(rec, rec.dir).add(f"{rec.length} bytes", "dim")
    line.block(hexdump(rec.data), "dim")
    return line


_OWN: dict[type, Callable[[Any], SafeLine]] = {
    ProxyOpen: _open, ProxyEnd: _end, ProxyProblem: _problem, HttpRequest: _request, HttpResponse: _response,
    HttpBody: _body, TcpBytes: _bytes,
}
