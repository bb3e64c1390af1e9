"""``Output``: the one object commands hand records to.

``emit(record)`` writes NDJSON (``--json``: one object per line, flushed per line, never coloured) or a
pretty view (rich, via the renderer each protocol names in :mod:`wiretool.protocols`). Commands never
print directly; that keeps ``--json`` clean and every terminal write sanitised.
"""

from __future__ import annotations

import binascii
import codecs
import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from itertools import groupby
from typing import TYPE_CHECKING, Any

import msgspec

from wiretool import protocols
from wiretool.output.env import Environment
from wiretool.output.sanitize import safe_text
from wiretool.records import ErrorRecord, HexOf, Note, Record, Summary

if TYPE_CHECKING:
    from rich.console import Console

Renderer = Callable[[Record, "Output"], None]

_BATCH = 512
"""Lines written together inside :meth:`Output.batched`."""

_MARK = msgspec.Raw(b'"\x01"')
"""What a :class:`~wiretool.records.HexOf` is encoded as: a raw 0x01 byte, which msgspec never writes otherwise
(it escapes every control character inside a string), marks where its hex goes."""

_SPLICED: list[HexOf] = []
"""The :class:`HexOf` values of the encoding under way, in the order of their marks (one thread encodes)."""


def _splice_hook(obj: Any) -> Any:
    if type(obj) is HexOf:
        _SPLICED.append(obj)
        return _MARK
    raise TypeError(f"cannot encode {type(obj).__name__}")


def _plain(obj: Any) -> Any:
    """What the stdlib encoder writes for what only msgspec knows (a line Struct, raw JSON, a HexOf)."""
    if isinstance(obj, msgspec.Struct):
        return msgspec.structs.asdict(obj)
    if isinstance(obj, msgspec.Raw):
        return msgspec.json.decode(bytes(obj))
    if isinstance(obj, HexOf):
        return obj.data.hex()
    raise TypeError(f"cannot encode {type(obj).__name__}")


_ENCODER = msgspec.json.Encoder(enc_hook=_splice_hook)


def _stdlib_dumps(obj: Any) -> str:
    """The stdlib's compact JSON of what msgspec refused. Imported on first use: the stdlib ``json`` package costs
    every start-up about 2 ms, and most runs never need it."""
    import json

    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), default=_plain)


def _dumps(obj: Any) -> str:
    """``obj`` as compact JSON (msgspec; docs/design.md "NDJSON encoding" says why).

    msgspec refuses what json would write with a detour (a lone surrogate in a str, an unknown type): those rare
    objects go through the stdlib encoder, so a hostile peer's bytes can never crash the output.
    """
    mark = len(_SPLICED)
    try:
        line = _ENCODER.encode(obj)
    except (TypeError, ValueError, OverflowError):
        del _SPLICED[mark:]
        return _stdlib_dumps(obj)
    if len(_SPLICED) > mark:
        return _spliced_text(line)
    return line.decode()


def _spliced_text(data: bytes | bytearray) -> str:
    """The text of encoded lines with the hex of each of their :class:`HexOf` at its mark (the text path)."""
    if not _SPLICED:
        return data.decode()
    view, pieces = _spliced_pieces(data)
    text = "".join([bytes(p).decode() if type(p) is memoryview else p.decode() for p in pieces])
    _release(view, pieces)
    return text


def _spliced_pieces(data: bytes | bytearray) -> tuple[memoryview, list[Any]]:
    """``data`` (encoded lines) cut at its marks: views of what msgspec wrote, with the hex of each mark's
    :class:`HexOf` between them (taken off the front of :data:`_SPLICED`, one per mark in ``data``)."""
    view = memoryview(data)
    pieces: list[Any] = []
    start = 0
    taken = 0
    while True:
        at = data.find(1, start)  # the 0x01 between a mark's quotes
        if at < 0:
            break
        pieces.append(view[start:at])
        pieces.append(binascii.hexlify(_SPLICED[taken].data))
        taken += 1
        start = at + 1
    pieces.append(view[start:])
    del _SPLICED[:taken]
    return view, pieces


def _release(view: memoryview, pieces: list[Any]) -> None:
    """Let go of the views into an encoding buffer (a bytearray with views on it cannot be resized)."""
    for piece in pieces:
        if type(piece) is memoryview:
            piece.release()
    view.release()


def _lines(objs: list[Any]) -> bytes | str:
    """NDJSON of ``objs`` as UTF-8 bytes, one encoder call for all of them (a socket read's records); when
    msgspec refuses one, the text of them all (see :func:`_dumps`), which the text layer then writes as before."""
    mark = len(_SPLICED)
    try:
        return _ENCODER.encode_lines(objs)
    except (TypeError, ValueError, OverflowError):
        del _SPLICED[mark:]
        return "".join([_dumps(obj) + "\n" for obj in objs])


_KEEP = 1 << 24
"""The encoding buffer is kept between reads up to this size (bounded memory after one huge line)."""

_INTO = 8
"""A socket read of at most this many records is encoded object by object into one reused buffer (big frames:
no output buffer grown afresh by doubling for every 3 MiB line); more, with one ``encode_lines`` call."""


def _encode_into(objs: list[Any], buf: bytearray) -> bytearray | str:
    """NDJSON of a few ``objs`` into ``buf`` (emptied first), or their text when msgspec refuses one."""
    mark = len(_SPLICED)
    try:
        del buf[:]
        for obj in objs:
            _ENCODER.encode_into(obj, buf, -1)
            buf.append(10)
        return buf
    except (TypeError, ValueError, OverflowError):
        del _SPLICED[mark:]
        return "".join([_dumps(obj) + "\n" for obj in objs])


def _record_line(record: Record) -> str:
    return _dumps(record.to_json()) + "\n"


class Output:
    """Route records to NDJSON or to the pretty renderers, and keep the run's clock."""

    def __init__(self, env: Environment, *, proto: str = "ws", start: float | None = None) -> None:
        self.env = env
        self.proto = proto
        self.start = time.monotonic() if start is None else start
        self._console: Console | None = None
        self._err_console: Console | None = None
        self._renderers: dict[str, Renderer] = {}
        self._json_writers: dict[type, Callable[[Record], str]] = {}
        self._pending: list[str] | None = None
        self._binary: Any = _UNKNOWN
        """stdout's byte stream (see :func:`_byte_stream`), found at the first write."""
        self._out = bytearray()
        """The buffer the lines of a small batch are encoded into (see :data:`_INTO`)."""
        self._dumps = _dumps
        self.options: dict[str, Any] = {}
        """Per-command view options (e.g. ``show='messages'``) that renderers may read."""
        self.cut: Callable[[Record], Record] | None = None
        """``--max-payload``: what each record is shown as (a cut copy of a long payload); the session, its goals
        and the capture still see the whole record."""

    # -- time -------------------------------------------------------------------------------------
    def now(self) -> float:
        """Seconds since the run started: the ``t`` of every record."""
        return round(time.monotonic() - self.start, 6)

    # -- consoles (rich is imported only when a pretty view is really drawn) ----------------------
    @property
    def console(self) -> Console:
        if self._console is None:
            self._console = _make_console(self.env.stdout, self.env.color)
        return self._console

    @property
    def err_console(self) -> Console:
        if self._err_console is None:
            self._err_console = _make_console(self.env.stderr, self.env.color)
        return self._err_console

    # -- records ----------------------------------------------------------------------------------
    def emit(self, record: Record) -> None:
        """Show one record: an NDJSON line (notes skipped), or its pretty view."""
        if self.cut is not None:
            record = self.cut(record)
        if self.env.json:
            if isinstance(record, Note):
                return
            writer = self._json_writers.get(type(record))
            if writer is None:
                writer = self._json_writer(record)
            self._write_line(writer(record))
            return
        self._renderer(record.proto or "common")(record, self)

    def emit_many(self, records: Sequence[Record]) -> None:
        """Show the records of one socket read: under ``--json`` their lines go out in one write and one
        flush (a flood of small frames is bound by that, not by the decoding); else each is drawn.

        The lines are encoded by one msgspec call over each run of records of one type (``json_many``: Structs
        for ws frames and messages) and written as bytes to stdout's byte stream when it has one that takes
        UTF-8, skipping a decode to str and the text layer's encode back (three copies of every line)."""
        if not self.env.json:
            for record in records:
                self.emit(record)
            return
        if self.cut is not None:
            records = list(map(self.cut, records))
        writers = self._json_writers
        parts: list[bytes | str] = []
        objs: list[Any] = []
        for kind, group in groupby(records, type):
            run = list(group)
            writer = writers.get(kind)
            if writer is None:
                if isinstance(run[0], Note):
                    continue
                writer = self._json_writer(run[0])
            if writer is _record_line:
                objs += kind.json_many(run)  # type: ignore[attr-defined]
                continue
            if objs:
                parts.append(_lines(objs))
                objs = []
            parts.extend(writer(record) for record in run)
        if objs:
            if not parts and len(objs) <= _INTO and self._pending is None:
                data = _encode_into(objs, self._out)
                if type(data) is bytearray:
                    self._write_bytes(data)
                    if len(data) > _KEEP:
                        self._out = bytearray()
                    return
                parts.append(data)
            else:
                parts.append(_lines(objs))
        if not parts:
            return
        if self._pending is None and all(type(part) is bytes for part in parts):
            self._write_bytes(b"".join(parts) if len(parts) > 1 else parts[0])  # type: ignore[arg-type]
            return
        text = "".join([part if type(part) is str else _spliced_text(part) for part in parts])  # type: ignore[arg-type]
        if self._pending is not None:
            self._write_line(text)
            return
        out = self.env.stdout
        out.write(text)
        out.flush()

    def json_line(self, record: Record) -> str | None:
        """The NDJSON line ``emit`` would write for ``record`` (None for a note), for a caller that adds to it
        (a pcap's ``conn``) before :meth:`write_line`."""
        if isinstance(record, Note):
            return None
        writer = self._json_writers.get(type(record)) or self._json_writer(record)
        return writer(record)

    def dumps(self, obj: dict[str, Any]) -> str:
        """``obj`` as compact JSON, as every NDJSON line is written."""
        return self._dumps(obj)

    def write_line(self, line: str) -> None:
        """Write one whole NDJSON line (ending in a newline), batched inside :meth:`batched`."""
        self._write_line(line)

    def write_json(self, obj: dict[str, Any]) -> None:
        """Write one NDJSON line and flush it, so a reader piping us sees each record at once."""
        self._write_line(self._dumps(obj) + "\n")

    def _write_line(self, line: str) -> None:
        if self._pending is not None:
            self._pending.append(line)
            if len(self._pending) >= _BATCH:
                self._drain()
            return
        out = self.env.stdout
        out.write(line)
        out.flush()

    def _write_bytes(self, data: bytes | bytearray) -> None:
        """Write whole NDJSON lines (UTF-8) and flush: to stdout's byte stream when it has a UTF-8 one (the text
        layer flushed first, so nothing written before is overtaken), else decoded, through its text layer."""
        binary = self._binary
        if binary is _UNKNOWN:
            binary = self._binary = _byte_stream(self.env.stdout)
        out = self.env.stdout
        if binary is None:
            out.write(_spliced_text(data))
            out.flush()
            return
        out.flush()
        if _SPLICED:  # big payloads: their hex written between the pieces msgspec encoded, straight from hexlify
            view, pieces = _spliced_pieces(data)
            for piece in pieces:
                binary.write(piece)
            _release(view, pieces)
        else:
            binary.write(data)
        binary.flush()

    def _drain(self) -> None:
        if self._pending:
            self.env.stdout.write("".join(self._pending))
            self._pending.clear()
        self.env.stdout.flush()

    @contextlib.contextmanager
    def batched(self) -> Iterator[None]:
        """Write NDJSON lines in batches while decoding input that is already whole (a file, a capture).

        Live sessions flush every line so a reader sees each record at once; a file decode gains
        nothing from that and would pay a write per record.
        """
        if self._pending is not None:
            yield
            return
        self._pending = []
        try:
            yield
        finally:
            pending, self._pending = self._pending, None
            if pending:
                self.env.stdout.write("".join(pending))
            self.env.stdout.flush()

    def _json_writer(self, record: Record) -> Callable[[Record], str]:
        """The line writer of a record type: a protocol's own (registry ``ndjson_writers``; none has one since
        msgspec encodes ``to_json()`` faster than the hand-written writers did), else ``to_json()`` encoded.

        A protocol without fast writers says so in its entry (None); a writers module that fails to import is
        a bug and raises, rather than quietly costing every line a ``to_json()``.
        """
        writers = protocols.part(record.proto, "ndjson_writers")
        writer = writers.get(type(record)) if writers else None
        if writer is None:
            writer = _record_line
        self._json_writers[type(record)] = writer
        return writer

    def note(self, text: str, *, level: str = "info") -> None:
        """A remark for the person watching (pretty mode); not part of the NDJSON contract."""
        self.emit(Note(t=self.now(), proto_name=self.proto, text=text, level=level))

    def error(self, message: str, exit_code: int) -> None:
        """Report the run's failure: an NDJSON ``error`` record under --json, one stderr line always."""
        if self.env.json:
            self.write_json(ErrorRecord(t=self.now(), proto_name=self.proto, message=message,
                                        exit_code=exit_code).to_json())
        err = self.env.stderr
        err.write(f"wiretool: error: {safe_text(message)}\n")
        err.flush()

    def summary(self, exit_code: int, **counts: Any) -> None:
        """The last record of a run."""
        self.emit(Summary(t=self.now(), proto_name=self.proto, exit_code=exit_code, counts=counts))

    def _renderer(self, proto: str) -> Renderer:
        """The protocol's renderer from the registry; the common view for records of no protocol.

        An import error in a protocol's view propagates: it is a bug to see, not a reason to draw the
        fallback view and hide it.
        """
        fn = self._renderers.get(proto)
        if fn is None:
            fn = protocols.part(proto, "renderer") or protocols.load(protocols.COMMON_RENDERER)
            self._renderers[proto] = fn
        return fn


_UNKNOWN = object()


def _byte_stream(stream: Any) -> Any:
    """The byte stream under a text stream that encodes to UTF-8 (``sys.stdout.buffer``), or None (a StringIO,
    another encoding): NDJSON bytes written there are exactly what writing their text would have written."""
    binary = getattr(stream, "buffer", None)
    encoding = getattr(stream, "encoding", None)
    if binary is None or not isinstance(encoding, str) or not callable(getattr(binary, "write", None)):
        return None
    try:
        if codecs.lookup(encoding).name != "utf-8":
            return None
    except LookupError:
        return None
    return binary


def _make_console(stream: Any, color: bool) -> Console:
    from rich.console import Console

    class _Console(Console):
        def on_broken_pipe(self) -> None:
            """Our reader went away (``| head``): let main() end quietly with 0, not rich's exit 1."""
            self.quiet = True
            raise BrokenPipeError

    return _Console(
        file=stream,
        force_terminal=color,
        no_color=not color,
        color_system="auto" if color else None,
        markup=False,
        emoji=False,
        highlight=False,
        soft_wrap=True,
    )
