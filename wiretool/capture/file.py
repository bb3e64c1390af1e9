"""Capture files: what ``--record FILE`` writes and what replay and ``frame decode --capture`` read.

Format 2 (written since issue 14): one JSON header line, then binary blocks (:mod:`wiretool.capture.blocks`):
every chunk of bytes as it crossed a socket, plus a little JSON for what no byte rebuilds (each connection's
protocol, addresses and TLS parameters). Records are not stored: decoding the bytes rebuilds every one of
them, so a capture costs about the bytes on the wire. Each block is written in one ``write`` as it happens,
so a crash loses nothing already seen; a capture cut short ends inside its last block, which is read as far
as it goes with a warning. Format 1 (NDJSON, base64 bytes beside the records) still reads
(:mod:`wiretool.capture.format1`). Secret headers are redacted in the bytes unless the writer is told to
keep them (:mod:`wiretool.capture.redact`). docs/capture-format.md is the specification.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wiretool import __version__
from wiretool.capture.blocks import Corrupt, chunk_block, meta_block, read_blocks
from wiretool.errors import UsageError
from wiretool.records import Record
from wiretool.secrets import redact, redact_url
from wiretool.session import Chunk

FORMAT = 2
"""The format this wiretool writes; it reads every format up to it."""
KEPT_RECORDS = frozenset({("ws", "connect"), ("h2", "connect"), ("h2", "upgrade")})
"""The records no byte rebuilds (where the connection went, over which TLS; the HTTP/1.1 Upgrade heads of
``h2 get --upgrade``, which the capture's bytes do not hold): the only ones a capture keeps."""

Address = tuple[str, int]


class CaptureWriter:
    """Append chunks (and each connection's metadata) to a capture file, one ``write`` per block.

    A run of one connection needs nothing but :meth:`chunk`; a run of several (a proxy, an import) says what
    each one is with :meth:`connection`, so each is decoded with its own protocol's decoder.
    """

    def __init__(self, path: str | Path | None, *, proto: str, url: str, request_headers: list[tuple[str, str]] = (),
                 show_secrets: bool = False, extra: dict[str, Any] | None = None, pcapng: str | Path | None = None,
                 har: str | Path | None = None) -> None:
        """``path`` None writes no capture file, only what ``pcapng`` (:mod:`wiretool.capture.pcapng`, written
        as the run goes) and ``har`` (:mod:`wiretool.capture.har`, written at :meth:`close` from a capture kept
        in a temporary file) ask for; every output is given the same redacted bytes."""
        self._tmp: str | None = None
        if path is None and har is not None:
            import tempfile

            fd, self._tmp = tempfile.mkstemp(prefix="wiretool-", suffix=".wtcap")
            os.close(fd)
            path = self._tmp
        self.path = Path(path) if path is not None else None
        self._har = Path(har) if har is not None else None
        self._fd: int | None = None
        if self.path is not None:
            try:
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            except OSError as exc:
                raise UsageError(f"cannot write capture {path}: {exc.strerror or exc}") from None
        self._pcapng: Any = None
        if pcapng is not None:
            from wiretool.capture.pcapng import PcapngWriter

            self._pcapng = PcapngWriter(pcapng, url=redact_url(url, show_secrets))
        if self._har is not None:
            try:
                self._har.open("a").close()
            except OSError as exc:
                raise UsageError(f"cannot write HAR {har}: {exc.strerror or exc}") from None
        self.show_secrets = show_secrets
        self.proto = proto
        self.failed: str | None = None
        """Why the capture stopped being written (a full disk mid-run): the run goes on, the capture is cut."""
        self._redactors: dict[tuple[int, str], Any] = {}
        self._protos: dict[int, str] = {}
        self._last_t = 0.0
        self._t_us = 0
        self._closed = False
        header = {
            "capture": "wiretool", "format": FORMAT, "wiretool": __version__, "proto": proto,
            "url": redact_url(url, show_secrets),
            "request_headers": [[n, redact(n, v, show_secrets)] for n, v in request_headers],
            "start": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds"),
            "secrets": "kept" if show_secrets else "redacted",
            **(extra or {}),
        }
        self._write((json.dumps(header, separators=(",", ":"), ensure_ascii=False) + "\n").encode("utf-8"),
                    header=True)
        if self.failed:  # nothing could be written at all: a usage error before the run starts
            raise UsageError(self.failed)

    def connection(self, conn: int, *, proto: str, client: Address | None = None, server: Address | None = None,
                   **meta: Any) -> None:
        """Say what connection ``conn`` is: its protocol (``ws``, ``sse``, ``h2``; its decoder), the client's
        and the server's address and port, and anything else known of it (``tls``, ``alpn``, ``sni``,
        ``url``...; JSON values). Call it before its first chunk; calling it again for the same ``conn``
        adds to (or replaces) what was said. ``conn`` is the number its chunks carry."""
        self._protos[conn] = proto
        obj: dict[str, Any] = {"kind": "connection", "conn": conn, "proto": proto}
        if client is not None:
            obj["client"] = [str(client[0]), int(client[1])]
        if server is not None:
            obj["server"] = [str(server[0]), int(server[1])]
        for key, value in meta.items():
            obj[key] = redact_url(value, self.show_secrets) if key == "url" and isinstance(value, str) else value
        self._write(meta_block(obj))
        if self._pcapng is not None:
            self._pcapng.connection(conn, proto=proto, client=client, server=server)

    def chunk(self, dir: str, t: float, data: bytes, conn: int = 0) -> None:
        """Record bytes exactly as they crossed the socket in direction ``dir`` (``send``/``recv``, or a
        watched connection's ``c2s``/``s2c``).

        ``conn`` numbers the connections of a run that opens several (an SSE reconnection): 0, 1, ...
        Without ``show_secrets`` the bytes pass through :mod:`wiretool.capture.redact` first (a head or a
        header block may then be held back until it is whole).
        """
        if not data:
            return
        self._last_t = t
        if not self.show_secrets:
            data = self._redactor(conn, dir, data).feed(data)
            if not data:
                return
        self._chunk(dir, t, data, conn)

    def _chunk(self, dir: str, t: float, data: bytes, conn: int) -> None:
        t_us = round(t * 1e6) if math.isfinite(t) else self._t_us
        dt = t_us - self._t_us if t_us > self._t_us else 0  # a clock that goes back is written as no time
        self._t_us += dt
        self._write(chunk_block(dir, conn, dt, bytes(data)))
        if self._pcapng is not None:
            self._pcapng.chunk(dir, t, data, conn)

    def _redactor(self, conn: int, dir: str, data: bytes) -> Any:
        from wiretool.capture.redact import H2_PREFACE, H2Redactor, Http1Redactor

        key = (conn, dir)
        red = self._redactors.get(key)
        if red is None:
            other = self._redactors.get((conn, _OTHER.get(dir, "")))
            proto = self._protos.get(conn, self.proto)
            h2 = proto in ("h2", "grpc") or isinstance(other, H2Redactor) or \
                (dir in ("send", "c2s") and data.startswith(H2_PREFACE))
            red = self._redactors[key] = H2Redactor() if h2 else Http1Redactor()
        return red

    def record(self, record: Record | dict[str, Any]) -> None:
        """A record of the run: kept only when no byte rebuilds it (:data:`KEPT_RECORDS`), else dropped."""
        if isinstance(record, Record):
            if (record.proto, record.type) not in KEPT_RECORDS:
                return
            record = record.to_json()
        if (record.get("proto"), record.get("type")) in KEPT_RECORDS:
            self._write(meta_block({"kind": "record", "record": record}))
            server = _hostport(record.get("peer") or record.get("address"))
            if server is not None and 0 not in self._protos:  # a client run: its one connection, described
                tls = bool(record.get("tls_version") or record.get("tls"))
                self.connection(0, proto=self.proto, server=server, tls=tls, alpn=record.get("alpn"))

    def close(self) -> None:
        """Write what a redactor still holds (a head cut short), then close the file (and write the HAR)."""
        if self._closed:
            return
        self._closed = True
        for (conn, dir), red in list(self._redactors.items()):
            rest = red.flush()
            if rest:
                self._chunk(dir, self._last_t, rest, conn)
        if self._fd is not None:
            try:
                os.close(self._fd)
            except OSError:
                pass  # the failure was reported when it happened
            self._fd = None
        if self._pcapng is not None:
            self._pcapng.close()
        if self._har is not None and self.path is not None:
            from wiretool.capture.har import write_har

            try:
                write_har(read_capture(self.path), self._har, show_secrets=self.show_secrets)
            except (UsageError, OSError) as exc:
                import sys

                sys.stderr.write(f"wiretool: warning: cannot write HAR {self._har}: {exc}\n")
        if self._tmp is not None:
            os.unlink(self._tmp)

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, block: bytes, header: bool = False) -> None:
        if self.failed or self._fd is None:
            return
        try:
            view = memoryview(block)
            while view:  # a regular file takes it in one write; a pipe or a full disk may take part
                view = view[os.write(self._fd, view):]
        except OSError as exc:  # e.g. no space left on device: say so once, keep the run going
            self.failed = f"cannot write capture {self.path}: {exc.strerror or exc}"
            if not header:
                import sys

                sys.stderr.write(f"wiretool: warning: {self.failed}; the capture is incomplete\n")
                sys.stderr.flush()


def _hostport(text: Any) -> Address | None:
    """``host:port`` (``[v6]:port`` too) from a connect record, or None."""
    if not isinstance(text, str):
        return None
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host.strip("[]"), int(port)


_OTHER = {"send": "recv", "recv": "send", "c2s": "s2c", "s2c": "c2s"}


@dataclass
class Connection:
    """What a capture says of one connection (format 2 ``connection`` blocks; absent in format 1)."""

    conn: int
    proto: str
    client: Address | None = None
    server: Address | None = None
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Capture:
    """A capture read back: its header, chunks in order, its connections, the records it kept, and any
    warning about its end (``cut_short``: its last chunk was cut short mid-write)."""

    header: dict[str, Any]
    chunks: list[Chunk] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    connections: dict[int, Connection] = field(default_factory=dict)
    cut_short: bool = False

    @property
    def proto(self) -> str:
        return str(self.header.get("proto", "ws"))

    @property
    def format(self) -> int:
        return int(self.header.get("format", 1))

    def proto_of(self, conn: int) -> str:
        """The protocol of connection ``conn``: what its ``connection`` block says, else the header's."""
        c = self.connections.get(conn)
        return c.proto if c is not None else self.proto

    def conns(self) -> list[int]:
        """The connections in the order first seen (a ``connection`` block or a first chunk)."""
        seen = dict.fromkeys(self.connections)
        for c in self.chunks:
            seen.setdefault(c.conn)
        return list(seen)

    def only(self, conn: int, chunks: list[Chunk] | None = None) -> Capture:
        """The same capture with the chunks of connection ``conn`` alone (``chunks``, when the caller has
        them already), its protocol in the header."""
        header = {**self.header, "proto": self.proto_of(conn)}
        c = self.connections.get(conn)
        if c is not None and isinstance(c.meta.get("url"), str):
            header["url"] = c.meta["url"]
        mine = [ch for ch in self.chunks if ch.conn == conn] if chunks is None else chunks
        return Capture(header=header, chunks=mine, connections={conn: c} if c is not None else {},
                       cut_short=self.cut_short and bool(self.chunks) and self.chunks[-1].conn == conn)

    def split(self) -> list[Capture]:
        """One capture per connection (:meth:`only`), in the order first seen: one pass over the chunks."""
        by_conn: dict[int, list[Chunk]] = {c: [] for c in self.conns()}
        for ch in self.chunks:
            by_conn[ch.conn].append(ch)
        return [self.only(conn, chunks) for conn, chunks in by_conn.items()]

    def stream(self, dir: str) -> bytes:
        """All bytes of one direction joined, in order."""
        return b"".join(c.data for c in self.chunks if c.dir == dir)


def read_capture(path: str | Path, *, records: bool = True) -> Capture:
    """Read a capture of any format up to :data:`FORMAT`; an unreadable one is a UsageError of one line.

    A capture cut short (a killed writer) is read as far as it goes, with a warning, not an error.
    ``records=False`` skips the records a format-1 capture holds (replay and ``frame decode --capture``
    read only the bytes); format 2 keeps so few that they are always read.
    """
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read capture {path}: {exc.strerror or exc}") from None
    name = str(path)
    header, body = _header_line(raw)
    if header is not None and header.get("format") == 2:
        _check_format(header, name)
        cap = Capture(header=header)
        _read_blocks(cap, raw, body, name)
        return cap
    from wiretool.capture.format1 import parse_lines, read_lines

    text = raw.decode("utf-8", errors="replace")
    lines = text.split("\n")
    first = next(iter(parse_lines(lines[:1] if lines[0].strip() else _first_nonempty(lines), True, name)), None)
    if first is None or first[0].get("capture") != "wiretool":
        raise UsageError(f"{path} is not a wiretool capture (no capture header line)")
    cap = Capture(header=first[0])
    _check_format(cap.header, name)
    read_lines(cap, text, name, records=records)
    return cap


def _first_nonempty(lines: list[str]) -> list[str]:
    return next(([line] for line in lines if line.strip()), [])


def _header_line(raw: bytes) -> tuple[dict[str, Any] | None, int]:
    """The JSON object of the first line and where the blocks begin, or (None, 0) if it is no such line."""
    nl = raw.find(b"\n", 0, 1 << 20)
    if nl < 0:
        return None, 0
    try:
        obj = json.loads(raw[:nl])
    except (ValueError, RecursionError):
        return None, 0
    return (obj, nl + 1) if isinstance(obj, dict) and obj.get("capture") == "wiretool" else (None, 0)


def _check_format(header: dict[str, Any], name: str) -> None:
    fmt = header.get("format")
    if not isinstance(fmt, int) or isinstance(fmt, bool) or fmt > FORMAT:
        raise UsageError(f"{name} uses capture format {fmt}; this wiretool reads formats up to {FORMAT}")
    _check_header(header, name)


def _read_blocks(cap: Capture, raw: bytes, pos: int, name: str) -> None:
    t_us = 0
    last_t = 0.0
    try:
        for block in read_blocks(raw, pos):
            if block.dir is None:
                if block.short:
                    cap.warnings.append(f"{name}: the last block is cut short (the writer was stopped mid-write); "
                                        "ignored")
                elif block.meta is not None:
                    _meta(cap, block.meta)
                continue
            if not 0 <= block.conn < 1 << 31:
                raise Corrupt(f"a chunk names connection {block.conn}")
            t_us += block.dt_us
            last_t = checked_t(cap, t_us / 1e6, last_t, t_us / 1e6)
            if block.data:
                cap.chunks.append(Chunk(block.dir, last_t, block.data, block.conn))
            if block.short:
                cap.cut_short = True
                cap.warnings.append(f"{name}: the last chunk is cut short ({len(block.data)} of "
                                    f"{len(block.data) + block.short} bytes: the writer was stopped mid-write); "
                                    "read as far as it goes")
    except Corrupt as exc:
        raise UsageError(f"unreadable capture {name}: {exc}") from None


def _meta(cap: Capture, obj: dict[str, Any]) -> None:
    """A meta block: a connection's metadata (merged with what an earlier block said), or a kept record."""
    kind = obj.get("kind")
    if kind == "record" and isinstance(obj.get("record"), dict):
        cap.records.append(obj["record"])
    elif kind == "connection":
        conn, proto = obj.get("conn"), obj.get("proto")
        if not isinstance(conn, int) or isinstance(conn, bool) or not 0 <= conn < 1 << 31 or not isinstance(proto, str):
            cap.warnings.append("a connection block names no valid conn and proto; skipped")
            return
        c = cap.connections.get(conn) or Connection(conn, proto)
        c.proto = proto
        c.client = _address(obj.get("client")) or c.client
        c.server = _address(obj.get("server")) or c.server
        c.meta.update({k: v for k, v in obj.items() if k not in ("kind", "conn", "proto", "client", "server")})
        cap.connections[conn] = c


def _address(value: Any) -> Address | None:
    if (isinstance(value, list) and len(value) == 2 and isinstance(value[0], str) and isinstance(value[1], int)
            and not isinstance(value[1], bool) and 0 <= value[1] < 65536):
        return value[0], value[1]
    return None


def checked_t(cap: Capture, t: float, last_t: float, shown: Any) -> float:
    """A chunk's ``t``, or the previous one (with a warning) when it is not finite, goes back or is past MAX_T."""
    if not math.isfinite(t) or t < last_t or t > MAX_T:
        cap.warnings.append(f"a bytes line's t ({_short(shown)}) is not finite, goes back in time or "
                            f"is past {MAX_T:g} s; taken as {last_t:g} s")
        return last_t
    return t


MAX_T = 1e7
"""A chunk's time past this (about 115 days into the run) is taken as corrupt rather than as a pause to keep."""
DIRS = frozenset({"send", "recv", "c2s", "s2c"})
_HEADER_TYPES: dict[str, type | tuple[type, ...]] = {
    "proto": str, "url": str, "method": str, "request_headers": list, "subprotocols": (list, type(None)),
    "urls": list, "body_b64": (str, type(None)), "origin": (str, type(None)),
}


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 24 else text[:21] + "..."


def _check_header(header: dict[str, Any], name: str) -> None:
    """Refuse a header whose fields have the wrong shape (a tampered file) with one line, before anything uses it."""
    for key, kind in _HEADER_TYPES.items():
        if key in header and not isinstance(header[key], kind):
            raise UsageError(f"unreadable capture {name}: header field {key!r} is not a {_kind_name(kind)}")
    for pair in header.get("request_headers", []):
        if not (isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair)):
            raise UsageError(f"unreadable capture {name}: request_headers must be a list of [name, value] strings")
    for url in header.get("urls", []):
        if not isinstance(url, str):
            raise UsageError(f"unreadable capture {name}: urls must be a list of strings")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join({"str": "string", "list": "list", "NoneType": "null"}[k.__name__] for k in kinds)


