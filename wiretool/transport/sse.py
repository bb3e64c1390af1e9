"""The event source: httpx streaming over HTTP/1.1 or HTTP/2, every body byte fed to :mod:`wiretool.codec.sse`.

:class:`SseSession` behaves like a browser's ``EventSource``: it sends ``Accept: text/event-stream`` and
``Cache-Control: no-cache``, fails at once on a status other than 200 or a content type other than
``text/event-stream`` (exit 4), stops on 204, and when a stream ends it waits the server's ``retry`` (3 s by
default) and reconnects with ``Last-Event-ID``. Repeated failures back off exponentially, capped, with jitter.
It is a :class:`~wiretool.session.Session`: it hands records to the run's sink in arrival order and ends with
the :class:`~wiretool.session.Outcome` of its documented exit code, after the records that explain it.

httpx is used rather than a hand-rolled client so that HTTP/2 (ALPN and h2c prior knowledge), TLS, proxies
and redirects behave as users expect; the body is read with ``aiter_raw`` so the parser sees the bytes as sent.
"""

from __future__ import annotations

import asyncio
import random
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timezone

import httpx

from wiretool import __version__
from wiretool.codec.inflate import InflateError, Inflater
from wiretool.codec.sse import DEFAULT_MAX_EVENT, DEFAULT_MAX_LINE, SseCodec, SseParser
from wiretool.errors import ConnectError, TimeoutExpired, WiretoolError
from wiretool.exitcodes import ExitCode
from wiretool.records import Note
from wiretool.records.sse import SseChunk, SseConnect, SseEvent
from wiretool.secrets import redact, redact_url
from wiretool.session import Outcome, Sink, Tap
from wiretool.transport.tls import client_context, describe_ssl_error

EXCERPT_BYTES = 1024


@dataclass
class SseRequest:
    """What to ask for, and how to connect."""

    url: str
    method: str = "GET"
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | None = None
    last_event_id: str = ""
    http2: bool = False
    """h2c with prior knowledge for http:// URLs (https negotiates HTTP/2 by ALPN anyway)."""
    http1: bool = False
    """Never use HTTP/2, even when the server offers it."""
    insecure: bool = False
    cacert: str | None = None
    cert: str | None = None
    key: str | None = None
    connect_timeout: float | None = 10.0
    idle_timeout: float | None = None
    show_secrets: bool = False


@dataclass
class ReconnectPolicy:
    """When and how soon to reconnect (a browser's rules, with knobs so tests can run fast)."""

    reconnect: bool = True
    max_reconnects: int | None = None
    retry_5xx: bool = False
    default_delay: float = 3.0
    """Seconds to wait when the server never sent ``retry`` (the browser default is about 3 s)."""
    max_backoff: float = 30.0
    """Cap of the exponential backoff on repeated failures."""
    jitter: bool = True

    def delay(self, retry_ms: int | None, failures: int) -> float:
        """The wait before the next attempt: the server's ``retry``, doubled per repeated failure, capped.

        The server's ``retry`` itself is capped by ``max_backoff`` (a 12-digit one would be 31 years); the
        user's own ``--reconnect-delay`` is not. The doubling stops at 2**64: past that it would overflow a float.
        """
        base = self.server_delay(retry_ms) if retry_ms is not None else self.default_delay
        if failures < 2:
            return base
        backoff = min(self.max_backoff, base * 2 ** min(failures - 1, 64))
        if self.jitter:
            backoff *= random.uniform(0.5, 1.0)
        return max(base, backoff)

    def server_delay(self, retry_ms: int) -> float:
        """The server's ``retry`` in seconds, capped by ``max_backoff``."""
        return min(retry_ms / 1000, self.max_backoff)

    def capped(self, retry_ms: int | None) -> bool:
        """Does ``max_backoff`` cut the server's ``retry`` short (say so when reconnecting)?"""
        return retry_ms is not None and retry_ms / 1000 > self.max_backoff


class SseSession:
    """One event source as a :class:`~wiretool.session.Session`: connects, reconnects, parses, and hands every
    record to the run's sink (see the module docstring).

    ``types`` is the ``--event`` filter, known here only to count the ``shown`` events of the summary (the run's
    ``show`` does the filtering). ``capture`` taps the socket bytes (``--record``) through :class:`Tap`.
    """

    proto = "sse"
    summary_elapsed = False

    def __init__(self, request: SseRequest, policy: ReconnectPolicy | None = None, *, raw: bool = False,
                 timestamps: bool = False, max_line: int = DEFAULT_MAX_LINE, max_event: int = DEFAULT_MAX_EVENT,
                 types: frozenset[str] = frozenset(), capture: bool = False) -> None:
        self.request = request
        self.policy = policy or ReconnectPolicy()
        self.raw = raw
        self.timestamps = timestamps
        self.types = types
        self.capture = capture
        self.codec = SseCodec(last_event_id=request.last_event_id, max_line=max_line, max_event=max_event)
        self.attempts = 0
        self.events = 0
        self.comments = 0
        self.shown = 0
        self.bytes = 0
        self._encoding = "identity"
        self._task: asyncio.Task[object] | None = None
        self._first_recv: dict[int, bytes] = {}
        """The first bytes each connection received (``--http2``: tell an HTTP/1.x answer from a broken h2)."""
        self._got_head = False

    @property
    def parser(self) -> SseParser:
        return self.codec.parser

    @property
    def last_event_id(self) -> str:
        return self.codec.last_event_id

    # -- the Session contract ----------------------------------------------------------------------
    async def run(self, sink: Sink) -> Outcome:
        """Follow the stream until it ends as asked (exit 0) or fails (its documented exit code)."""
        self._task = asyncio.current_task()
        try:
            await self._follow(sink)
        except WiretoolError as exc:
            return Outcome(exc.exit_code, exc.message)
        except _Stop:
            pass
        return Outcome(ExitCode.OK)

    def stop(self, outcome: Outcome) -> None:
        """Close the response (and the client) now: an event stream has no closing handshake."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def abort(self) -> None:
        self.stop(Outcome(ExitCode.INTERRUPTED))

    def counts(self) -> dict[str, object]:
        return {"events": self.events, "shown": self.shown, "comments": self.comments,
                "connects": self.attempts, "bytes": self.bytes, "last_event_id": self.last_event_id}

    # -- the event source --------------------------------------------------------------------------
    def _client(self) -> httpx.AsyncClient:
        req = self.request
        verify: ssl.SSLContext | bool = True
        if req.url.startswith("https"):
            verify = client_context(insecure=req.insecure, cacert=req.cacert, cert=req.cert, key=req.key)
        if req.http2:
            http1, http2 = False, True
        else:
            http1, http2 = True, not req.http1
        t = req.connect_timeout
        return httpx.AsyncClient(http1=http1, http2=http2, verify=verify, follow_redirects=True, trust_env=True,
                                 timeout=httpx.Timeout(connect=t, read=req.idle_timeout, write=t, pool=t),
                                 event_hooks={"response": [_check_redirect]})

    def headers(self) -> list[tuple[str, str]]:
        """The request headers of the next attempt: EventSource's own, the user's, then Last-Event-ID."""
        given = {name.lower() for name, _ in self.request.headers}
        out = [(n, v) for n, v in (("Accept", "text/event-stream"), ("Cache-Control", "no-cache"),
                                   ("Accept-Encoding", "identity"), ("User-Agent", f"wiretool/{__version__}"))
               if n.lower() not in given]
        out.extend(self.request.headers)
        if self.codec.last_event_id and "last-event-id" not in given:
            out.append(("Last-Event-ID", self.codec.last_event_id))
        return out

    async def _follow(self, sink: Sink) -> None:
        """Every attempt, with the waits between; return when the run ends as asked, raise WiretoolError if not."""
        failures = 0
        waited = 0.0
        emit = sink.emit
        async with self._client() as client:
            if self.capture or self.request.http2:
                from wiretool.transport.http_tap import install

                taps: dict[tuple[int, str], Tap] = {}
                firsts = self._first_recv

                def on_bytes(conn: int, direction: str, data: bytes) -> None:
                    if direction == "recv" and conn not in firsts:
                        firsts[conn] = data[:_FIRST_BYTES]
                    if not self.capture:
                        return
                    tap = taps.get((conn, direction))
                    if tap is None:
                        tap = taps[conn, direction] = Tap(None, dir=direction, clock=sink.now, on_bytes=sink.chunk,
                                                          conn=conn)
                    tap.feed(data)

                def on_connect(conn: int, get_extra_info: object) -> None:
                    if self.capture:
                        from wiretool.transport.conninfo import describe

                        describe(sink, conn, get_extra_info, proto="sse")

                if not install(client, on_bytes, on_connect) and self.capture:
                    emit(self._note(sink, "--record cannot see this httpx's socket bytes; the capture holds "
                                          "records only", "warn"))
            while True:
                self.attempts += 1
                code, message = ExitCode.OK, ""
                try:
                    await self._one(client, waited, sink)
                    failures = 0
                except _Retryable as exc:
                    failures += 1
                    code, message = exc.code, exc.message
                    emit(self._note(sink, f"{exc.message}", "warn"))
                if not self.policy.reconnect:
                    if code:
                        raise WiretoolError(message, code)
                    return
                if self.policy.max_reconnects is not None and self.attempts > self.policy.max_reconnects:
                    emit(self._note(sink, f"not reconnecting: --max-reconnects {self.policy.max_reconnects} reached"))
                    if code:
                        raise WiretoolError(message, code)
                    return
                waited = self.policy.delay(self.codec.retry, failures)
                lei = self.codec.last_event_id
                retry = self.codec.retry
                emit(self._note(sink, f"reconnecting in {waited:.3f} s"
                                + (f" (the server's retry: {retry} ms is capped by --max-backoff "
                                   f"{self.policy.max_backoff:g} s)" if self.policy.capped(retry) else "")
                                + (f" with Last-Event-ID: {lei}" if lei else "")
                                + (f" (failure {failures}, backing off)" if failures > 1 else "")))
                await asyncio.sleep(waited)

    async def _one(self, client: httpx.AsyncClient, waited: float, sink: Sink) -> None:
        """One request and its stream. Raises _Retryable for failures a reconnection may cure, _Stop on 204."""
        req = self.request
        first = self.attempts == 1
        sent_id = self.codec.last_event_id or None
        try:
            # Values go as UTF-8 bytes: httpx would encode str as ASCII and crash on a non-ASCII value, and the
            # server's own ``id`` (thus Last-Event-ID) may be any Unicode, U+FFFD for its invalid UTF-8 included.
            headers = [(n, v.encode()) for n, v in self.headers()]
            self._got_head = False
            async with client.stream(req.method, req.url, headers=headers, content=req.body) as resp:
                self._got_head = True
                ctype = resp.headers.get("content-type", "")
                reason = resp.reason_phrase or _phrase(resp.status_code)
                sink.emit(SseConnect(
                    t=sink.now(), url=redact_url(str(resp.url), req.show_secrets), method=req.method,
                    status=resp.status_code,
                    reason=reason, http_version=resp.http_version, attempt=self.attempts,
                    stream_id=resp.extensions.get("stream_id"), content_type=ctype, last_event_id=sent_id,
                    waited=round(waited, 6),
                    headers=tuple((k, redact(k, v, req.show_secrets)) for k, v in resp.headers.multi_items())))
                status = resp.status_code
                if status == 204:
                    sink.emit(self._note(sink, "204 No Content: the server asks not to reconnect"))
                    raise _Stop
                if status != 200 or ctype.split(";", 1)[0].strip().lower() != "text/event-stream":
                    what = (f"HTTP {status} {reason}".rstrip() if status != 200
                            else f"content type {ctype or '(none)'!r}")
                    if status >= 500 and self.policy.retry_5xx:
                        raise _Retryable(ExitCode.REFUSED, f"{what} (--retry-5xx)")
                    excerpt = await _excerpt(resp)
                    raise WiretoolError(f"{what}: an event stream needs 200 with text/event-stream; "
                                        f"body: {excerpt}", ExitCode.REFUSED)
                await self._stream(resp, sink)
        except httpx.ConnectTimeout:
            if first or not self.policy.reconnect:
                raise TimeoutExpired(f"could not connect within {req.connect_timeout} s (--connect-timeout)") from None
            raise _Retryable(ExitCode.TIMEOUT, "connect timed out") from None
        except httpx.ReadTimeout:
            raise TimeoutExpired(f"nothing received for {req.idle_timeout} s (--idle-timeout)") from None
        except (httpx.ConnectError, httpx.ProxyError, httpx.UnsupportedProtocol) as exc:
            message = _connect_message(exc, redact_url(req.url, req.show_secrets))
            if first or not self.policy.reconnect or isinstance(exc, httpx.UnsupportedProtocol):
                raise ConnectError(message) from None
            raise _Retryable(ExitCode.CONNECT, message) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.CloseError) as exc:
            self._not_http2()
            ended = _h2_end(exc)
            if ended is not None:
                raise _Retryable(*ended) from None
            if isinstance(exc, httpx.RemoteProtocolError) and not self._got_head and not _disconnected(exc):
                # h11 could not read the response head (a garbage status line): the server refused us.
                raise WiretoolError(f"the server's answer is not a valid HTTP response: {exc}",
                                    ExitCode.REFUSED) from None
            raise _Retryable(ExitCode.ABNORMAL_CLOSE, f"stream broken: {str(exc) or type(exc).__name__}") from None
        except httpx.TimeoutException as exc:
            raise TimeoutExpired(f"timed out: {str(exc) or type(exc).__name__}") from None
        except httpx.TooManyRedirects:
            raise WiretoolError(f"too many redirects (more than {client.max_redirects}) from "
                                f"{redact_url(req.url, req.show_secrets)}",
                                ExitCode.REFUSED) from None
        except httpx.DecodingError as exc:
            raise WiretoolError(f"cannot decode the body (Content-Encoding "
                                f"{self._encoding!r}): {exc}", ExitCode.PROTOCOL) from None
        except httpx.LocalProtocolError as exc:
            self._not_http2()
            raise WiretoolError(f"cannot send this request: {exc}", ExitCode.USAGE) from None
        except httpx.InvalidURL as exc:  # a redirect's Location httpx could not parse
            raise WiretoolError(f"cannot follow the redirect from {redact_url(req.url, req.show_secrets)}: {exc}",
                                ExitCode.REFUSED) from None

    def _not_http2(self) -> None:
        """Under ``--http2``, end the run (no retry: it never will) when the server answered in HTTP/1.x."""
        if not self.request.http2 or not self._first_recv:
            return
        first = self._first_recv[max(self._first_recv)]
        if first.startswith(b"HTTP/"):
            line = first.split(b"\r\n", 1)[0].decode("latin-1")
            raise WiretoolError(f"the server answered in HTTP/1.x ({line!r}), not HTTP/2: it does not speak "
                                "h2c with prior knowledge (drop --http2)" if not self.request.url.startswith("https")
                                else f"the server answered in HTTP/1.x ({line!r}), not HTTP/2 (drop --http2)",
                                ExitCode.PROTOCOL)

    async def _stream(self, resp: httpx.Response, sink: Sink) -> None:
        """Feed the body to the codec and emit what it completes; stop at the record that ends the run."""
        self.codec.reset()
        self._encoding = resp.headers.get("content-encoding", "identity")
        inflater = Inflater(self._encoding)
        piece = self._piece
        if inflater.identity:
            async for chunk in resp.aiter_raw():
                piece(chunk, sink)
        else:
            # Not httpx's aiter_bytes: it inflates a whole read at once (a bomb's 64 KiB read is 64 MiB). Each
            # bounded piece is parsed and emitted before the next one is inflated.
            try:
                async for data in resp.aiter_raw():
                    for chunk in inflater.feed(data):
                        piece(chunk, sink)
                for chunk in inflater.finish():
                    piece(chunk, sink)
            except InflateError as exc:
                raise WiretoolError(f"cannot decode the body (Content-Encoding {self._encoding!r}): {exc}",
                                    ExitCode.PROTOCOL) from None
        self.codec.finish(sink.now())
        sink.emit(self._note(sink, "stream ended by the server"))

    def _piece(self, chunk: bytes, sink: Sink) -> None:
        """Parse one piece of the (decoded) body and emit what it completes; _Stop once the run has its end."""
        self.bytes += len(chunk)
        emit = sink.emit
        types = self.types
        t = sink.now()
        ts = datetime.now(timezone.utc).isoformat(timespec="milliseconds") if self.timestamps else None
        if self.raw:
            emit(SseChunk(t=t, raw=chunk, ts=ts))
        codec = self.codec
        records = codec.feed(chunk, t, ts)
        if records:
            # Counted as emitted: a goal reached mid-chunk leaves the rest of the chunk unseen and uncounted.
            emit_until = getattr(sink, "emit_until", None)
            if emit_until is not None:  # the run's sink: the chunk's lines in one write, up to the goal
                taken = emit_until(records)
            else:
                taken = 0
                for rec in records:
                    emit(rec)
                    taken += 1
                    if sink.outcome is not None:
                        break
            for rec in records if taken == len(records) else records[:taken]:
                if type(rec) is SseEvent:
                    self.events += 1
                    if not types or rec.event in types:  # type: ignore[attr-defined]
                        self.shown += 1
                else:
                    self.comments += 1
            if sink.outcome is not None:  # a goal was reached (--max-events, --expect) or stdout closed
                raise _Stop
        if codec.exceeded is not None:
            raise WiretoolError(f"hostile or broken stream: {codec.exceeded.message}", ExitCode.PROTOCOL)

    @staticmethod
    def _note(sink: Sink, text: str, level: str = "info") -> Note:
        return Note(t=sink.now(), proto_name="sse", text=text, level=level)


async def _check_redirect(resp: httpx.Response) -> None:
    """Refuse (exit 4) a redirect httpx would follow to a URL it cannot connect to (a port past 65535 would
    fail deep inside the socket layer), before httpx builds the next request."""
    if not resp.has_redirect_location:
        return
    location = resp.headers.get("location", "")
    try:
        target = resp.url.join(location)
    except (httpx.InvalidURL, ValueError) as exc:
        raise WiretoolError(f"cannot follow the redirect to {location[:200]!r}: {exc}", ExitCode.REFUSED) from None
    if target.port is not None and not 0 < target.port < 65536:
        raise WiretoolError(f"cannot follow the redirect to {redact_url(str(target))[:200]!r}: port {target.port} "
                            "is not in 1-65535", ExitCode.REFUSED)


_FIRST_BYTES = 80
"""How much of a connection's first answer is kept to recognise (and quote) an HTTP/1.x status line."""


def _h2_end(exc: BaseException) -> tuple[int, str] | None:
    """The exit code and one line for an HTTP/2 RST_STREAM or GOAWAY that broke the stream, named as ``h2 get``
    names them (never the repr of an h2 event); None if ``exc`` came from something else.

    httpcore raises its RemoteProtocolError with the h2 event as the argument; httpx chains it as the cause.
    An error code other than NO_ERROR or CANCEL is the peer ending it with an error (exit 5).
    """
    import h2.events

    from wiretool.codec.h2names import error_name

    seen: BaseException | None = exc
    while seen is not None:
        event = seen.args[0] if seen.args else None
        if isinstance(event, h2.events.StreamReset):
            code = error_name(int(event.error_code))
            return _h2_code(code), f"the server reset stream {event.stream_id} with {code} (RST_STREAM)"
        if isinstance(event, h2.events.ConnectionTerminated):
            code = error_name(int(event.error_code))
            data = bytes(event.additional_data or b"")
            debug = ""
            if data:
                text = data[:_DEBUG_EXCERPT].decode("utf-8", "replace")
                debug = f": {text!r}" + (f" (+{len(data) - _DEBUG_EXCERPT} bytes)" if len(data) > _DEBUG_EXCERPT else "")
            return _h2_code(code), (f"the server sent GOAWAY with {code} (last stream {event.last_stream_id})"
                                    f"{debug}")
        seen = seen.__cause__ or seen.__context__
    return None


_DEBUG_EXCERPT = 200
"""The most of a GOAWAY's debug data quoted in the one-line error."""


def _h2_code(name: str) -> int:
    return ExitCode.ABNORMAL_CLOSE if name in ("NO_ERROR", "CANCEL") else ExitCode.PROTOCOL


def _disconnected(exc: BaseException) -> bool:
    """Did the server close the connection (h11 and httpcore say "Server disconnected...")?"""
    return str(exc).startswith("Server disconnected")


class _Retryable(Exception):
    """A connection failed in a way a reconnection may cure; ends the run with ``code`` if none is made."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Stop(Exception):
    """Stop, successfully, without reconnecting: the server said 204, or the run reached its goal."""


async def _excerpt(resp: httpx.Response) -> str:
    """The start of an unexpected response's body, for the error message (bounded in size and time)."""
    buf = bytearray()

    async def read() -> None:
        async for chunk in resp.aiter_raw():
            buf.extend(chunk)
            if len(buf) >= EXCERPT_BYTES:
                return

    try:
        await asyncio.wait_for(read(), 2.0)
    except (asyncio.TimeoutError, httpx.HTTPError):
        pass
    text = bytes(buf[:EXCERPT_BYTES]).decode("utf-8", "replace")
    more = "..." if len(buf) > EXCERPT_BYTES else ""
    if not text:
        return "(empty)"
    # repr() escapes control characters: the line stays one line in NDJSON too (the output layer escapes the rest).
    return repr(text[:300]) + (more or ("..." if len(text) > 300 else ""))


def _phrase(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _connect_message(exc: BaseException, url: str) -> str:
    """One line: why connecting failed (TLS reasons spelled out)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return describe_ssl_error(seen)
        seen = seen.__cause__ or seen.__context__
    return f"cannot connect to {url}: {str(exc) or type(exc).__name__}"
