"""Play one ``probe ws`` case against a server over its own connection, and judge what came back.

The opening handshake is written by hand (a probe must be able to offer or withhold permessage-deflate and
see the server's answer as it is); every frame is built byte by byte by codec/wsbuild.py, masked as a
client must, and written whole, one write per frame, or in pieces (Autobahn's ``sync`` and ``chopsize``).
What the server sends is read by wiretool's own lenient parser (codec/wsframe.py), so a server that breaks
a rule while answering is seen breaking it, not hidden by a strict client library.

The judging follows Autobahn's: the events (messages, pongs, pings, pause marks) must equal one of the
case's acceptable sequences, and the connection must end as the case says (who started the close, with
which code, whether the closing handshake completed and the server dropped TCP).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import ssl
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from wiretool.codec.http1 import parse_head, split_head
from wiretool.codec.wsbuild import build_frame
from wiretool.codec.wsclose import close_payload
from wiretool.codec.wsdeflate import deflate_message
from wiretool.codec.wsframe import WsFrameParser
from wiretool.errors import UsageError
from wiretool.probe.case import FAILED, INFORMATIONAL, NON_STRICT, OK, UNIMPLEMENTED, CaseResult
from wiretool.probe.ws_cases import Close, Frame, Message, Partial, Pause, Repeat, WsCase
from wiretool.records.ws import WsFrame, WsMessage

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_HEAD = 64 * 1024
"""The longest handshake response read: a server sending more is named, not buffered without end."""
MAX_EVENTS = 5000
"""Events kept per case (9.7 expects 1000 echoes); past this the case fails rather than grow memory."""
CLOSE_TIMEOUT = 1.0
"""How long the server has to drop TCP after the closing handshake (Autobahn's serverConnectionDropTimeout)."""
UNCLEAN, WRONG_CODE, FAILED_BY_CLIENT = "UNCLEAN", "WRONG CODE", "FAILED BY CLIENT"


@dataclass(frozen=True)
class Target:
    """Where and how to connect: from the URL and the shared TLS options."""

    host: str
    port: int
    path: str
    tls: ssl.SSLContext | None
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    connect_timeout: float = 10.0

    @classmethod
    def parse(cls, url: str, *, tls: ssl.SSLContext | None = None, headers: tuple[tuple[str, str], ...] = (),
              connect_timeout: float = 10.0) -> Target:
        parts = urlsplit(url)
        if parts.scheme not in ("ws", "wss"):
            raise UsageError(f"probe ws needs a ws:// or wss:// URL, got {url[:80]!r}")
        if not parts.hostname:
            raise UsageError(f"no host in {url[:80]!r}")
        try:
            port = parts.port or (443 if parts.scheme == "wss" else 80)
        except ValueError:
            raise UsageError(f"invalid port in {url[:80]!r}") from None
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        if parts.scheme == "wss" and tls is None:
            tls = ssl.create_default_context()
        return cls(parts.hostname, port, path, tls if parts.scheme == "wss" else None, url, headers,
                   connect_timeout)


class HandshakeFailed(Exception):
    """The server did not switch protocols; the message says what it did instead."""


@dataclass
class _State:
    events: list[tuple[Any, ...]] = field(default_factory=list)
    close_sent: bool = False
    close_sent_first: bool = False
    close_received: bool = False
    remote_code: int | None = None
    remote_reason: str | None = None
    eof: bool = False
    dropped_by_me: bool = False
    violations: list[str] = field(default_factory=list)
    wire: list[dict[str, Any]] = field(default_factory=list)
    sent_bytes: int = 0
    received_bytes: int = 0
    overflow: bool = False


class CaseRun:
    """One case on one connection."""

    def __init__(self, target: Target, case: WsCase, *, keep_wire: bool = False) -> None:
        self.target = target
        self.case = case
        self.keep_wire = keep_wire
        self.state = _State()
        self.deflate = False
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._done = asyncio.Event()
        self._progress = asyncio.Event()
        self._close_stepped = False
        self._t0 = time.monotonic()

    # -- the run ------------------------------------------------------------------------------------
    async def run(self) -> CaseResult:
        case = self.case
        try:
            await self._open()
        except HandshakeFailed as exc:
            verdict = UNIMPLEMENTED if "permessage-deflate" in str(exc) else FAILED
            return self._result(verdict, str(exc), {"handshake": str(exc)})
        except (OSError, asyncio.TimeoutError, ssl.SSLError) as exc:
            return self._result(FAILED, f"could not connect: {_describe(exc)}", {})
        reader_task = asyncio.ensure_future(self._read_loop())
        try:
            await self._play(case.steps)
            await self._wait_end()
        finally:
            await self._teardown(reader_task)
        return self._judge()

    async def _open(self) -> None:
        t = self.target
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(t.host, t.port, ssl=t.tls, server_hostname=t.host if t.tls else None,
                                    limit=1 << 20), t.connect_timeout)
        self._reader, self._writer = reader, writer
        key = base64.b64encode(os.urandom(16)).decode("ascii")
        host = t.host if t.port in (80, 443) else f"{t.host}:{t.port}"
        if ":" in t.host and not t.host.startswith("["):
            host = f"[{t.host}]:{t.port}"
        lines = [f"GET {t.path} HTTP/1.1", f"Host: {host}", "Upgrade: websocket", "Connection: Upgrade",
                 f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13"]
        if self.case.deflate:
            lines.append(f"Sec-WebSocket-Extensions: {self.case.deflate_offer}")
        lines += [f"{name}: {value}" for name, value in t.headers]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        writer.write(request)
        self._tap("send", request)
        await writer.drain()
        buf = b""
        while True:
            head, rest = split_head(buf)
            if head is not None:
                break
            if len(buf) > MAX_HEAD:
                raise HandshakeFailed(f"the handshake response head is over {MAX_HEAD} bytes")
            data = await asyncio.wait_for(reader.read(65536), t.connect_timeout)
            if not data:
                raise HandshakeFailed("the server closed the connection during the opening handshake")
            self._tap("recv", data)
            buf += data
        response = parse_head(buf[: len(buf) - len(rest)])
        if response.status != 101:
            raise HandshakeFailed(f"the server answered HTTP {response.status} instead of 101")
        accept = base64.b64encode(hashlib.sha1((key + GUID).encode("ascii")).digest()).decode("ascii")
        if (response.get("sec-websocket-accept") or "").strip() != accept:
            raise HandshakeFailed("wrong Sec-WebSocket-Accept in the 101 response")
        ext = (response.get("sec-websocket-extensions") or "").lower()
        self.deflate = "permessage-deflate" in ext
        if self.case.deflate and not self.deflate:
            raise HandshakeFailed("the server did not accept permessage-deflate")
        self._wbits = 15
        if self.deflate:
            problem = _deflate_answer_problem(self.case.deflate_offer.lower(), ext)
            if problem:
                raise HandshakeFailed(f"permessage-deflate answer breaks RFC 7692: {problem}")
            for param in ext.split(";"):
                name, _, value = param.strip().partition("=")
                if name == "client_max_window_bits" and value.strip().strip('"').isdigit():
                    self._wbits = max(9, min(15, int(value.strip().strip('"'))))
        self._parser = WsFrameParser("server", "recv", rsv1_allowed=self.deflate, deflate=self.deflate,
                                     no_context_takeover="server_no_context_takeover" in ext)
        if rest:
            self._feed(rest)

    async def _read_loop(self) -> None:
        assert self._reader is not None
        try:
            while True:
                data = await self._reader.read(1 << 16)
                if not data:
                    break
                self.state.received_bytes += len(data)
                self._tap("recv", data)
                self._feed(data)
                if self.state.overflow:
                    break
        except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
            pass
        finally:
            self.state.eof = True
            self._done.set()
            self._progress.set()

    def _feed(self, data: bytes) -> None:
        st = self.state
        for rec in self._parser.feed(data, self._now()):
            for v in getattr(rec, "violations", ()):
                if len(st.violations) < 20:
                    st.violations.append(f"{v.code}: {v.message}")
            if isinstance(rec, WsMessage):
                if rec.opcode in (1, 2) and rec.complete:
                    self._event(("message", rec.payload, rec.opcode == 2))
            elif isinstance(rec, WsFrame) and not rec.truncated:
                op = rec.opcode
                if op == 9:
                    self._event(("ping", rec.payload))
                    if not st.close_sent:
                        self._send_now(build_frame(10, rec.payload, mask=True))
                elif op == 10:
                    self._event(("pong", rec.payload))
                elif op == 8 and not st.close_received:
                    st.close_received = True
                    st.remote_code = rec.close_code
                    st.remote_reason = rec.close_reason
                    if not st.close_sent:  # echo the server's close, as RFC 6455 §5.5.1 asks
                        echo = rec.payload[:2] if rec.close_code is not None else b""
                        self._send_close(echo, first=False)
        self._progress.set()

    def _event(self, event: tuple[Any, ...]) -> None:
        st = self.state
        if len(st.events) >= MAX_EVENTS:
            st.overflow = True
            return
        st.events.append(event)
        self._maybe_close()

    def _maybe_close(self) -> None:
        """Autobahn's ``finishWhenDone``: once the events are as expected, start the close if it is ours."""
        st, ending = self.state, self.case.ending
        if st.close_sent or st.close_received or not ending.by_me:
            return
        if any(st.events == list(expected) for expected in self.case.outcomes.values()):
            if not any(isinstance(step, Close) for step in self.case.steps):
                self._send_close(close_payload(ending.codes[0]), first=True)

    # -- sending ------------------------------------------------------------------------------------
    def _send_now(self, data: bytes) -> None:
        w = self._writer
        if w is None or w.is_closing() or self.state.eof:
            return
        w.write(data)
        self.state.sent_bytes += len(data)
        self._tap("send", data)

    def _send_close(self, payload: bytes, *, first: bool) -> None:
        st = self.state
        if st.close_sent:
            return
        st.close_sent = True
        st.close_sent_first = first and not st.close_received
        self._send_now(build_frame(8, payload, mask=True))

    async def _write(self, data: bytes, chop: int | None, sync: bool) -> None:
        if self.state.eof:
            return
        if chop:
            for i in range(0, len(data), chop):
                self._send_now(data[i:i + chop])
                await self._drain()
        else:
            self._send_now(data)
            if sync or len(data) > 1 << 16:
                await self._drain()

    async def _drain(self) -> None:
        w = self._writer
        if w is None or self.state.eof:
            return
        with contextlib.suppress(OSError, ssl.SSLError, ConnectionError):
            await w.drain()

    async def _play(self, steps: tuple[Any, ...]) -> None:
        for step in steps:
            if self.state.eof:
                return
            if isinstance(step, Frame):
                payload = step.payload
                if step.length is not None:
                    payload = (payload * (step.length // max(1, len(payload)) + 1))[: step.length]
                data = build_frame(step.opcode, payload, fin=step.fin, rsv1=bool(step.rsv & 4),
                                   rsv2=bool(step.rsv & 2), rsv3=bool(step.rsv & 1), mask=True)
                if self.state.close_sent and step.opcode != 8 and not self._close_stepped:
                    continue  # the probe's own closing handshake started: no more data (RFC 6455 §5.5.1)
                await self._write(data, step.chop, step.sync)
            elif isinstance(step, Message):
                await self._write(self._message(step), step.chop, False)
            elif isinstance(step, Close):
                self._close_stepped = True  # frames the case lists after its own close are sent on purpose (7.1.x)
                payload = step.raw if step.raw is not None else close_payload(step.code, step.reason)
                if not self.state.close_sent:
                    self._send_close(payload, first=True)
                else:  # a second close (7.1.2): sent as a plain frame
                    self._send_now(build_frame(8, payload, mask=True))
                await self._drain()
            elif isinstance(step, Pause):
                await self._drain()
                await self._sleep(step.seconds)
                if step.mark and not self.state.eof:
                    self._event(("mark", step.mark))
            elif isinstance(step, Partial):
                frame = build_frame(step.opcode, step.payload, mask=True)
                head = len(frame) - len(step.payload)
                cuts = (0, *(head + c for c in step.cuts), len(frame))
                for i in range(len(cuts) - 1):
                    await self._write(frame[cuts[i]:cuts[i + 1]], None, True)
                    if i < len(step.pauses):
                        pause = step.pauses[i]
                        await self._sleep(pause.seconds)
                        if pause.mark and not self.state.eof:
                            self._event(("mark", pause.mark))
            elif isinstance(step, Repeat):
                await self._repeat(step)
        await self._drain()

    def _message(self, step: Message) -> bytes:
        payload, rsv1 = step.payload, False
        if self.deflate:
            payload, rsv1 = deflate_message(payload, wbits=self._wbits), True
        if not step.fragment:
            return build_frame(step.opcode, payload, rsv1=rsv1, mask=True)
        parts = [payload[i:i + step.fragment] for i in range(0, len(payload), step.fragment)] or [b""]
        frames = []
        for i, part in enumerate(parts):
            frames.append(build_frame(step.opcode if i == 0 else 0, part, fin=i == len(parts) - 1,
                                      rsv1=rsv1 and i == 0, mask=True))
        return b"".join(frames)

    async def _repeat(self, step: Repeat) -> None:
        data = self._message(step.message)
        for _ in range(step.count):
            if self.state.eof or self.state.close_received:
                return
            before = len(self.state.events)
            self._send_now(data)
            await self._drain()
            deadline = time.monotonic() + self.case.wait
            while len(self.state.events) == before and not self.state.eof:
                self._progress.clear()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self._progress.wait(), remaining)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._done.wait(), seconds)

    # -- the end --------------------------------------------------------------------------------------
    async def _wait_end(self) -> None:
        case, st = self.case, self.state
        await self._sleep(case.wait)
        if st.eof:
            return
        if case.then == "close" and not st.close_sent:
            self._send_close(close_payload(1000), first=True)
            await self._drain()
            await self._sleep(CLOSE_TIMEOUT + 1.0)
        elif st.close_sent or st.close_received:
            await self._sleep(CLOSE_TIMEOUT)
        if not st.eof:
            st.dropped_by_me = True

    async def _teardown(self, reader_task: asyncio.Future[None]) -> None:
        w = self._writer
        if w is not None:
            if self.state.dropped_by_me and w.transport is not None:
                w.transport.abort()
            else:
                w.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(w.wait_closed(), 1.0)
        reader_task.cancel()
        with contextlib.suppress(BaseException):
            await reader_task

    def _judge(self) -> CaseResult:
        case, st = self.case, self.state
        behavior, reason = FAILED, "what the server sent differs from every acceptable answer"
        if st.overflow:
            reason = f"the server sent more than {MAX_EVENTS} messages"
        else:
            for verdict, expected in case.outcomes.items():
                if st.events == list(expected):
                    behavior, reason = verdict, "the server answered as expected" if verdict == OK else \
                        "the server answered in an allowed but not the preferred way"
                    break
        ending = case.ending
        if ending.by_me != st.close_sent_first:
            close, close_reason = FAILED, "the connection was failed by the wrong endpoint"
        elif ending.clean and not (st.close_sent and st.close_received and not st.dropped_by_me):
            close, close_reason = UNCLEAN, "the spec requires a clean closing handshake here"
        elif st.remote_code is not None and st.remote_code not in ending.codes:
            close = WRONG_CODE
            close_reason = f"the close code should have been {'/'.join(map(str, ending.codes))}, " \
                           f"got {st.remote_code}"
        elif st.dropped_by_me:
            close, close_reason = FAILED_BY_CLIENT, "the server did not drop TCP after the close: the probe did"
        else:
            close, close_reason = OK, "the connection was closed properly"
        if ending.wrong_endpoint_fatal and ending.by_me != st.close_sent_first:
            behavior, reason = FAILED, "the server did not fail the connection: it never detected the error"
        if ending.wrong_code_fatal and close == WRONG_CODE:
            behavior, reason = FAILED, close_reason
        if st.violations:  # the server's own frames broke a rule: whatever else it did, the case fails
            behavior, reason = FAILED, f"the server's frames break RFC 6455: {st.violations[0]}"
        verdict = behavior
        if case.informational:
            verdict = INFORMATIONAL
            reason = f"{reason}; {close_reason}"
        elif behavior != FAILED and close == FAILED:
            verdict, reason = FAILED, close_reason
        elif behavior == OK and close != OK:
            verdict, reason = NON_STRICT, close_reason
        observed = {
            "events": [_event_json(e) for e in st.events[:20]], "events_total": len(st.events),
            "close": {"by_probe_first": st.close_sent_first, "server_code": st.remote_code,
                      "server_reason": st.remote_reason, "dropped_by_probe": st.dropped_by_me,
                      "behavior": close, "why": close_reason},
            "bytes": {"sent": st.sent_bytes, "received": st.received_bytes},
        }
        if st.violations:
            observed["server_violations"] = st.violations
        return self._result(verdict, reason, observed)

    def _result(self, verdict: str, reason: str, observed: dict[str, Any]) -> CaseResult:
        c = self.case
        return CaseResult(c.id, c.family, c.description, c.expectation, c.rfc, verdict, reason, observed,
                          time.monotonic() - self._t0, self.state.wire)

    # -- helpers --------------------------------------------------------------------------------------
    def _now(self) -> float:
        return round(time.monotonic() - self._t0, 6)

    def _tap(self, dir: str, data: bytes) -> None:
        if self.keep_wire and len(self.state.wire) < 2000:
            self.state.wire.append({"dir": dir, "t": self._now(), "hex": data[:4096].hex(),
                                    "length": len(data)})


def _deflate_answer_problem(offer: str, answer: str) -> str | None:
    """What a server's permessage-deflate answer gets wrong against our offer (RFC 7692 §7.1), or None."""
    params = {p.strip().partition("=")[0] for p in answer.split(";")[1:] if p.strip()}
    known = {"server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits",
             "client_max_window_bits"}
    if params - known:
        return f"unknown parameter {sorted(params - known)[0]}"
    if "client_max_window_bits" in params and "client_max_window_bits" not in offer:
        return "client_max_window_bits in the answer, but the client did not offer it"
    return None


def _event_json(event: tuple[Any, ...]) -> dict[str, Any]:
    kind = event[0]
    if kind == "mark":
        return {"event": "pause", "mark": event[1]}
    payload: bytes = event[1]
    out: dict[str, Any] = {"event": kind, "length": len(payload)}
    if kind == "message":
        out["binary"] = event[2]
    if len(payload) <= 64:
        out["payload_hex"] = payload.hex()
    return out


def _describe(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


async def preflight(target: Target) -> bool:
    """One opening handshake before any case: a wrong URL or a server that refuses is one clear error
    (exit 3 or 4), not a table of FAILED cases. Returns whether the server negotiates permessage-deflate."""
    from wiretool.errors import ConnectError, WiretoolError
    from wiretool.exitcodes import ExitCode
    from wiretool.probe.ws_cases import Ending

    probe_case = WsCase("0", "", "", "", (), {}, Ending(True, (1000,), True), deflate=True)
    run = CaseRun(target, probe_case)
    try:
        try:
            await run._open()
        except HandshakeFailed as exc:
            if "permessage-deflate" not in str(exc):
                raise WiretoolError(f"{target.url}: {exc}", ExitCode.REFUSED) from None
        except (OSError, asyncio.TimeoutError, ssl.SSLError) as exc:
            raise ConnectError(f"cannot connect to {target.url}: {_describe(exc)}") from None
        return run.deflate
    finally:
        w = run._writer
        if w is not None:
            with contextlib.suppress(Exception):
                if not w.is_closing():
                    w.write(build_frame(8, close_payload(1000), mask=True))
                w.close()
                await asyncio.wait_for(w.wait_closed(), 1.0)
