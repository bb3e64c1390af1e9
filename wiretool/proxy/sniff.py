"""What one proxied connection speaks, found from its bytes, and its records: pure, bounded, never raises.

A :class:`Sniffer` watches both legs of one connection (``c2s``, ``s2c``) in the order the bytes crossed.
It decides what the connection speaks from the first bytes (or from the ALPN the TLS handshake chose) and
hands every byte to the codec wiretool already has for it, so a proxied connection shows exactly what the
clients and servers show:

- HTTP/1.1 (:class:`~wiretool.codec.http1.MessageStream` per leg, keep-alive, chunked, content-length):
  a record per request and response head; a ``text/event-stream`` response's body goes to the SSE codec
  as it arrives; a 101 to ``Upgrade: websocket`` switches both legs to the frame codec (masks checked per
  sender, permessage-deflate inflated as the response negotiated it); a 101 to ``Upgrade: h2c`` to HTTP/2.
- HTTP/2 (prior knowledge, h2c, ALPN ``h2``): one :class:`~wiretool.codec.h2frame.H2FrameView` with the
  client's leg as the client (HPACK per direction), gRPC messages and status beside the frames.
- anything else: byte counts, and the bytes themselves for ``--show bytes``.

Bounded: the codecs are; a head is held up to :data:`MAX_HEAD` bytes, and what a client sends before its
upgrade is answered up to ``max_size``. Past a bound the leg is named as broken and only counted.
The capture decoder runs the same class over a capture's chunks, so a capture decodes as it was shown.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import msgspec

from wiretool.codec.h2frame import PREFACE as H2_PREFACE
from wiretool.codec.http1 import Head, MessageStream
from wiretool.records import Record, Violation
from wiretool.records.proxy import (
    HEX_LIMIT,
    HttpBody,
    HttpRequest,
    HttpResponse,
    ProxyProblem,
    TcpBytes,
)
from wiretool.secrets import redact

C2S, S2C = "c2s", "s2c"
MAX_HEAD = 64 * 1024
"""Longest HTTP/1.1 head held while waiting for its blank line."""
DEFAULT_MAX_SIZE = 16 * 1024 * 1024
_TLS_RECORD = (b"\x14\x03", b"\x15\x03", b"\x16\x03", b"\x17\x03")
_METHOD_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ-_")


@dataclasses.dataclass(frozen=True)
class SniffOptions:
    """How much of each connection to decode (the proxy's ``--show``, ``--max-size``, ``--show-secrets``)."""

    show_bytes: bool = False
    """Keep the bytes of unknown protocols in :class:`TcpBytes` records (``--show bytes``)."""
    max_size: int = DEFAULT_MAX_SIZE
    """Largest message (WS inflated, SSE event, gRPC message, header block) decoded; bigger ones are named."""
    show_secrets: bool = False


def _v(code: str, rfc: str, message: str) -> Violation:
    return Violation(code, rfc, message)


def _version(start_line: str, request: bool) -> str:
    parts = start_line.split(" ")
    word = parts[-1] if request else parts[0]
    return word[5:] if word.startswith("HTTP/") else ""


def looks_like_http1(data: bytes) -> bool | None:
    """A request line's start (a method token, then a space)? None while too short to say."""
    for i, b in enumerate(data[:24]):
        if b == 0x20:
            return i > 0
        if b not in _METHOD_CHARS:
            return False
    return None if len(data) < 24 else False


class Sniffer:
    """Both legs of one proxied connection → records, in wire order. See the module docstring.

    ``feed(dir, data, t)`` with each chunk as it crossed; ``finish(dir, t)`` when a leg ended. The counters
    (:attr:`protocol`, :attr:`messages`, :attr:`violations`, :attr:`close_code`, :attr:`status`,
    :attr:`problem`, :attr:`host`) are the connection's summary.
    """

    def __init__(self, *, alpn: str | None = None, options: SniffOptions = SniffOptions()) -> None:
        self.options = options
        self.protocol = "tcp"
        self.messages = 0
        self.violations = 0
        self.close_code: int | None = None
        self.status: int | str | None = None
        self.problem: str | None = None
        """The first thing wrong on this connection, in one line (shown in its summary)."""
        self.host: str | None = None
        self.mode = "h2" if alpn == "h2" else "detect"
        self._feeders: dict[str, Callable[[bytes, float], list[Record]]] = {}
        self._finishers: dict[str, Callable[[float], list[Record]]] = {}
        self._first_s2c = True
        self._early_s2c: list[tuple[bytes, float]] = []
        self._early_len = 0
        self._s2c_opaque = False
        """The upstream answered in TLS: its bytes are only counted (what they would decode to is noise)."""
        self._detect_buf = b""
        self._h1: dict[str, MessageStream] = {}
        self._body_len: dict[str, int] = {C2S: 0, S2C: 0}
        self._sse: Any = None
        self._upgrade_req: Head | None = None
        self._request_lei: str | None = None
        self._ws: dict[str, Any] = {}
        self._h2: Any = None
        if self.mode == "h2":
            self._start_h2(expect_preface=True)

    # -- public ----------------------------------------------------------------------------------
    def feed(self, dir: str, data: bytes, t: float) -> list[Record]:
        """The records that ``data`` (the next bytes of leg ``dir``) completes."""
        if not data:
            return []
        out: list[Record] = []
        if dir == S2C and self._first_s2c:
            self._first_s2c = False
            if data[:2] in _TLS_RECORD and self.mode != "tcp":
                self._fail(out, S2C, t, "the upstream answered with TLS records: it speaks TLS "
                           "(use an https:// upstream)", "tls-from-upstream")
                self._s2c_opaque = True
        if self.mode == "detect":
            if dir == S2C:  # an h2 server may send its SETTINGS before the client's preface arrives: hold it
                self._early_s2c.append((data, t))
                self._early_len += len(data)
                if self._early_len <= MAX_HEAD:
                    return out
                self._become_tcp()  # the server keeps talking first: no HTTP
                out += self._replay_early()
                return out
            else:
                self._detect_buf += data
                data = self._detect_buf
                kind = self._detect(data)
                if kind is None:
                    return out
                self._detect_buf = b""
                if kind == "tcp":
                    why = ("the client speaks TLS to a plain listener (use --tls)" if data[:2] in _TLS_RECORD
                           else f"the client sent bytes that are neither HTTP/1.1 nor HTTP/2 "
                                f"(first bytes {data[:8].hex(' ')})")
                    self._fail(out, C2S, t, why, "not-http")
                out += self.feed_leg(dir, data, t)
                if self._early_s2c:
                    out += self._replay_early()
                self._count(out)
                return out
        out += self.feed_leg(dir, data, t)
        self._count(out)
        return out

    def _replay_early(self) -> list[Record]:
        """The server bytes held while the client had not yet said what it speaks, now decoded."""
        early, self._early_s2c, self._early_len = self._early_s2c, [], 0
        out: list[Record] = []
        for data, t in early:
            out += self.feed_leg(S2C, data, t)
        return out

    def finish(self, dir: str, t: float) -> list[Record]:
        """Leg ``dir`` ended: what its codec still holds (a frame cut short) as records."""
        out: list[Record] = []
        if self.mode == "detect" and dir == C2S and self._detect_buf:
            self._fail(out, C2S, t, f"the client sent {len(self._detect_buf)} bytes and closed", "not-http")
        if self.mode == "detect" and dir == S2C and self._early_s2c:
            self._become_tcp()
            out += self._replay_early()
        finisher = self._finishers.pop(dir, None)
        if finisher is not None:
            out += finisher(t)
        self._count(out)
        return out

    # -- detection -------------------------------------------------------------------------------
    def _detect(self, data: bytes) -> str | None:
        n = min(len(data), len(H2_PREFACE))
        if data[:n] == H2_PREFACE[:n]:
            if n < len(H2_PREFACE):
                return None
            self._start_h2(expect_preface=True)
            return "h2"
        h1 = looks_like_http1(data)
        if h1 is None:
            return None
        if h1:
            self._start_h1()
            return "h1"
        self._become_tcp()
        return "tcp"

    def _become_tcp(self) -> None:
        self.mode = "tcp"
        self.protocol = "tcp"
        self._feeders.clear()
        self._finishers.clear()

    def _fail(self, out: list[Record], dir: str, t: float, message: str, code: str) -> None:
        if self.problem is None:
            self.problem = message
        out.append(ProxyProblem(t=t, dir=dir, message=message))

    def _tcp(self, dir: str, data: bytes, t: float) -> list[Record]:
        if not self.options.show_bytes:
            return []
        return [TcpBytes(t=t, dir=dir, length=len(data), data=bytes(data[:HEX_LIMIT]))]

    def _count(self, records: list[Record]) -> None:
        for rec in records:
            if rec.type == "message" and rec.proto == "ws":
                continue  # a message repeats the violations of its frames
            violations = getattr(rec, "violations", None)
            if violations:
                self.violations += len(violations)

    # -- HTTP/1.1 --------------------------------------------------------------------------------
    def _start_h1(self) -> None:
        self.mode = "h1"
        self.protocol = "http"
        self._h1 = {C2S: MessageStream(requests=True, stop_at_upgrade=True),
                    S2C: MessageStream(stop_at_upgrade=True)}
        self._feeders = {C2S: lambda d, t: self._h1_feed(C2S, d, t), S2C: lambda d, t: self._h1_feed(S2C, d, t)}
        self._finishers = {C2S: lambda t: self._h1_end(C2S, t), S2C: lambda t: self._h1_end(S2C, t)}

    def _h1_feed(self, dir: str, data: bytes, t: float) -> list[Record]:
        stream = self._h1[dir]
        out: list[Record] = []
        self._h1_events(dir, stream.feed(data), t, out)
        if self.mode != "h1":
            return out
        if stream.upgrade is not None and dir == C2S and stream.pending > self.options.max_size:
            self._fail(out, C2S, t, f"the client sent more than {self.options.max_size} bytes before the "
                       "server answered its upgrade", "upgrade-flood")
            self._leg_to_tcp(C2S)
        elif stream.upgrade is None and stream.in_head and stream.pending > MAX_HEAD:
            side = "request" if dir == C2S else "response"
            self._fail(out, dir, t, f"a {side} head longer than {MAX_HEAD} bytes (no blank line)", "head-too-long")
            self._leg_to_tcp(dir)
        return out

    def _leg_to_tcp(self, dir: str) -> None:
        """Stop decoding one leg (it broke a bound): its bytes are only counted from now on."""
        self._feeders[dir] = lambda d, t: self._tcp(dir, d, t)
        self._finishers.pop(dir, None)

    def _h1_events(self, dir: str, events: list[tuple[str, object]], t: float, out: list[Record]) -> None:
        for kind, value in events:
            if kind == "head":
                self._h1_head(dir, value, t, out)  # type: ignore[arg-type]
            elif kind == "body":
                body: bytes = value  # type: ignore[assignment]
                self._body_len[dir] += len(body)
                if self._sse is not None and dir == S2C:
                    events = [msgspec.structs.replace(e, dir=S2C) for e in self._sse.feed(body, t)]
                    self.messages += sum(1 for e in events if e.type == "event")
                    out += events
                    if self._sse.exceeded is not None:
                        self._fail(out, S2C, t, f"SSE {self._sse.exceeded[0]} longer than "
                                   f"{self._sse.exceeded[1]} bytes", "sse-limit")
                        self._sse = None
            elif kind == "end":
                if self._body_len[dir]:
                    out.append(HttpBody(t=t, dir=dir, length=self._body_len[dir]))
                self._body_len[dir] = 0
                if dir == S2C:
                    if self._sse is not None:
                        out += self._sse.finish(t)
                        self._sse = None
                    self._after_response(t, out)

    def _headers(self, head: Head) -> list[list[str]]:
        return [[n, redact(n, v, self.options.show_secrets)] for n, v in head.headers]

    def _h1_head(self, dir: str, head: Head, t: float, out: list[Record]) -> None:
        if dir == C2S:
            host = head.get("host")
            if host and self.host is None:
                self.host = host
            self._request_lei = head.get("last-event-id")
            bodiless = self._h1[S2C].bodiless
            if len(bodiless) < 1024:  # pipelined requests not yet answered (a bound, not a queue to grow)
                bodiless.append(head.method == "HEAD")
            upgrade = (head.get("upgrade") or "").lower()
            if self._h1[C2S].stop_at_upgrade and upgrade and "upgrade" in (head.get("connection") or "").lower():
                self._upgrade_req = head
            if upgrade == "websocket" and self._upgrade_req is head:
                from wiretool.records.ws_session import WsHandshake

                out.append(WsHandshake(t=t, dir=C2S, request_line=head.start_line, headers=self._headers(head)))
                return
            if upgrade == "h2c" and self._upgrade_req is head:
                from wiretool.records.h2 import H2Upgrade

                out.append(H2Upgrade(t=t, dir=C2S, start_line=head.start_line,
                                     headers=[tuple(h) for h in self._headers(head)]))  # type: ignore[misc]
                return
            out.append(HttpRequest(t=t, dir=C2S, method=head.method, target=head.target,
                                   version=_version(head.start_line, True), headers=self._headers(head)))
            return
        status = head.status
        self.status = status
        upgrade_req = self._upgrade_req
        want = (upgrade_req.get("upgrade") or "").lower() if upgrade_req is not None else ""
        if want == "websocket" and (status == 101 or (status or 0) >= 200):
            self._ws_response(head, t, out)
            return
        if want == "h2c" and status is not None and (status == 101 or status >= 200):
            from wiretool.records.h2 import H2Upgrade

            out.append(H2Upgrade(t=t, dir=S2C, start_line=head.start_line, status=status,
                                 headers=[tuple(h) for h in self._headers(head)]))  # type: ignore[misc]
            return
        ctype = (head.get("content-type") or "").split(";", 1)[0].strip().lower()
        if ctype == "text/event-stream" and status == 200:
            from wiretool.codec.sse import SseCodec
            from wiretool.records.sse import SseConnect

            self.protocol = "sse"
            self._sse = SseCodec(max_event=self.options.max_size)
            out.append(SseConnect(t=t, dir=S2C, status=status, reason=_reason(head),
                                  http_version=_version(head.start_line, False), content_type=ctype,
                                  last_event_id=self._request_lei,
                                  headers=tuple((n, v) for n, v in self._headers(head))))
            return
        out.append(HttpResponse(t=t, dir=S2C, status=status, reason=_reason(head),
                                version=_version(head.start_line, False), headers=self._headers(head)))

    def _ws_response(self, head: Head, t: float, out: list[Record]) -> None:
        from wiretool.capture.decode_ws import expected_accept
        from wiretool.records.ws_session import WsHandshake

        req = self._upgrade_req
        expected = expected_accept(req.get("sec-websocket-key")) if req is not None else None
        received = head.get("sec-websocket-accept")
        ok = (expected == received) if expected and head.status == 101 else None
        out.append(WsHandshake(t=t, dir=S2C, status=head.status, reason=_reason(head), headers=self._headers(head),
                               accept_expected=expected, accept_received=received, accept_ok=ok,
                               subprotocol=head.get("sec-websocket-protocol"),
                               extensions=[v for n, v in head.headers if n.lower() == "sec-websocket-extensions"]))

    def _after_response(self, t: float, out: list[Record]) -> None:
        """A response ended: count the exchange; a 101 switches both legs, a refusal resumes HTTP/1.1."""
        s2c, c2s = self._h1[S2C], self._h1[C2S]
        if s2c.upgrade is None:
            self.messages += self.protocol == "http"
            if c2s.upgrade is not None and self._upgrade_req is not None and (self.status or 0) >= 200:
                self._upgrade_req = None
                self._h1_events(C2S, c2s.resume(), t, out)
            return
        want = (self._upgrade_req.get("upgrade") or "").lower() if self._upgrade_req is not None else ""
        rest_s2c = s2c.take_rest()
        rest_c2s = c2s.take_rest()
        if want == "websocket":
            self._start_ws(s2c.upgrade)
        elif want == "h2c":
            self._start_h2(expect_preface=True)
        else:
            self._fail(out, S2C, t, f"switched to a protocol wiretool does not decode: {want or '(none)'}",
                       "unknown-upgrade")
            self._become_tcp()
        if rest_c2s:
            out += self.feed_leg(C2S, rest_c2s, t)
        if rest_s2c:
            out += self.feed_leg(S2C, rest_s2c, t)

    def feed_leg(self, dir: str, data: bytes, t: float) -> list[Record]:
        """One leg's bytes to its codec as the connection now stands (after detection or a switch)."""
        if dir == S2C and self._s2c_opaque:
            return self._tcp(dir, data, t)
        feeder = self._feeders.get(dir)
        if feeder is not None:
            return feeder(data, t)
        return self._tcp(dir, data, t)

    def _h1_end(self, dir: str, t: float) -> list[Record]:
        out: list[Record] = []
        stream = self._h1[dir]
        self._h1_events(dir, stream.close(), t, out)
        if not stream.in_head or (stream.pending and stream.upgrade is None):
            side = "request" if dir == C2S else "response"
            who = "client" if dir == C2S else "upstream"
            self._fail(out, dir, t, f"the {who} closed in the middle of a {side}", "truncated-message")
        if self._sse is not None and dir == S2C:
            out += self._sse.finish(t)
            self._sse = None
        return out

    # -- WebSocket -------------------------------------------------------------------------------
    def _start_ws(self, response: Head | None) -> None:
        from wiretool.capture.decode_ws import deflate_params
        from wiretool.codec.wsframe import WsFrameParser

        deflate, server_nct, client_nct = deflate_params(response)
        self.mode = self.protocol = "ws"
        self._ws = {
            C2S: WsFrameParser(sender="client", dir=C2S, rsv1_allowed=deflate, deflate=deflate,
                               no_context_takeover=client_nct, messages=True, max_inflated=self.options.max_size),
            S2C: WsFrameParser(sender="server", dir=S2C, rsv1_allowed=deflate, deflate=deflate,
                               no_context_takeover=server_nct, messages=True, max_inflated=self.options.max_size),
        }
        self._feeders = {C2S: lambda d, t: self._ws_feed(C2S, d, t), S2C: lambda d, t: self._ws_feed(S2C, d, t)}
        self._finishers = {C2S: lambda t: self._ws_end(C2S, t), S2C: lambda t: self._ws_end(S2C, t)}

    def _ws_feed(self, dir: str, data: bytes, t: float) -> list[Record]:
        parser = self._ws[dir]
        records = parser.feed(data, t)
        self._ws_seen(records)
        # The frame codec holds a frame until it is whole and a fragmented message until its last frame:
        # past --max-size this leg is only counted, so a peer cannot make the proxy hold what it declares.
        limit = self.options.max_size
        held = parser.frame_in_progress()
        if held is not None and held[1] > limit + 14:
            self._fail(records, dir, t, f"a WebSocket frame of {held[1]} bytes (header included) is larger than "
                       f"--max-size {limit}: this leg is only counted from here", "frame-too-big")
            self._leg_to_tcp(dir)
        elif len(getattr(parser, "_mparts", b"")) > limit:
            self._fail(records, dir, t, f"a fragmented WebSocket message grew past --max-size {limit}: "
                       "this leg is only counted from here", "message-too-big")
            self._leg_to_tcp(dir)
        return records

    def _ws_end(self, dir: str, t: float) -> list[Record]:
        records = self._ws[dir].finish(t)
        self._ws_seen(records)
        if records and any(r.type == "frame" and getattr(r, "missing", 0) for r in records):
            who = "client" if dir == C2S else "upstream"
            if self.problem is None:
                self.problem = f"the {who} closed in the middle of a WebSocket frame"
        return records

    def _ws_seen(self, records: list[Record]) -> None:
        for rec in records:
            if rec.type == "message":
                self.messages += 1
            elif rec.type == "frame" and self.close_code is None and rec.head[0] & 0x0F == 8:  # type: ignore[attr-defined]
                if not rec.missing:  # type: ignore[attr-defined]
                    self.close_code = rec.close_code or 1005  # type: ignore[attr-defined]

    # -- HTTP/2 ----------------------------------------------------------------------------------
    def _start_h2(self, *, expect_preface: bool) -> None:
        from wiretool.codec.h2frame import H2FrameView
        from wiretool.codec.h2ws import H2Streams

        self.mode = "h2"
        self.protocol = "h2"
        self._h2 = H2FrameView(preface={C2S: "expect" if expect_preface else "none", S2C: "none"},
                               roles={C2S: "client", S2C: "server"}, show_secrets=self.options.show_secrets,
                               max_header_block=min(self.options.max_size, 1 << 20),
                               grpc=H2Streams(roles={C2S: "client", S2C: "server"}, max_message=self.options.max_size))
        c2s, s2c = self._h2.codec(C2S), self._h2.codec(S2C)
        self._feeders = {C2S: lambda data, t: self._h2_seen(c2s.feed(data, t)),
                         S2C: lambda data, t: self._h2_seen(s2c.feed(data, t))}
        self._finishers = {C2S: lambda t: self._h2_seen(c2s.finish(t)), S2C: lambda t: self._h2_seen(s2c.finish(t))}

    def _h2_seen(self, records: list[Record]) -> list[Record]:
        for rec in records:
            kind = rec.proto
            if kind == "ws":  # a WebSocket over one HTTP/2 stream (RFC 8441): the connection carries WebSockets
                self.protocol = "ws"
                self._ws_seen([rec])
            elif kind == "grpc":
                self.protocol = "grpc"
                if rec.type == "message":
                    self.messages += 1
                elif rec.type == "status":
                    self.status = rec.name  # type: ignore[attr-defined]
            elif rec.type == "frame" and rec.headers:  # type: ignore[attr-defined]
                for name, value in rec.headers:  # type: ignore[attr-defined]
                    if name == ":authority" and self.host is None:
                        self.host = value
                    elif name == ":status" and self.protocol != "grpc":
                        self.status = int(value) if value.isdigit() and len(value) == 3 else value
                        if rec.dir == S2C and self.protocol in ("h2", "ws"):  # type: ignore[attr-defined]
                            self.messages += 1
        return records


def _reason(head: Head) -> str:
    parts = head.start_line.split(" ", 2)
    return parts[2] if len(parts) > 2 else ""
