"""A gRPC call over :class:`~wiretool.transport.h2.H2Client`: request headers and body, server
reflection, and the mapping of the call's end onto the exit codes.

gRPC over HTTP/2 (grpc/doc/PROTOCOL-HTTP2.md) is a POST to ``/package.Service/Method`` with
``content-type: application/grpc`` and ``te: trailers``; each message is framed with 5 bytes
(compressed flag, 4-byte length) and the status comes in the trailers. The frame view already shows
the messages and the status (``codec/grpcview.py``); this module only builds the call and reads the end.
"""

from __future__ import annotations

import base64
import dataclasses
import math
import zlib
from collections.abc import Callable

from wiretool.codec.grpc import status_name
from wiretool.codec.protobuf import read_varint, write_varint
from wiretool.exitcodes import ExitCode, grpc_exit_code
from wiretool.records import Record
from wiretool.records.grpc import GrpcMessage, GrpcStatus
from wiretool.transport.h2_outcome import ClientConfig, Outcome, RequestSpec, exit_code

REFLECTION_METHODS = ("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo")
_MAX_REFLECTION_ROUNDS = 8


def frame_message(payload: bytes, compress: str | None = None) -> bytes:
    """The 5-byte prefix and the payload (gzip- or deflate-compressed with ``compress``)."""
    flag = 0
    if compress == "gzip":
        c = zlib.compressobj(wbits=16 + zlib.MAX_WBITS)
        payload, flag = c.compress(payload) + c.flush(), 1
    elif compress == "deflate":
        payload, flag = zlib.compress(payload), 1
    return bytes([flag]) + len(payload).to_bytes(4, "big") + payload


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
        detail = f": {status.message}" if status.message else ""
        return grpc_exit_code(status.code), f"grpc-status {status.code} {status.name}{detail}", status, made
    code, message = exit_code(outcome)
    if code == ExitCode.OK and status is None:
        return ExitCode.ABNORMAL_CLOSE, "the call ended without a status", None, made
    return code, message, status, made


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
