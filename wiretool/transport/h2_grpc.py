"""A gRPC call over :class:`~wiretool.transport.h2.H2Client`: request headers and body, server
reflection, and the mapping of the call's end onto the exit codes.

gRPC over HTTP/2 (grpc/doc/PROTOCOL-HTTP2.md) is a POST to ``/package.Service/Method`` with
``content-type: application/grpc`` and ``te: trailers``; each message is framed with 5 bytes
(compressed flag, 4-byte length) and the status comes in the trailers. The frame view already shows
the messages and the status (``codec/grpcview.py``); this module only builds the call and reads the end.
:class:`GrpcCall` is the call as a :class:`~wiretool.session.Session` (reflection first, when asked, on its
own quiet connections), and :func:`call_result` the pure map of its end onto the exit codes (64 + N).
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from wiretool.codec.grpc import DEFAULT_MAX_MESSAGE, frame_message, status_name
from wiretool.codec.protobuf import read_varint, write_varint
from wiretool.exitcodes import ExitCode, grpc_exit_code
from wiretool.records import Record
from wiretool.records.grpc import GrpcMessage, GrpcStatus
from wiretool.session import ListSink, Sink
from wiretool.session import Outcome as End
from wiretool.transport.h2_errors import excerpt
from wiretool.transport.h2_outcome import ClientConfig, Outcome, RequestSpec, exit_code

if TYPE_CHECKING:
    from wiretool.grpc.schema import Schema
    from wiretool.transport.h2 import H2Client

__all__ = ["GrpcCall", "call_result", "call_spec", "frame_message", "grpc_timeout", "metadata", "reflect"]

REFLECTION_METHODS = ("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
_MAX_REFLECTION_ROUNDS = 8


def grpc_timeout(seconds: float) -> str:
    """``grpc-timeout`` for a deadline of ``seconds``: at most 8 digits and a unit (m, S, M, H), rounded up."""
    ms = math.ceil(seconds * 1000)
    for value, unit in ((ms, "m"), (math.ceil(seconds), "S"), (math.ceil(seconds / 60), "M"),
                        (math.ceil(seconds / 3600), "H")):
        if value < 10**8:
            return f"{value}{unit}"
    return "99999999H"


def metadata(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Custom metadata as sent: ``-bin`` keys carry bytes, so their value is base64-encoded (unpadded)."""
    out = []
    for name, value in headers:
        if name.lower().endswith("-bin"):
            value = base64.b64encode(value.encode()).decode().rstrip("=")
        out.append((name.lower(), value))
    return out


def call_spec(url: str, path: str, body: bytes, *, headers: list[tuple[str, str]], timeout: float | None,
              compress: str | None) -> RequestSpec:
    """The gRPC request: POST, the call headers first, then the user's metadata."""
    call = [("content-type", "application/grpc"), ("te", "trailers")]
    if timeout is not None:
        call.append(("grpc-timeout", grpc_timeout(timeout)))
    if compress:
        call.append(("grpc-encoding", compress))
    call.append(("grpc-accept-encoding", "identity,deflate,gzip"))
    return RequestSpec(url=url, path=path, method="POST", headers=[*call, *metadata(headers)], body=body, grpc=True)


def call_result(outcome: Outcome, stream_id: int, clock: Callable[[], float]) -> tuple[int, str | None, GrpcStatus | None,
                                                                                       GrpcStatus | None]:
    """(exit code, error message, the call's status, a status made up here to show) for the call's end.

    A non-OK grpc-status (from trailers, Trailers-Only, RST_STREAM or a non-200 HTTP status) exits 64 + N.
    ``--timeout`` is the call's deadline: when it passes first the call ends DEADLINE_EXCEEDED (exit 68),
    as if the server had said so. Otherwise the HTTP/2 outcome decides (5, 6, 8), as for ``h2 get``.
    """
    status = outcome.grpc_statuses.get(stream_id)
    made = None
    if status is None and outcome.deadline:
        made = status = GrpcStatus(t=clock(), stream_id=stream_id, code=4, name=status_name(4), source="deadline",
                                   message=outcome.timeout or "deadline exceeded")
    if status is not None and status.code != 0:
        detail = f": {excerpt(status.message)}" if status.message else ""  # the status record keeps it all
        return grpc_exit_code(status.code), f"grpc-status {status.code} {status.name}{detail}", status, made
    code, message = exit_code(outcome)
    if code == ExitCode.OK and status is None:
        return ExitCode.ABNORMAL_CLOSE, "the call ended without a status", None, made
    return code, message, status, made


class GrpcCall:
    """One gRPC call as a session: (server reflection, then) the call's stream on an :class:`H2Client`.

    ``make_body(schema)`` builds the request body once the schema is known (after reflection, when
    ``reflect_service`` is given; the schema given otherwise). The call's path is ``prefix + method``
    (a URL with a path prefix routes under it). The end is :func:`call_result`'s, its status record
    made up here when the deadline passes first, and the summary adds ``grpc_status`` and its name.
    """

    proto = "grpc"
    summary_elapsed = False

    def __init__(self, base: ClientConfig, url: str, path: str, *, make_body: Callable[[Schema | None], bytes],
                 headers: list[tuple[str, str]], timeout: float | None, compress: str | None,
                 schema: Schema | None = None, reflect_service: str | None = None, prefix: str = "",
                 max_message: int = DEFAULT_MAX_MESSAGE, capture: bool = False) -> None:
        self.base = base
        self.url = url
        self.path = path
        self.make_body = make_body
        self.headers = headers
        self.timeout = timeout
        self.compress = compress
        self.schema = schema
        self.reflect_service = reflect_service
        self.prefix = prefix
        self.max_message = max_message
        self.capture = capture
        self.client: H2Client | None = None
        self.status: GrpcStatus | None = None
        self._task: asyncio.Task[Any] | None = None

    async def run(self, sink: Sink) -> End:
        from wiretool.codec.grpcview import GrpcStreams
        from wiretool.transport.h2 import H2Client

        self._task = asyncio.current_task()
        schema = self.schema
        if self.reflect_service is not None:
            from wiretool.grpc.schema import Schema

            files = await reflect(self.base, self.reflect_service, run=lambda cfg, emit: self._quiet(cfg, emit, sink))
            schema = Schema(files, "server reflection")
        spec = call_spec(self.url, self.path, self.make_body(schema), headers=self.headers, timeout=self.timeout,
                         compress=self.compress)
        view = GrpcStreams(schema_for=_schema_for(schema, self.prefix), max_message=self.max_message)
        self.client = H2Client(dataclasses.replace(self.base, requests=[spec], grpc=view), capture=self.capture)
        outcome = await self.client.exchange(sink)
        code, message, self.status, made = call_result(outcome, 1, sink.now)
        if made is not None:
            sink.emit(made)
        return End(code, message or "")

    @staticmethod
    async def _quiet(cfg: ClientConfig, emit: Callable[[Record], None], sink: Sink) -> Outcome:
        """One reflection connection: its records go to ``emit`` only (not shown, not captured)."""
        from wiretool.transport.h2 import H2Client

        quiet = ListSink(clock=sink.now)
        outcome = await H2Client(cfg).exchange(quiet)
        for rec in quiet.records:
            emit(rec)
        return outcome

    def stop(self, outcome: End) -> None:
        """The run is over; a DEADLINE_EXCEEDED end (``run/h2.py``'s ``--timeout`` as the call's deadline) makes
        the call's status record say so, with the reason after the ``grpc-status 4 ...:`` prefix."""
        if self.client is not None:
            if outcome.code == grpc_exit_code(4) and self.status is None:
                self.client.stop(End(ExitCode.TIMEOUT, outcome.message.split(": ", 1)[-1]), deadline=True)
            else:
                self.client.stop(outcome)
        elif self._task is not None and not self._task.done():
            self._task.cancel()  # still reflecting: nothing of the call to close

    def abort(self) -> None:
        if self.client is not None:
            self.client.abort()
        elif self._task is not None and not self._task.done():
            self._task.cancel()

    def counts(self) -> dict[str, Any]:
        if self.client is None:
            return {}
        status = self.status
        extra = {"grpc_status": status.code, "grpc_status_name": status.name} if status else {}
        return {**extra, **self.client.outcome.counts()}


def _schema_for(schema: Schema | None, prefix: str) -> Any:
    if schema is None:
        return None
    return lambda path, is_request: schema.schema_for(path.removeprefix(prefix), is_request)


# -- server reflection -----------------------------------------------------------------------------
def _string_field(number: int, value: str) -> bytes:
    data = value.encode()
    return write_varint((number << 3) | 2) + write_varint(len(data)) + data


def _fields(data: bytes) -> list[tuple[int, bytes | int]]:
    """Read a message exactly (not guessing like the schema-less view): (number, bytes or int)."""
    out: list[tuple[int, bytes | int]] = []
    pos = 0

    def varint() -> int:
        nonlocal pos
        got = read_varint(data, pos)
        if got is None:
            raise ValueError("truncated varint")
        value, pos = got
        return value

    while pos < len(data):
        key = varint()
        wt = key & 7
        if wt == 0:
            out.append((key >> 3, varint()))
        elif wt == 2:
            n = varint()
            out.append((key >> 3, data[pos:pos + n]))
            pos += n
        elif wt in (1, 5):
            pos += 8 if wt == 1 else 4
        else:
            raise ValueError(f"wire type {wt}")
    return out


def reflection_request(*, symbol: str | None = None, filename: str | None = None) -> bytes:
    """A ServerReflectionRequest asking for the file that defines ``symbol``, or the file ``filename``."""
    return _string_field(4, symbol) if symbol is not None else _string_field(3, filename or "")


def reflection_files(payload: bytes) -> tuple[list[bytes], str | None]:
    """A ServerReflectionResponse → (serialized FileDescriptorProtos, error message or None)."""
    try:
        fields = _fields(payload)
        for number, value in fields:
            if number == 4 and isinstance(value, bytes):
                return [v for n, v in _fields(value) if n == 1 and isinstance(v, bytes)], None
            if number == 7 and isinstance(value, bytes):
                err = dict(_fields(value))
                msg = err.get(2, b"")
                return [], msg.decode("utf-8", "replace") if isinstance(msg, bytes) else str(msg)
    except (ValueError, IndexError) as exc:
        return [], f"unreadable reflection response: {exc}"
    return [], "the reflection response holds no file descriptors"


async def reflect(cfg: ClientConfig, service: str, *, run: Callable[[ClientConfig, Callable[[Record], None]],
                                                                    object]) -> list[bytes]:
    """Ask the server (v1, and v1alpha at the same time) for the files defining ``service`` and their imports.

    ``run(cfg, emit)`` runs one connection (an :class:`H2Client`); each round is one connection whose
    records are not shown. Raises :class:`~wiretool.errors.WiretoolError` when reflection is refused.
    """
    from wiretool.errors import WiretoolError
    from wiretool.transport.h2_outcome import Outcome

    files: dict[str, bytes] = {}
    ask: list[bytes] = [reflection_request(symbol=service)]
    errors: list[str] = []
    for _ in range(_MAX_REFLECTION_ROUNDS):
        body = b"".join(frame_message(req) for req in ask)
        specs = [call_spec(cfg.requests[0].url, path, body, headers=[], timeout=None, compress=None)
                 for path in REFLECTION_METHODS]
        got: dict[int, list[bytes]] = {}

        def emit(rec: Record, got: dict[int, list[bytes]] = got) -> None:
            if isinstance(rec, GrpcMessage) and rec.dir == "recv" and not rec.violations:
                got.setdefault(rec.stream_id, []).append(rec.payload)

        outcome = await run(dataclasses.replace(cfg, requests=specs, hexdump=False, stats=False, ping=False), emit)
        assert isinstance(outcome, Outcome)
        new: list[bytes] = []
        for sid in sorted(got):
            for payload in got[sid]:
                found, error = reflection_files(payload)
                new += found
                if error:
                    errors.append(error)
            if new:
                break  # v1 answered: v1alpha's answer is the same
        if not new and not files:
            if outcome.timeout:
                from wiretool.errors import TimeoutExpired

                raise TimeoutExpired(f"server reflection for {service}: {outcome.timeout}")
            statuses = [f"{s.name}: {s.message}" if s.message else s.name for s in outcome.grpc_statuses.values()]
            why = "; ".join(errors or statuses or ["no answer"])
            raise WiretoolError(f"server reflection failed for {service} ({why}): use --protoset instead",
                                ExitCode.REFUSED)
        deps = _store(files, new)
        missing = sorted(deps - files.keys())
        if not missing:
            return list(files.values())
        ask = [reflection_request(filename=name) for name in missing]
    return list(files.values())


def _store(files: dict[str, bytes], new: list[bytes]) -> set[str]:
    """Keep the new files by name; return every import named by the files kept."""
    deps: set[str] = set()
    for raw in new:
        fields = _fields(raw)
        name = next((v for n, v in fields if n == 1 and isinstance(v, bytes)), b"").decode("utf-8", "replace")
        files.setdefault(name, raw)
    for raw in files.values():
        deps |= {v.decode("utf-8", "replace") for n, v in _fields(raw) if n == 3 and isinstance(v, bytes)}
    return deps
