"""The HTTP/2 frame view: bytes in, :class:`~wiretool.records.h2.H2Frame` records out. Pure, lenient, bounded.

One :class:`H2FrameView` watches one connection. Each direction (``send``/``recv``) has its own buffer,
its own HPACK decoder fed in wire order, its own open header block and its own frame size limit (the
SETTINGS_MAX_FRAME_SIZE the *other* side announced). HEADERS and CONTINUATION stay separate frames,
as on the wire; the decoded header list is attached to the frame that ends the block (END_HEADERS).

Nothing here raises on hostile input: malformed frames become :class:`Violation` entries naming the
RFC 9113 section. Memory is bounded: a frame larger than the limit is skipped rather than buffered,
and a header block is kept only up to ``max_header_block`` bytes (a CONTINUATION flood or an HPACK
bomb costs a counter, not memory).
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING

from hyperframe.frame import FRAMES

from wiretool.codec.h2hpack import HpackError, HpackReader
from wiretool.codec.h2names import error_name, flag_names, frame_type_name, setting_name
from wiretool.codec.h2streams import StreamRules
from wiretool.records import Record, Violation
from wiretool.records.h2 import H2Frame, H2Preface

if TYPE_CHECKING:
    from wiretool.codec.grpcview import GrpcStreams

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DEFAULT_MAX_FRAME_SIZE = 16_384
DEFAULT_MAX_HEADER_BLOCK = 64 * 1024

DATA, HEADERS, PRIORITY, RST_STREAM, SETTINGS, PUSH_PROMISE, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = range(10)
_MEMORY_REPR = re.compile(r"<memory at 0x[0-9a-fA-F]+>")

_NEEDS_STREAM = frozenset({DATA, HEADERS, PRIORITY, RST_STREAM, PUSH_PROMISE, CONTINUATION})
_NO_STREAM = frozenset({SETTINGS, PING, GOAWAY})
_FIXED_LENGTH = {PRIORITY: (5, "6.3"), RST_STREAM: (4, "6.4"), PING: (8, "6.7"), WINDOW_UPDATE: (4, "6.9")}
_HEADER = struct.Struct(">HBBBL")
_GRPC_TYPES = frozenset({DATA, HEADERS, RST_STREAM, PUSH_PROMISE, CONTINUATION})
_MAX_WINDOW = 2**31 - 1


def _v(code: str, section: str, message: str) -> Violation:
    return Violation(code, f"RFC 9113 §{section}", message)


_OPPOSITE = {"send": "recv", "recv": "send", "c2s": "s2c", "s2c": "c2s"}


class _Direction:
    """The state of one direction of the connection."""

    __slots__ = ("block", "block_len", "block_stream", "buf", "first_frame", "hpack", "hpack_broken",
                 "max_frame_size", "name", "need", "offset", "preface", "settings_first", "skip")

    def __init__(self, name: str, preface: str, max_header_block: int, show_secrets: bool) -> None:
        self.name = name
        self.buf = bytearray()
        self.offset = 0  # bytes of this direction consumed so far (absolute offset of buf[0])
        self.need = 0  # len(buf) at which parsing can progress again (a whole frame header, or frame)
        self.preface = preface  # "expect" | "auto" | "done"
        self.settings_first = preface == "expect"
        self.first_frame = True
        self.skip = 0  # body bytes of an oversized frame still to skip
        self.max_frame_size = DEFAULT_MAX_FRAME_SIZE
        self.hpack = HpackReader(max_header_list_size=max_header_block, show_secrets=show_secrets)
        self.hpack_broken = False
        self.block: bytearray | None = None
        self.block_len = 0
        self.block_stream: int | None = None


class H2FrameView:
    """Split both directions of an HTTP/2 connection into frame records.

    ``preface`` says what the start of each direction holds: ``{"send": "expect", "recv": "none"}``
    for a client's own connection, ``"auto"`` to detect the client preface (``frame decode``).
    Call :meth:`feed` with every chunk in the order it crossed the socket, then :meth:`finish` at EOF.

    ``grpc`` (True, or a :class:`~wiretool.codec.grpcview.GrpcStreams` carrying a schema) also follows
    gRPC streams: their messages and status come out as records right after the frame that completed them.

    ``roles`` says which direction is the client and which the server for the stream-state and flow-control
    rules (:class:`~wiretool.codec.h2streams.StreamRules`); the default takes ``send`` for the client.
    """

    def __init__(self, *, clock: Callable[[], float] | None = None, keep_data: bool = False,
                 hpack_entries: bool = False, show_secrets: bool = False, offsets: bool = False,
                 preface: dict[str, str] | None = None, settings_first: dict[str, bool] | None = None,
                 max_header_block: int = DEFAULT_MAX_HEADER_BLOCK, grpc: bool | GrpcStreams = False,
                 roles: dict[str, str] | None = None) -> None:
        self._t = 0.0  # the time of the chunk being fed through a direction's codec (see codec())
        self._clock = clock or self._chunk_time
        self.keep_data = keep_data
        self.hpack_entries = hpack_entries
        self.show_secrets = show_secrets
        self.offsets = offsets
        self.max_header_block = max_header_block
        named = set(preface or ())
        # the defaults are a client's own two directions; a watched connection names its own (c2s, s2c)
        defaults = {"send": "expect", "recv": "none"} if named <= {"send", "recv"} else {}
        modes = {**defaults, **(preface or {})}
        self._dirs = {name: _Direction(name, mode if mode != "none" else "done", max_header_block, show_secrets)
                      for name, mode in modes.items()}
        for name, flag in (settings_first or {}).items():
            self._dirs[name].settings_first = flag
        self.frames = 0
        self.violations = 0
        self.grpc: GrpcStreams | None = None
        if grpc is True:
            from wiretool.codec.grpcview import GrpcStreams

            self.grpc = GrpcStreams()
        elif grpc:
            self.grpc = grpc
        self._data: bytes | None = None  # the last DATA payload, for the gRPC view
        self._streams = StreamRules(roles)

    # -- public --------------------------------------------------------------------------------------
    def feed(self, direction: str, data: bytes) -> list[Record]:
        """Take the next chunk of ``direction``; return the records of every frame it completed.

        Bytes of an unfinished frame are appended to one buffer and looked at again only once the
        frame's ``need`` is met, so a large frame arriving in many small reads costs linear time.
        """
        d = self._dirs[direction]
        out: list[Record] = []
        if d.buf:
            d.buf += data
            if len(d.buf) < d.need:
                return out  # the frame in progress is still short: nothing to parse, nothing to copy
            src: bytes | bytearray = d.buf
        else:
            src = data
        pos = 0
        d.need = 0
        if d.preface != "done":
            pos = self._preface(d, src, out)
            if d.preface != "done":
                d.buf = bytearray(src)
                return out
        pos = self._frames(d, src, pos, out)
        d.offset += pos
        # A fresh buffer for the rest: the old one may still be viewed by a memoryview of a frame body.
        d.buf = bytearray(src[pos:]) if pos < len(src) else bytearray()
        return out

    def finish(self, direction: str) -> list[Record]:
        """End of ``direction``: report a truncated frame or an unfinished header block (§4.1, §6.10)."""
        d = self._dirs[direction]
        out: list[Record] = []
        rest = len(d.buf)
        if d.preface != "done" and rest:
            out.append(self._count(H2Preface(t=self._clock(), dir=d.name, length=rest, valid=False,
                                              offset=self._offset(d, 0),
                                              violations=(_v("truncated_preface", "3.4",
                                                             f"stream ended after {rest} bytes of the preface"),))))
        elif d.skip or rest:
            name, length = "INCOMPLETE", rest
            if rest >= 9:
                hi, lo, typ, _, _ = _HEADER.unpack_from(d.buf, 0)
                name, length = frame_type_name(typ), (hi << 8) | lo
            missing = d.skip or (length + 9 - rest if rest >= 9 else 9 - rest)
            out.append(self._count(H2Frame(
                t=self._clock(), dir=d.name, frame_type=name, length=length, offset=self._offset(d, 0),
                violations=(_v("truncated_frame", "4.1", f"stream ended {missing} bytes before the frame did"),))))
        elif d.block_stream is not None:
            out.append(self._count(H2Frame(
                t=self._clock(), dir=d.name, frame_type="INCOMPLETE", stream_id=d.block_stream,
                violations=(_v("unfinished_header_block", "6.10",
                               "stream ended inside a header block (no END_HEADERS)"),))))
        d.buf = bytearray()
        d.skip = d.need = 0
        if self.grpc is not None:
            out += self.grpc.finish(self._clock(), direction)
        return out

    def codec(self, direction: str) -> H2DirectionCodec:
        """One direction as a codec of the session contract (``feed(data, t)``, ``finish(t)``).

        The two directions of a connection share this view, as they must: a HEADERS frame of one side is
        checked against the SETTINGS of the other, and a gRPC stream is followed both ways.
        """
        return H2DirectionCodec(self, direction)

    def set_clock(self, clock: Callable[[], float]) -> None:
        """Stamp frames with ``clock`` from now on (a client learns the run's clock when its run starts)."""
        self._clock = clock

    def _chunk_time(self) -> float:
        return self._t

    def table_size(self, direction: str) -> int:
        """Current size of the HPACK dynamic table of ``direction`` (RFC 7541 §4.1)."""
        return self._dirs[direction].hpack.table_size

    def lose_hpack_table(self, direction: str) -> None:
        """``direction`` is watched from past its start (a capture's gap, or one begun mid-connection): its
        HPACK table's earlier entries are unknown, so references to them are named, not refused."""
        self._dirs[direction].hpack.lose_table()

    def lost_hpack_refs(self, direction: str) -> int:
        """How many header fields of ``direction`` referred to entries lost with :meth:`lose_hpack_table`."""
        return self._dirs[direction].hpack.lost_refs

    # -- preface -------------------------------------------------------------------------------------
    def _preface(self, d: _Direction, src: bytes | bytearray, out: list[Record]) -> int:
        n = min(len(src), len(PREFACE))
        head = bytes(src[:n])
        if head == PREFACE[:n]:
            if n < len(PREFACE):
                return 0  # wait for the rest
            out.append(self._count(H2Preface(t=self._clock(), dir=d.name, offset=self._offset(d, 0))))
            d.preface = "done"
            d.settings_first = True
            return len(PREFACE)
        if d.preface == "auto" and not head.startswith(b"PRI"):
            d.preface = "done"  # a server's direction, or a capture of frames only
            return 0
        if len(src) < len(PREFACE) and head.startswith(b"PRI"):
            return 0
        if head.startswith(b"PRI"):
            viol = _v("invalid_preface", "3.4", "the client connection preface is not PRI * HTTP/2.0 SM")
            out.append(self._count(H2Preface(t=self._clock(), dir=d.name, valid=False, offset=self._offset(d, 0),
                                             violations=(viol,))))
            d.preface = "done"
            return len(PREFACE)
        viol = _v("missing_preface", "3.4", "the client did not start with the connection preface")
        out.append(self._count(H2Preface(t=self._clock(), dir=d.name, length=0, valid=False,
                                         offset=self._offset(d, 0), violations=(viol,))))
        d.preface = "done"
        return 0

    # -- frames --------------------------------------------------------------------------------------
    def _frames(self, d: _Direction, src: bytes | bytearray, pos: int, out: list[Record]) -> int:
        n = len(src)
        while True:
            if d.skip:
                k = min(d.skip, n - pos)
                pos += k
                d.skip -= k
                if d.skip:
                    return pos
            if n - pos < 9:
                d.need = 9
                return pos
            hi, lo, typ, flags, sid = _HEADER.unpack_from(src, pos)
            length = (hi << 8) | lo
            sid &= 0x7FFFFFFF
            if length > d.max_frame_size:
                out.append(self._oversized(d, typ, flags, sid, length, pos))
                d.skip = length
                pos += 9
                continue
            end = pos + 9 + length
            if end > n:
                d.need = 9 + length
                return pos
            rec = self._frame(d, typ, flags, sid, length, memoryview(src)[pos + 9:end], pos)
            out.append(rec)
            if self.grpc is not None and typ in _GRPC_TYPES:
                out += self.grpc.on_frame(rec, self._data)  # type: ignore[arg-type]
                self._data = None
            pos = end

    def _oversized(self, d: _Direction, typ: int, flags: int, sid: int, length: int, pos: int) -> H2Frame:
        viol = [_v("frame_too_large", "4.2",
                   f"{length} bytes is larger than SETTINGS_MAX_FRAME_SIZE {d.max_frame_size}; body skipped")]
        if typ in (HEADERS, PUSH_PROMISE, CONTINUATION):
            self._lose_hpack(d)
            d.block, d.block_stream = None, None
        self._first(d, typ, viol)
        return self._count(H2Frame(t=self._clock(), dir=d.name, frame_type=frame_type_name(typ), type_code=typ,
                                   length=length, flags=_flags(typ, flags), stream_id=sid,
                                   offset=self._offset(d, pos), violations=tuple(viol)))

    def _frame(self, d: _Direction, typ: int, flags: int, sid: int, length: int, body: memoryview,
               pos: int) -> H2Frame:
        viol: list[Violation] = []
        f: dict[str, object] = {}
        self._first(d, typ, viol)
        if typ in _NEEDS_STREAM and sid == 0:
            viol.append(_v("stream_id_required", _section(typ), f"{frame_type_name(typ)} on stream 0"))
        elif typ in _NO_STREAM and sid != 0:
            viol.append(_v("stream_id_forbidden", _section(typ), f"{frame_type_name(typ)} on stream {sid}, not 0"))
        if d.block_stream is not None and typ != CONTINUATION:
            viol.append(_v("continuation_expected", "6.10",
                           f"{frame_type_name(typ)} inside the header block of stream {d.block_stream}"))
            self._lose_hpack(d)
            d.block, d.block_stream = None, None
        fixed = _FIXED_LENGTH.get(typ)
        if fixed and length != fixed[0]:
            viol.append(_v("frame_size_error", fixed[1],
                           f"{frame_type_name(typ)} must be {fixed[0]} bytes long, not {length}"))
        elif typ == SETTINGS and (length % 6 or (flags & 1 and length)):
            viol.append(_v("frame_size_error", "6.5", "SETTINGS length must be a multiple of 6 and 0 with ACK"))
        elif typ == GOAWAY and length < 8:
            viol.append(_v("frame_size_error", "6.8", f"GOAWAY needs at least 8 bytes, not {length}"))
        elif typ == PUSH_PROMISE and length < 4 + (1 if flags & 8 else 0):
            viol.append(_v("frame_size_error", "6.6", "PUSH_PROMISE too short for its promised stream ID"))
        elif typ == WINDOW_UPDATE:
            # Parsed here: hyperframe refuses an increment of 0, which we want to show and name.
            inc = int.from_bytes(body, "big") & _MAX_WINDOW
            f["window_increment"] = inc
            if inc == 0:
                viol.append(_v("window_update_zero", "6.9", "WINDOW_UPDATE with an increment of 0"))
        elif typ == DATA:
            self._data_body(typ, flags, body, f, viol)
        else:
            cls = FRAMES.get(typ)
            if cls is not None:
                try:
                    frame = cls(0 if cls.stream_association == "no-stream" else 1)
                    frame.stream_id = sid
                    frame.parse_flags(flags)
                    frame.parse_body(body)
                except Exception as exc:  # hyperframe raises several types on malformed bodies
                    viol.append(_v("malformed_frame", _section(typ), f"{type(exc).__name__}: {exc}"))
                else:
                    self._fields(d, typ, flags, sid, frame, f, viol)
        body.release()
        viol += self._streams.on_frame(d.name, typ, flags, sid, length, f)
        return self._count(H2Frame(t=self._clock(), dir=d.name, frame_type=frame_type_name(typ), type_code=typ,
                                   length=length, flags=_flags(typ, flags), stream_id=sid,
                                   offset=self._offset(d, pos), violations=tuple(viol), **f))  # type: ignore[arg-type]

    def _data_body(self, typ: int, flags: int, body: memoryview, f: dict[str, object], viol: list[Violation]) -> None:
        """DATA parsed here, not by hyperframe: it is nearly every frame of a stream (a gRPC call's messages), and
        building a hyperframe DataFrame per frame was a tenth of ``h2 grpc``'s time. Same rules (§6.1), same
        messages as hyperframe's ``parse_padding_data``/``parse_body``, so the records do not change."""
        if flags & 8:  # PADDED
            if not body:
                viol.append(_v("malformed_frame", _section(typ), "InvalidFrameError: Invalid Padding data"))
                return
            pad = body[0]
            if pad and pad >= len(body):
                viol.append(_v("malformed_frame", _section(typ), "InvalidPaddingError: Padding is too long."))
                return
            data = body[1:len(body) - pad].tobytes()
            f["data_length"] = len(data)
            f["padding"] = pad
        else:
            data = body.tobytes()
            f["data_length"] = len(data)
        self._data = data
        if self.keep_data:
            f["data"] = data

    def _fields(self, d: _Direction, typ: int, flags: int, sid: int, frame: object, f: dict[str, object],
                viol: list[Violation]) -> None:
        """Copy what this frame type carries into record fields, checking what the RFC asks."""
        fr: object = frame
        if typ == DATA:
            f["data_length"] = len(fr.data)  # type: ignore[attr-defined]
            self._data = fr.data  # type: ignore[attr-defined]
            if flags & 8:
                f["padding"] = fr.pad_length  # type: ignore[attr-defined]
            if self.keep_data:
                f["data"] = fr.data  # type: ignore[attr-defined]
        elif typ in (HEADERS, PUSH_PROMISE):
            if flags & 8:
                f["padding"] = fr.pad_length  # type: ignore[attr-defined]
            if typ == HEADERS and flags & 0x20:
                f["priority"] = self._priority(sid, fr, viol)
            if typ == PUSH_PROMISE:
                promised = fr.promised_stream_id  # type: ignore[attr-defined]
                f["promised_stream_id"] = promised
                if promised == 0 or promised % 2:
                    viol.append(_v("bad_promised_stream", "6.6", f"promised stream {promised} is not an even ID"))
            self._start_block(d, sid, fr.data, bool(flags & 4), f, viol)  # type: ignore[attr-defined]
        elif typ == CONTINUATION:
            self._continue_block(d, sid, fr.data, bool(flags & 4), f, viol)  # type: ignore[attr-defined]
        elif typ == SETTINGS:
            f["settings"] = self._settings(d, fr.settings, viol)  # type: ignore[attr-defined]
        elif typ == RST_STREAM:
            f["error_code"] = error_name(fr.error_code)  # type: ignore[attr-defined]
        elif typ == GOAWAY:
            f["last_stream_id"] = fr.last_stream_id  # type: ignore[attr-defined]
            f["error_code"] = error_name(fr.error_code)  # type: ignore[attr-defined]
            extra = fr.additional_data  # type: ignore[attr-defined]
            if extra:
                f["debug_data"] = extra.decode("utf-8", "backslashreplace")
        elif typ == PING:
            f["ping_data"] = fr.opaque_data.hex()  # type: ignore[attr-defined]
        elif typ == PRIORITY:
            f["priority"] = self._priority(sid, fr, viol)

    @staticmethod
    def _priority(sid: int, fr: object, viol: list[Violation]) -> dict[str, object]:
        dep = fr.depends_on & 0x7FFFFFFF  # type: ignore[attr-defined]
        if dep == sid:
            viol.append(_v("self_dependency", "5.3.1", f"stream {sid} depends on itself"))
        return {"depends_on": dep, "weight": fr.stream_weight + 1,  # type: ignore[attr-defined]
                "exclusive": bool(fr.exclusive)}  # type: ignore[attr-defined]

    def _settings(self, d: _Direction, values: dict[int, int], viol: list[Violation]) -> dict[str, int]:
        other = self._other(d)
        named: dict[str, int] = {}
        for code, value in values.items():
            named[setting_name(code)] = value
            if code in (0x2, 0x8) and value > 1:
                viol.append(_v("bad_setting", "6.5.2", f"{setting_name(code)} must be 0 or 1, not {value}"))
            elif code == 0x4 and value > _MAX_WINDOW:
                viol.append(_v("bad_setting", "6.5.2", f"INITIAL_WINDOW_SIZE {value} is above 2^31-1"))
            elif code == 0x5:
                if not DEFAULT_MAX_FRAME_SIZE <= value <= 2**24 - 1:
                    viol.append(_v("bad_setting", "6.5.2", f"MAX_FRAME_SIZE {value} is outside 16384..16777215"))
                elif other is not None:
                    other.max_frame_size = value
            elif code == 0x1 and other is not None:
                other.hpack.allow_table_size(value)
        return named

    # -- header blocks -------------------------------------------------------------------------------
    def _start_block(self, d: _Direction, sid: int, fragment: bytes, end: bool, f: dict[str, object],
                     viol: list[Violation]) -> None:
        d.block_stream = sid
        d.block_len = len(fragment)  # what _add_fragment does for a first fragment, without the call per block
        if d.block_len > self.max_header_block:
            d.block = None
            self._too_large(d, viol)
        else:
            d.block = bytearray(fragment)
        if end:
            self._end_block(d, f, viol)

    def _continue_block(self, d: _Direction, sid: int, fragment: bytes, end: bool, f: dict[str, object],
                        viol: list[Violation]) -> None:
        if d.block_stream is None:
            viol.append(_v("continuation_unexpected", "6.10",
                           f"CONTINUATION on stream {sid} without an open HEADERS or PUSH_PROMISE"))
            self._lose_hpack(d)
            return
        if sid != d.block_stream:
            viol.append(_v("continuation_wrong_stream", "6.10",
                           f"CONTINUATION on stream {sid} inside the header block of stream {d.block_stream}"))
        self._add_fragment(d, fragment, end, f, viol)

    def _add_fragment(self, d: _Direction, fragment: bytes, end: bool, f: dict[str, object],
                      viol: list[Violation]) -> None:
        """Keep a header block fragment while the block stays under ``max_header_block``; decode it at the end."""
        d.block_len += len(fragment)
        if d.block is not None:
            if d.block_len > self.max_header_block:
                d.block = None
                self._too_large(d, viol)
            else:
                d.block += fragment
        if end:
            self._end_block(d, f, viol)

    def _too_large(self, d: _Direction, viol: list[Violation]) -> None:
        viol.append(_v("header_block_too_large", "10.5.1",
                       f"header block over {self.max_header_block} bytes; not kept or decoded"))
        self._lose_hpack(d)

    def _end_block(self, d: _Direction, f: dict[str, object], viol: list[Violation]) -> None:
        block, d.block, d.block_stream = d.block, None, None
        if block is None:
            return
        if d.hpack_broken:
            viol.append(Violation("hpack_state_lost", "RFC 7541 §2.2",
                                  "an earlier header block was lost, so this one cannot be decoded"))
            return
        try:
            f["headers"] = d.hpack.decode(bytes(block))
        except HpackError as exc:
            reason = _MEMORY_REPR.sub("", str(exc)).rstrip(": ")  # hpack puts a memoryview's repr in some messages
            viol.append(Violation("hpack_error", "RFC 9113 §4.3", f"HPACK decoding failed: {reason}"))
            d.hpack_broken = True
            return
        f["hpack_table_size"] = d.hpack.table_size
        if self.hpack_entries:
            f["hpack_entries"] = d.hpack.entries()

    # -- helpers -------------------------------------------------------------------------------------
    def _lose_hpack(self, d: _Direction) -> None:
        d.hpack_broken = True

    def _first(self, d: _Direction, typ: int, viol: list[Violation]) -> None:
        if d.first_frame:
            d.first_frame = False
            if d.settings_first and typ != SETTINGS:
                viol.append(_v("settings_not_first", "3.4",
                               f"the first frame must be SETTINGS, not {frame_type_name(typ)}"))

    def _other(self, d: _Direction) -> _Direction | None:
        """The opposite direction of the same connection (whose SETTINGS bind this one's encoder)."""
        return self._dirs.get(_OPPOSITE.get(d.name, ""))

    def _offset(self, d: _Direction, pos: int) -> int | None:
        return d.offset + pos if self.offsets else None

    def _count(self, rec: H2Frame | H2Preface) -> H2Frame | H2Preface:
        self.frames += 1
        if rec.violations:
            self.violations += len(rec.violations)
        return rec


_FLAG_CACHE: dict[int, tuple[str, ...]] = {}


def _flags(typ: int, flags: int) -> tuple[str, ...]:
    """Flag names of a (type, flag byte) pair, computed once per pair (there are at most 65,536)."""
    key = (typ << 8) | flags
    names = _FLAG_CACHE.get(key)
    if names is None:
        names = _FLAG_CACHE[key] = tuple(flag_names(typ, flags))
    return names


def _section(typ: int) -> str:
    return {DATA: "6.1", HEADERS: "6.2", PRIORITY: "6.3", RST_STREAM: "6.4", SETTINGS: "6.5", PUSH_PROMISE: "6.6",
            PING: "6.7", GOAWAY: "6.8", WINDOW_UPDATE: "6.9", CONTINUATION: "6.10"}.get(typ, "4.1")


class H2DirectionCodec:
    """One direction of an :class:`H2FrameView` with the one codec interface: records are stamped with ``t``.

    Made by :meth:`H2FrameView.codec`. A view built with a ``clock`` keeps stamping each frame with it
    (a live client shows when each frame was parsed); without one, every record of a chunk gets ``t``.
    """

    __slots__ = ("direction", "view")

    def __init__(self, view: H2FrameView, direction: str) -> None:
        self.view = view
        self.direction = direction

    def feed(self, data: bytes | bytearray | memoryview, t: float) -> list[Record]:
        """Parse the next chunk of this direction; return the records of every frame it completed."""
        self.view._t = t
        return self.view.feed(self.direction, bytes(data) if type(data) is not bytes else data)

    def finish(self, t: float) -> list[Record]:
        """This direction ended: a truncated frame or an unfinished header block, as records."""
        self.view._t = t
        return self.view.finish(self.direction)
