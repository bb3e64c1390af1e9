"""Capture files: what ``--record FILE`` writes and what replay and ``frame decode --capture`` read.

NDJSON, one object per line, flushed per line so that a crash or Ctrl-C loses nothing already seen:

    {"capture": "wiretool", "format": 1, "wiretool": "0.1.0", "proto": "ws", "url": "...",
     "request_headers": [[name, value], ...], "start": "2026-11-22T00:00:00Z"}
    {"kind": "bytes", "dir": "send", "t": 0.001, "b64": "..."}      every chunk as it crossed the socket
    {"kind": "record", "record": {...NDJSON record...}}              the decoded records beside them

The bytes alone rebuild every record (lossless); the records are there for people and for diffs.
Secret headers are redacted unless the writer is told to keep them. ``format`` is versioned: a reader
accepts every format up to its own and refuses a newer one with a clear message.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from wiretool import __version__
from wiretool.errors import UsageError
from wiretool.records import Record
from wiretool.secrets import redact, redact_url
from wiretool.session import Chunk

FORMAT = 1


class CaptureWriter:
    """Append chunks and records to a capture file, one flushed line each."""

    def __init__(self, path: str | Path, *, proto: str, url: str, request_headers: list[tuple[str, str]] = (),
                 show_secrets: bool = False, extra: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        try:
            self._file: IO[str] = self.path.open("w", encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"cannot write capture {path}: {exc.strerror or exc}") from None
        self.show_secrets = show_secrets
        self.proto = proto
        self.failed: str | None = None
        """Why the capture stopped being written (a full disk mid-run): the run goes on, the capture is cut."""
        self._redactors: dict[tuple[int, str], Any] = {}
        self._last_t = 0.0
        header = {
            "capture": "wiretool", "format": FORMAT, "wiretool": __version__, "proto": proto,
            "url": redact_url(url, show_secrets),
            "request_headers": [[n, redact(n, v, show_secrets)] for n, v in request_headers],
            "start": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds"),
            "secrets": "kept" if show_secrets else "redacted",
            **(extra or {}),
        }
        self._line(header)
        if self.failed:  # nothing could be written at all: a usage error before the run starts
            raise UsageError(self.failed)

    def chunk(self, dir: str, t: float, data: bytes, conn: int = 0) -> None:
        """Record bytes exactly as they crossed the socket in direction ``dir`` (``send``/``recv``).

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
        line: dict[str, Any] = {"kind": "bytes", "dir": dir, "t": t, "b64": base64.b64encode(data).decode("ascii")}
        if conn:
            line["conn"] = conn
        self._line(line)

    def _redactor(self, conn: int, dir: str, data: bytes) -> Any:
        from wiretool.capture.redact import H2_PREFACE, H2Redactor, Http1Redactor

        key = (conn, dir)
        red = self._redactors.get(key)
        if red is None:
            other_dir = {"send": "recv", "recv": "send", "c2s": "s2c", "s2c": "c2s"}.get(dir, "send")
            other = self._redactors.get((conn, other_dir))
            h2 = self.proto == "h2" or isinstance(other, H2Redactor) or (
                dir in ("send", "c2s") and data.startswith(H2_PREFACE))
            red = self._redactors[key] = H2Redactor() if h2 else Http1Redactor()
        return red

    def record(self, record: Record | dict[str, Any]) -> None:
        """Record a decoded record beside the bytes."""
        obj = record if isinstance(record, dict) else record.to_json()
        self._line({"kind": "record", "record": obj})

    def close(self) -> None:
        """Write what a redactor still holds (a head cut short), then close the file."""
        if not self._file.closed:
            for (conn, dir), red in list(self._redactors.items()):
                rest = red.flush()
                if rest:
                    line: dict[str, Any] = {"kind": "bytes", "dir": dir, "t": self._last_t,
                                            "b64": base64.b64encode(rest).decode("ascii")}
                    if conn:
                        line["conn"] = conn
                    self._line(line)
            try:
                self._file.close()
            except OSError:
                pass  # the failure was reported when it happened

    def __enter__(self) -> CaptureWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _line(self, obj: dict[str, Any]) -> None:
        if self.failed:
            return
        try:
            self._file.write(json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n")
            self._file.flush()
        except OSError as exc:  # e.g. no space left on device: say so once, keep the run going
            self.failed = f"cannot write capture {self.path}: {exc.strerror or exc}"
            if obj.get("capture") != "wiretool":
                import sys

                sys.stderr.write(f"wiretool: warning: {self.failed}; the capture is incomplete\n")
                sys.stderr.flush()


@dataclass
class Capture:
    """A capture read back: its header, chunks and records in order, and any warning about its end."""

    header: dict[str, Any]
    chunks: list[Chunk] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def proto(self) -> str:
        return str(self.header.get("proto", "ws"))

    def stream(self, dir: str) -> bytes:
        """All bytes of one direction joined, in order."""
        return b"".join(c.data for c in self.chunks if c.dir == dir)


def read_capture(path: str | Path, *, records: bool = True) -> Capture:
    """Read a capture. A truncated last line (a killed writer) is dropped with a warning, not an error.

    ``records=False`` skips the decoded records (replay and ``frame decode --capture`` read only the
    bytes), which makes reading a large capture several times faster.
    """
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise UsageError(f"cannot read capture {path}: {exc.strerror or exc}") from None
    lines = text.split("\n")
    complete_last = text.endswith("\n")
    if not records:  # the header line stays: it is the first line, and it is never a record line
        last = lines[-1:]  # kept whatever it is, so that a truncated last line is still reported
        lines = [line for line in lines[:-1] if not line.startswith('{"kind":"record"')] + last
    items = list(_parse_lines(lines, complete_last, str(path)))
    if not items or items[0][0].get("capture") != "wiretool":
        raise UsageError(f"{path} is not a wiretool capture (no capture header line)")
    header = items[0][0]
    fmt = header.get("format")
    if not isinstance(fmt, int) or isinstance(fmt, bool) or fmt > FORMAT:
        raise UsageError(f"{path} uses capture format {fmt}; this wiretool reads formats up to {FORMAT}")
    _check_header(header, str(path))
    cap = Capture(header=header)
    last_t = 0.0
    for obj, warning in items[1:]:
        if warning:
            cap.warnings.append(warning)
            continue
        kind = obj.get("kind")
        if kind == "bytes":
            b64 = obj.get("b64")
            try:
                if not isinstance(b64, str):
                    raise ValueError
                data = base64.b64decode(b64, validate=True)
            except ValueError:
                cap.warnings.append("a bytes line holds no valid base64; skipped")
                continue
            dir, t, conn = obj.get("dir", "recv"), obj.get("t", 0.0), obj.get("conn", 0)
            if not isinstance(dir, str) or dir not in _DIRS:
                cap.warnings.append(f"a bytes line has an unknown dir {str(dir)[:20]!r}; skipped")
                continue
            if not _is_number(t) or not isinstance(conn, int) or isinstance(conn, bool) or not 0 <= conn < 1 << 31:
                cap.warnings.append("a bytes line holds an invalid t or conn; skipped")
                continue
            t = float(t)
            if not math.isfinite(t) or t < last_t or t > MAX_T:
                cap.warnings.append(f"a bytes line's t ({_short(obj.get('t'))}) is not finite, goes back in time or "
                                    f"is past {MAX_T:g} s; taken as {last_t:g} s")
                t = last_t
            last_t = t
            cap.chunks.append(Chunk(dir, t, data, conn))
        elif kind == "record":
            record = obj.get("record", {})
            if isinstance(record, dict):
                cap.records.append(record)
    return cap


MAX_T = 1e7
"""A chunk's time past this (about 115 days into the run) is taken as corrupt rather than as a pause to keep."""
_DIRS = frozenset({"send", "recv", "c2s", "s2c"})
_HEADER_TYPES: dict[str, type | tuple[type, ...]] = {
    "proto": str, "url": str, "method": str, "request_headers": list, "subprotocols": (list, type(None)),
    "urls": list, "body_b64": (str, type(None)), "origin": (str, type(None)),
}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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


def _parse_lines(lines: list[str], complete_last: bool, name: str) -> Iterator[tuple[dict[str, Any], str]]:
    last = len(lines) - 1
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError) as exc:  # ValueError: bad JSON, or an integer of thousands of digits
            if i == last and not complete_last:
                yield {}, f"{name}: last line is truncated (the writer was stopped mid-line); ignored"
                continue
            why = "is nested too deeply" if isinstance(exc, RecursionError) else "is not valid JSON"
            if isinstance(exc, ValueError) and not isinstance(exc, json.JSONDecodeError):
                why = "holds a number too long to read"
            raise UsageError(f"unreadable capture {name}: line {i + 1} {why}") from None
        if isinstance(obj, dict):
            yield obj, ""
