"""Play one ``probe h2`` case on its own connection: preface and SETTINGS, the case's frames, then watch.

Frames are written byte by byte (probe/h2_cases.py builds them), so a case can break any rule; header
blocks use hpack's encoder with never-indexed fields, so a block the server rejects cannot leave the two
HPACK tables out of step for the frames after it. What the server sends is read frame by frame here (a
9-octet header and a bounded payload); its header blocks are decoded only to show the response status.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import struct
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from wiretool.errors import ConnectError, UsageError, WiretoolError
from wiretool.exitcodes import ExitCode
from wiretool.probe.case import FAILED, INFORMATIONAL, NON_STRICT, OK, UNIMPLEMENTED, CaseResult
from wiretool.probe.h2_cases import (
    CONTINUATION,
    DATA,
    END_STREAM,
    GOAWAY,
    HEADERS,
    PING,
    RST_STREAM,
    SETTINGS,
    H2Case,
    frame,
)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
ERRORS = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
          "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR", "CONNECT_ERROR",
          "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"]
MAX_PAYLOAD = 1 << 24
"""The largest frame payload read (the protocol's own limit); a server announcing more is named."""
PROBE_PING = b"wtprobe!"


def _hpack_int(value: int, prefix: int) -> bytes:
    """An HPACK integer (RFC 7541 §5.1) with the flag bits of its first byte zero."""
    top = (1 << prefix) - 1
    if value < top:
        return bytes((value,))
    out, value = bytearray((top,)), value - top
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def error_name(code: int) -> str:
    return ERRORS[code] if 0 <= code < len(ERRORS) else f"UNKNOWN_0x{code:x}"


@dataclass(frozen=True)
class H2Target:
    host: str
    port: int
    scheme: str
    authority: str
    path: str
    tls: ssl.SSLContext | None
    url: str
    connect_timeout: float = 10.0
    wait: float = 1.0

    @classmethod
    def parse(cls, url: str, *, tls: ssl.SSLContext | None = None, connect_timeout: float = 10.0,
              wait: float = 1.0) -> H2Target:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise UsageError(f"probe h2 needs an http:// (h2c) or https:// URL, got {url[:80]!r}")
        if not parts.hostname:
            raise UsageError(f"no host in {url[:80]!r}")
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise UsageError(f"invalid port in {url[:80]!r}") from None
        if parts.scheme == "https":
            tls = tls or ssl.create_default_context()
            tls.set_alpn_protocols(["h2"])
        return cls(parts.hostname, port, parts.scheme, parts.netloc.rpartition("@")[2], parts.path or "/",
                   tls if parts.scheme == "https" else None, url, connect_timeout, wait)


@dataclass
class _Seen:
    goaway: str | None = None
    goaway_debug: str = ""
    resets: list[tuple[int, str]] = field(default_factory=list)
    ended: set[int] = field(default_factory=set)
    statuses: dict[int, str] = field(default_factory=dict)
    ping_acks: list[bytes] = field(default_factory=list)
    """The first PING ACK payloads (at most 64: a flood is answered by a flood)."""
    probe_acked: bool = False
    data_lengths: dict[int, list[int]] = field(default_factory=dict)
    """The first DATA payload lengths per stream (flow-control cases)."""
    settings_acks: int = 0
    closed: bool = False
    frames: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class H2CaseRun:
    """One case on one connection."""

    def __init__(self, target: H2Target, case: H2Case) -> None:
        import hpack

        self.t = target
        self.case = case
        self.encoder = hpack.Encoder()
        self.decoder = hpack.Decoder()
        self.max_frame_size = 16384
        self.max_streams: int | None = None
        self.connect_protocol = False
        self.seen = _Seen()
        self._buf = bytearray()
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._t0 = time.monotonic()
        self._block: dict[int, bytearray] = {}

    # -- the context the cases build frames with -----------------------------------------------------
    def block(self, extra: list[tuple[str, str]] | None = None, *, method: str = "GET", path: str | None = None,
              drop: tuple[str, ...] = (), first: list[tuple[str, str]] | None = None) -> bytes:
        fields = [(":method", method), (":scheme", self.t.scheme),
                  (":path", self.t.path if path is None else path), (":authority", self.t.authority)]
        fields = [f for f in fields if f[0] not in drop]
        return self._encode([*(first or []), *fields, *(extra or [])])

    def _encode(self, fields: list[tuple[str, str]]) -> bytes:
        """Never-indexed fields; long values as plain literals (Huffman-coding megabytes in Python is slow,
        and a case that must exceed a 16 MiB SETTINGS_MAX_FRAME_SIZE sends that much)."""
        out = bytearray()
        for name, value in fields:
            if len(value) > 4096:
                raw_name, raw_value = name.encode(), value.encode("latin-1", "replace")
                out += b"\x10" + _hpack_int(len(raw_name), 7) + raw_name + _hpack_int(len(raw_value), 7) + raw_value
            else:
                out += self.encoder.encode([(name, value, True)])
        return bytes(out)

    def block_trailers(self, fields: list[tuple[str, str]]) -> bytes:
        return self._encode(fields)

    # -- the run ---------------------------------------------------------------------------------------
    async def run(self) -> CaseResult:
        try:
            await self._connect()
            if self.case.handshake:
                await self._handshake()
        except (OSError, asyncio.TimeoutError, ssl.SSLError) as exc:
            return self._result(FAILED, f"could not connect: {_describe(exc)}")
        except _Broken as exc:
            return self._result(FAILED, str(exc))
        try:
            missing = self._missing_need()
            if missing:
                return self._result(UNIMPLEMENTED, missing)
            frames = self.case.frames(self)  # type: ignore[arg-type]
            for i, data in enumerate(frames):
                self._send(data)
                if i % 256 == 255:  # floods go out in batches, read from the server between them
                    await self._drain()
                    if self.seen.closed or self.seen.goaway is not None:
                        break
            if not self.case.handshake:
                pass
            elif self.case.expect.kind in ("no_error", "survives"):
                self._send(frame(PING, 0, 0, PROBE_PING))
            await self._drain()
            await self._watch()
        finally:
            await self._close()
        return self._judge()

    async def _connect(self) -> None:
        t = self.t
        self._reader, self._writer = await asyncio.wait_for(
            asyncio.open_connection(t.host, t.port, ssl=t.tls, server_hostname=t.host if t.tls else None),
            t.connect_timeout)
        if t.tls is not None:
            sslobj = self._writer.get_extra_info("ssl_object")
            alpn = sslobj.selected_alpn_protocol() if sslobj is not None else None
            if alpn != "h2":
                raise _Broken(f"the server did not choose h2 in ALPN (it chose {alpn or 'nothing'})")

    async def _handshake(self) -> None:
        self._send(PREFACE + frame(SETTINGS, 0, 0))
        await self._drain()
        got_settings = False
        deadline = time.monotonic() + self.t.connect_timeout
        while not (got_settings and self.seen.settings_acks):
            f = await self._frame(deadline)
            if f is None:
                if self.seen.closed:
                    raise _Broken("the server closed the connection after the preface")
                raise _Broken("no SETTINGS from the server within the connect timeout")
            typ, flags, _sid, _payload = f
            if typ == SETTINGS and not flags & 1:
                got_settings = True
        self.seen.settings_acks = 0
        self.seen.frames.clear()

    async def _watch(self) -> None:
        deadline = time.monotonic() + self.t.wait
        while not self._settled():
            if await self._frame(deadline) is None:
                return

    def _missing_need(self) -> str | None:
        need = self.case.needs
        if need == "max-streams" and not (self.max_streams and self.max_streams <= 1000):
            return "the server sets no SETTINGS_MAX_CONCURRENT_STREAMS limit small enough to exceed"
        if need == "connect-protocol" and not self.connect_protocol:
            return "the server did not advertise SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441)"
        if need == "no-connect-protocol" and self.connect_protocol:
            return "the server advertises SETTINGS_ENABLE_CONNECT_PROTOCOL: :protocol is allowed there"
        return None

    def _settled(self) -> bool:
        s, e = self.seen, self.case.expect
        if s.closed or s.goaway is not None:
            return True
        if e.kind == "stream":
            return any(e.stream in (0, sid) for sid, _ in s.resets)
        if e.kind == "response":
            return e.stream in s.ended or any(sid == e.stream for sid, _ in s.resets)
        if e.kind == "ping_ack":
            return e.data in s.ping_acks
        if e.kind == "settings_ack":
            return s.settings_acks > 0
        if e.kind == "no_error":
            return s.probe_acked or bool(self._error_resets())
        if e.kind == "survives":
            return s.probe_acked
        if e.kind == "data_at_most":
            return bool(s.data_lengths.get(e.stream)) or e.stream in s.ended
        if e.kind == "response_or_reset":
            return e.stream in s.ended or any(sid == e.stream for sid, _ in s.resets) or bool(s.statuses)
        return False

    async def _frame(self, deadline: float) -> tuple[int, int, int, bytes] | None:
        """The next frame from the server, or None at EOF or the deadline; answers SETTINGS and PINGs."""
        while True:
            if len(self._buf) >= 9:
                length = int.from_bytes(self._buf[:3], "big")
                if length > MAX_PAYLOAD:
                    raise _Broken(f"the server sent a frame of {length} bytes")
                if len(self._buf) >= 9 + length:
                    typ, flags = self._buf[3], self._buf[4]
                    sid = int.from_bytes(self._buf[5:9], "big") & 0x7FFFFFFF
                    payload = bytes(self._buf[9:9 + length])
                    del self._buf[:9 + length]
                    self._note(typ, flags, sid, payload)
                    return typ, flags, sid, payload
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.seen.closed:
                return None
            assert self._reader is not None
            try:
                data = await asyncio.wait_for(self._reader.read(65536), remaining)
            except asyncio.TimeoutError:
                return None
            except (OSError, ssl.SSLError):
                data = b""
            if not data:
                self.seen.closed = True
                return None
            self._buf += data

    def _note(self, typ: int, flags: int, sid: int, payload: bytes) -> None:
        s = self.seen
        entry: dict[str, Any] = {"type": typ, "flags": flags, "stream_id": sid, "length": len(payload)}
        if typ == GOAWAY and len(payload) >= 8:
            s.goaway = error_name(struct.unpack(">I", payload[4:8])[0])
            s.goaway_debug = payload[8:108].decode("utf-8", "replace")
            entry["error_code"] = s.goaway
        elif typ == RST_STREAM and len(payload) == 4:
            code = error_name(struct.unpack(">I", payload)[0])
            s.resets.append((sid, code))
            entry["error_code"] = code
        elif typ == SETTINGS:
            if flags & 1:
                s.settings_acks += 1
            else:
                for i in range(0, len(payload) - 5, 6):
                    key, value = struct.unpack(">HI", payload[i:i + 6])
                    if key == 5:
                        self.max_frame_size = value
                    elif key == 3:
                        self.max_streams = value
                    elif key == 8:
                        self.connect_protocol = value == 1
                self._send(frame(SETTINGS, 1, 0))
        elif typ == PING and len(payload) == 8:
            if flags & 1:
                if payload == PROBE_PING:
                    s.probe_acked = True
                if len(s.ping_acks) < 64:
                    s.ping_acks.append(payload)
            else:
                self._send(frame(PING, 1, 0, payload))
        elif typ in (HEADERS, CONTINUATION):
            block = self._block.setdefault(sid, bytearray())
            body = payload
            if typ == HEADERS:
                pad = payload[0] if flags & 0x8 and payload else 0
                start = (1 if flags & 0x8 else 0) + (5 if flags & 0x20 else 0)
                body = payload[start:len(payload) - pad] if pad < len(payload) else b""
            block += body
            if flags & 0x4:
                with contextlib.suppress(Exception):
                    for name, value in self.decoder.decode(bytes(self._block.pop(sid))):
                        if name == ":status":
                            s.statuses[sid] = value
                            entry["status"] = value
            if flags & END_STREAM:
                s.ended.add(sid)
        elif typ == DATA:
            lengths = s.data_lengths.setdefault(sid, [])
            if len(lengths) < 16:
                pad = payload[0] + 1 if flags & 0x8 and payload else 0
                lengths.append(len(payload) - pad)
            if flags & END_STREAM:
                s.ended.add(sid)
        if len(s.frames) < 50:
            s.frames.append(entry)

    def _send(self, data: bytes) -> None:
        w = self._writer
        if w is not None and not w.is_closing():
            w.write(data)

    async def _drain(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(OSError, ssl.SSLError, ConnectionError):
                await self._writer.drain()

    async def _close(self) -> None:
        w = self._writer
        if w is not None:
            with contextlib.suppress(Exception):
                w.close()
                await asyncio.wait_for(w.wait_closed(), 1.0)

    # -- judging ---------------------------------------------------------------------------------------
    def _judge(self) -> CaseResult:
        s, e = self.seen, self.case.expect
        verdict, reason = FAILED, "nothing within the wait: the server did not react"
        want = "/".join(e.codes)
        if e.kind in ("conn", "stream"):
            rst = [(sid, code) for sid, code in s.resets if e.kind == "stream" and e.stream in (0, sid)]
            if rst:
                sid, code = rst[0]
                if code in e.codes:
                    verdict, reason = OK, f"RST_STREAM {code} on stream {sid}"
                elif code == "NO_ERROR" and sid in s.ended:
                    verdict, reason = INFORMATIONAL, (
                        f"the server answered stream {sid} and stopped it (RST_STREAM NO_ERROR, RFC 9113 §8.1) "
                        "before reading the frame under test: the rule could not be checked")
                else:
                    verdict, reason = FAILED, f"RST_STREAM {code} on stream {sid}; expected {want}"
            elif s.goaway is not None:
                verdict, reason = (OK, f"GOAWAY {s.goaway}") if s.goaway in e.codes else \
                    (FAILED, f"GOAWAY {s.goaway}; expected {want}")
            elif s.closed:
                verdict, reason = OK, "the connection was closed"
            elif e.kind == "stream" and any(st.startswith("4") for sid, st in s.statuses.items() if e.stream in (0, sid)):
                status = next(st for sid, st in s.statuses.items() if e.stream in (0, sid) and st.startswith("4"))
                verdict, reason = NON_STRICT, (
                    f"the server answered {status} instead of resetting the stream ({want}): RFC 9113 §8.1.1 lets "
                    "it send a response first, but the malformed request should still end in a stream error")
            else:
                kind = "stream" if e.kind == "stream" else "connection"
                reason = f"no {kind} error ({want}) within the wait"
                if s.statuses:
                    answered = ", ".join(f"{sid}: {st}" for sid, st in sorted(s.statuses.items()))
                    reason += f"; the server answered instead (stream {answered})"
        elif e.kind == "response":
            if e.stream in s.ended:
                verdict, reason = OK, f"response {s.statuses.get(e.stream, '?')} on stream {e.stream}"
            else:
                reason = self._failure_reason("a response")
        elif e.kind == "ping_ack":
            if e.data in s.ping_acks:
                verdict, reason = OK, "PING ACK with the same data"
            else:
                reason = self._failure_reason("a PING ACK")
        elif e.kind == "settings_ack":
            if s.settings_acks:
                verdict, reason = OK, "SETTINGS ACK"
            else:
                reason = self._failure_reason("a SETTINGS ACK")
        elif e.kind == "no_error":
            if s.probe_acked and s.goaway is None and not self._error_resets():
                verdict, reason = OK, "the frame was accepted: the next PING was answered"
            else:
                reason = self._failure_reason("the next PING answered")
        elif e.kind == "data_at_most":
            most = e.data[0]
            lengths = s.data_lengths.get(e.stream, [])
            if lengths and max(lengths) > most:
                reason = f"DATA of {max(lengths)} octets with a window of {most}: flow control not respected"
            elif lengths:
                verdict, reason = OK, f"DATA of {lengths[0]} octet(s) within the window of {most}"
            elif e.stream in s.ended:
                verdict, reason = INFORMATIONAL, "the response has no body: flow control could not be checked"
            else:
                reason = self._failure_reason("DATA within the window")
        elif e.kind == "survives":
            if s.probe_acked:
                verdict, reason = OK, "the server survived: it answered the next PING"
            elif s.goaway is not None:
                verdict, reason = OK, f"the server defended itself: GOAWAY {s.goaway}"
            elif s.closed:
                verdict, reason = OK, "the server defended itself: it closed the connection"
            else:
                reason = "the server stopped answering: no PING ACK, no GOAWAY, no close within the wait"
        elif e.kind == "ends":
            if s.goaway is not None:
                verdict, reason = OK, f"GOAWAY {s.goaway}"
            elif s.closed:
                verdict, reason = OK, "the connection was closed"
            else:
                reason = "the server kept the connection open and went on buffering the unfinished header block"
        elif e.kind == "response_or_reset":
            bad = [code for sid, code in s.resets if sid == e.stream and code == "PROTOCOL_ERROR"]
            if bad or s.goaway is not None:
                reason = f"the well-formed request was treated as an error ({bad[0] if bad else 'GOAWAY ' + str(s.goaway)})"
            elif s.statuses or s.resets or e.stream in s.ended:
                verdict, reason = OK, f"answered: status {s.statuses.get(e.stream, '-')}"
        if self.case.informational:
            verdict = INFORMATIONAL
        return self._result(verdict, reason)


    def _error_resets(self) -> list[tuple[int, str]]:
        """RST_STREAMs that report an error (NO_ERROR and CANCEL only end a stream early)."""
        return [r for r in self.seen.resets if r[1] not in ("NO_ERROR", "CANCEL")]

    def _failure_reason(self, wanted: str) -> str:
        s = self.seen
        if s.goaway is not None:
            return f"GOAWAY {s.goaway} instead of {wanted}" + (f" ({s.goaway_debug[:80]!r})" if s.goaway_debug else "")
        if s.resets:
            return f"RST_STREAM {s.resets[0][1]} instead of {wanted}"
        if s.closed:
            return f"the connection was closed instead of {wanted}"
        return f"no {wanted} within the wait"

    def _result(self, verdict: str, reason: str) -> CaseResult:
        c, s = self.case, self.seen
        observed = {"frames": s.frames, "goaway": s.goaway, "resets": [list(r) for r in s.resets],
                    "closed": s.closed}
        return CaseResult(c.id, c.family, c.description, c.expectation,
                          f"RFC 9113 §{c.rfc9113} (RFC 7540 §{c.rfc7540})" if not c.rfc9113.startswith("RFC")
                          else c.rfc9113, verdict, reason, observed, time.monotonic() - self._t0)


class _Broken(Exception):
    """The connection could not be set up for the case (the reason is the case's FAILED reason)."""


async def preflight(target: H2Target) -> None:
    """One connection and handshake before any case: exit 3 if unreachable, 4 if it does not speak h2."""
    from wiretool.probe.h2_cases import IGNORED, H2Case

    run = H2CaseRun(target, H2Case("0", "", "", "", "", lambda c: [], IGNORED))
    try:
        await run._connect()
        await run._handshake()
    except (OSError, asyncio.TimeoutError, ssl.SSLError) as exc:
        raise ConnectError(f"cannot connect to {target.url}: {_describe(exc)}") from None
    except _Broken as exc:
        raise WiretoolError(f"{target.url}: {exc}", ExitCode.REFUSED) from None
    finally:
        await run._close()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
