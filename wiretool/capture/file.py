"""Capture files: what ``--record FILE`` writes and what replay and ``frame decode --capture`` read.

Format 2 (written since issue 14): one JSON header line, then binary blocks (:mod:`wiretool.capture.blocks`):
every chunk of bytes as it crossed a socket, plus a little JSON for what no byte rebuilds (each connection's
protocol, addresses and TLS parameters). Records are not stored: decoding the bytes rebuilds every one of
them, so a capture costs about the bytes on the wire. Each block is written in one ``write`` as it happens,
so a crash loses nothing already seen; a capture cut short ends inside its last block, which is read as far
as it goes with a warning. Format 1 (NDJSON, base64 bytes beside the records) still reads
(:mod:`wiretool.capture.format1`). Secret headers are redacted in the bytes unless the writer is told to
keep them (:mod:`wiretool.capture.redact`). Reading is :mod:`wiretool.capture.reader` (re-exported here).
docs/capture-format.md is the specification.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from pathlib import Path
from typing import Any

from wiretool import __version__
from wiretool.capture.blocks import chunk_block, meta_block
from wiretool.capture.reader import FORMAT, Address, Capture, Connection, read_capture
from wiretool.errors import UsageError
from wiretool.records import Record
from wiretool.secrets import redact, redact_url
from wiretool.session import Chunk

KEPT_RECORDS = frozenset({("ws", "connect"), ("h2", "connect"), ("h2", "upgrade")})
"""The records no byte rebuilds (where the connection went, over which TLS; the HTTP/1.1 Upgrade heads of
``h2 get --upgrade``, which the capture's bytes do not hold): the only ones a capture keeps."""

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

    @property
    def pcapng(self) -> Any:
        """The :class:`~wiretool.capture.pcapng.PcapngWriter` given the same bytes, or None."""
        return self._pcapng

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
        if not isinstance(record, dict):  # a Record, or a wrapper of one (a proxy's OnConn, a Viewed record)
            if (getattr(record, "proto", None), getattr(record, "type", None)) not in KEPT_RECORDS:
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


__all__ = ["FORMAT", "KEPT_RECORDS", "Capture", "CaptureWriter", "Chunk", "Connection", "read_capture"]
