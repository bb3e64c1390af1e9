"""The event source: httpx streaming over HTTP/1.1 or HTTP/2, every body byte fed to :mod:`wiretool.codec.sse`.

:class:`SseSession` behaves like a browser's ``EventSource``: it sends ``Accept: text/event-stream`` and
``Cache-Control: no-cache``, fails at once on a status other than 200 or a content type other than
``text/event-stream`` (exit 4), stops on 204, and when a stream ends it waits the server's ``retry`` (3 s by
default) and reconnects with ``Last-Event-ID``. Repeated failures back off exponentially, capped, with jitter.
It yields records in arrival order; failures are raised as :class:`~wiretool.errors.WiretoolError` with
their documented exit code, after the records that explain them.

httpx is used rather than a hand-rolled client so that HTTP/2 (ALPN and h2c prior knowledge), TLS, proxies
and redirects behave as users expect; the body is read with ``aiter_raw`` so the parser sees the bytes as sent.
"""

from __future__ import annotations

import asyncio
import random
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import httpx

from wiretool import __version__
from wiretool.codec.sse import DEFAULT_MAX_EVENT, DEFAULT_MAX_LINE, Event, LimitExceeded, SseParser
from wiretool.errors import ConnectError, TimeoutExpired, WiretoolError
from wiretool.exitcodes import ExitCode
from wiretool.output.sanitize import safe_text
from wiretool.records import Note, Record
from wiretool.records.sse import SseChunk, SseComment, SseConnect, SseEvent
from wiretool.secrets import redact
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
        """The wait before the next attempt: the server's ``retry``, doubled per repeated failure, capped."""
        base = retry_ms / 1000 if retry_ms is not None else self.default_delay
        if failures < 2:
            return base
        backoff = min(self.max_backoff, base * 2 ** (failures - 1))
        if self.jitter:
            backoff *= random.uniform(0.5, 1.0)
        return max(base, backoff)


@dataclass
class _Outcome:
    """How one connection ended, when it did not end the whole run."""

    code: int = ExitCode.OK
    message: str = ""


class SseSession:
    """One event source: connects, reconnects, parses, and yields records (see the module docstring)."""

    def __init__(self, request: SseRequest, policy: ReconnectPolicy | None = None, *,
                 clock: Callable[[], float], raw: bool = False, timestamps: bool = False,
                 max_line: int = DEFAULT_MAX_LINE, max_event: int = DEFAULT_MAX_EVENT) -> None:
        self.request = request
        self.policy = policy or ReconnectPolicy()
        self.clock = clock
        self.raw = raw
        self.timestamps = timestamps
        self.parser = SseParser(last_event_id=request.last_event_id, max_line=max_line, max_event=max_event)
        self.attempts = 0
        self.events = 0
        self.comments = 0
        self.bytes = 0
        self._encoding = "identity"
        self.tap: Callable[[int, str, bytes], None] | None = None
        """``--record``: called with (connection number, send|recv, bytes) for every byte on the socket."""

    @property
    def last_event_id(self) -> str:
        return self.parser.last_event_id

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
                                 timeout=httpx.Timeout(connect=t, read=req.idle_timeout, write=t, pool=t))

    def _headers(self) -> list[tuple[str, str]]:
        given = {name.lower() for name, _ in self.request.headers}
        out = [(n, v) for n, v in (("Accept", "text/event-stream"), ("Cache-Control", "no-cache"),
                                   ("Accept-Encoding", "identity"), ("User-Agent", f"wiretool/{__version__}"))
               if n.lower() not in given]
        out.extend(self.request.headers)
        if self.parser.last_event_id and "last-event-id" not in given:
            out.append(("Last-Event-ID", self.parser.last_event_id))
        return out

    async def records(self) -> AsyncIterator[Record]:
        """Yield every record of the run; return when it ends as asked; raise WiretoolError when it fails."""
        failures = 0
        waited = 0.0
        async with self._client() as client:
            if self.tap is not None:
                from wiretool.transport.http_tap import install

                if not install(client, self.tap):
                    yield self._note("--record cannot see this httpx's socket bytes; the capture holds records only",
                                     "warn")
            while True:
                self.attempts += 1
                outcome = _Outcome()
                try:
                    async for rec in self._one(client, waited):
                        yield rec
                    failures = 0
                except _Retryable as exc:
                    failures += 1
                    outcome = _Outcome(exc.code, exc.message)
                    yield self._note(f"{exc.message}", "warn")
                except _Stop:
                    return
                if not self.policy.reconnect:
                    if outcome.code:
                        raise WiretoolError(outcome.message, outcome.code)
                    return
                if self.policy.max_reconnects is not None and self.attempts > self.policy.max_reconnects:
                    yield self._note(f"not reconnecting: --max-reconnects {self.policy.max_reconnects} reached")
                    if outcome.code:
                        raise WiretoolError(outcome.message, outcome.code)
                    return
                waited = self.policy.delay(self.parser.retry, failures)
                lei = self.parser.last_event_id
                yield self._note(f"reconnecting in {waited:.3f} s"
                                 + (f" with Last-Event-ID: {lei}" if lei else "")
                                 + (f" (failure {failures}, backing off)" if failures > 1 else ""))
                await asyncio.sleep(waited)

    async def _one(self, client: httpx.AsyncClient, waited: float) -> AsyncIterator[Record]:
        """One request and its stream. Raises _Retryable for failures a reconnection may cure, _Stop on 204."""
        req = self.request
        first = self.attempts == 1
        sent_id = self.parser.last_event_id or None
        try:
            # Values go as UTF-8 bytes: httpx would encode str as ASCII and crash on a non-ASCII value, and the
            # server's own ``id`` (thus Last-Event-ID) may be any Unicode, U+FFFD for its invalid UTF-8 included.
            headers = [(n, v.encode()) for n, v in self._headers()]
            async with client.stream(req.method, req.url, headers=headers, content=req.body) as resp:
                ctype = resp.headers.get("content-type", "")
                reason = resp.reason_phrase or _phrase(resp.status_code)
                yield SseConnect(
                    t=self.clock(), url=str(resp.url), method=req.method, status=resp.status_code,
                    reason=reason, http_version=resp.http_version, attempt=self.attempts,
                    stream_id=resp.extensions.get("stream_id"), content_type=ctype, last_event_id=sent_id,
                    waited=round(waited, 6),
                    headers=tuple((k, redact(k, v, req.show_secrets)) for k, v in resp.headers.multi_items()))
                status = resp.status_code
                if status == 204:
                    yield self._note("204 No Content: the server asks not to reconnect")
                    raise _Stop
                if status != 200 or ctype.split(";", 1)[0].strip().lower() != "text/event-stream":
                    what = (f"HTTP {status} {reason}".rstrip() if status != 200
                            else f"content type {ctype or '(none)'!r}")
                    if status >= 500 and self.policy.retry_5xx:
                        raise _Retryable(ExitCode.REFUSED, f"{what} (--retry-5xx)")
                    excerpt = await _excerpt(resp)
                    raise WiretoolError(f"{what}: an event stream needs 200 with text/event-stream; "
                                        f"body: {excerpt}", ExitCode.REFUSED)
                async for rec in self._stream(resp):
                    yield rec
        except httpx.ConnectTimeout:
            if first or not self.policy.reconnect:
                raise TimeoutExpired(f"could not connect within {req.connect_timeout} s (--connect-timeout)") from None
            raise _Retryable(ExitCode.TIMEOUT, "connect timed out") from None
        except httpx.ReadTimeout:
            raise TimeoutExpired(f"nothing received for {req.idle_timeout} s (--idle-timeout)") from None
        except (httpx.ConnectError, httpx.ProxyError, httpx.UnsupportedProtocol) as exc:
            message = _connect_message(exc, req.url)
            if first or not self.policy.reconnect or isinstance(exc, httpx.UnsupportedProtocol):
                raise ConnectError(message) from None
            raise _Retryable(ExitCode.CONNECT, message) from None
        except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError, httpx.CloseError) as exc:
            raise _Retryable(ExitCode.ABNORMAL_CLOSE, f"stream broken: {str(exc) or type(exc).__name__}") from None
        except httpx.TimeoutException as exc:
            raise TimeoutExpired(f"timed out: {str(exc) or type(exc).__name__}") from None
        except httpx.TooManyRedirects:
            raise WiretoolError(f"too many redirects (more than {client.max_redirects}) from {req.url}",
                                ExitCode.REFUSED) from None
        except httpx.DecodingError as exc:
            raise WiretoolError(f"cannot decode the body (Content-Encoding "
                                f"{safe_text(self._encoding)!r}): {exc}", ExitCode.PROTOCOL) from None
        except httpx.LocalProtocolError as exc:
            raise WiretoolError(f"cannot send this request: {exc}", ExitCode.USAGE) from None

    async def _stream(self, resp: httpx.Response) -> AsyncIterator[Record]:
        """Feed the body to the parser and yield what it completes; a clean end returns normally."""
        parser = self.parser
        parser.reset()
        clock = self.clock
        raw = self.raw
        stamps = self.timestamps
        self._encoding = resp.headers.get("content-encoding", "identity")
        chunks = resp.aiter_bytes() if self._encoding != "identity" else resp.aiter_raw()
        async for chunk in chunks:
            self.bytes += len(chunk)
            t = clock()
            ts = datetime.now(timezone.utc).isoformat(timespec="milliseconds") if stamps else None
            if raw:
                yield SseChunk(t=t, raw=chunk, ts=ts)
            for item in parser.feed(chunk):
                if type(item) is Event:
                    self.events += 1
                    yield SseEvent(t=t, event=item.event, data=item.data, id=item.id, retry=item.retry, ts=ts)
                elif isinstance(item, LimitExceeded):
                    raise WiretoolError(f"hostile or broken stream: {item.message}", ExitCode.PROTOCOL)
                else:
                    self.comments += 1
                    yield SseComment(t=t, text=item.text, ts=ts)
        parser.end()
        yield self._note("stream ended by the server")

    def _note(self, text: str, level: str = "info") -> Note:
        return Note(t=self.clock(), proto_name="sse", text=text, level=level)


class _Retryable(Exception):
    """A connection failed in a way a reconnection may cure; ends the run with ``code`` if none is made."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class _Stop(Exception):
    """The server said 204: stop, successfully, without reconnecting."""


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
    return "'" + safe_text(text[:300]) + "'" + (more or ("..." if len(text) > 300 else ""))


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
