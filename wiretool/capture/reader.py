"""Reading captures back: :class:`Capture` (header, chunks, connections, kept records, warnings) and
:func:`read_capture` for every format up to :data:`FORMAT` (format 1 by :mod:`wiretool.capture.format1`,
format 2's blocks by :mod:`wiretool.capture.blocks`). docs/capture-format.md, "Reading rules", is what it does.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wiretool.capture.blocks import Corrupt, read_blocks
from wiretool.errors import UsageError
from wiretool.session import Chunk

FORMAT = 2
"""The format this wiretool writes; it reads every format up to it."""

Address = tuple[str, int]


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


