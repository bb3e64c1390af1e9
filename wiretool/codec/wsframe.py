"""RFC 6455 frames: a lenient, incremental parser for a debugger, plus the builder (re-exported).

The parser takes bytes in any chunking and returns :class:`~wiretool.records.ws.WsFrame` records (and
reassembled :class:`~wiretool.records.ws.WsMessage` records) in wire order. It never raises on any input:
a broken frame is still a frame, shown with what is wrong and the RFC section that says so, and parsing
goes on with the next one. Whole frames are reported only once all their bytes are in; at the end of
input, :meth:`WsFrameParser.finish` reports a frame cut short with how many bytes it lacked.

Speed matters (a debugger tapping a busy socket, ``frame decode`` on megabytes): the common frame (FIN,
TEXT or BINARY, no RSV, 7-bit length, masked as its sender must, ASCII text) takes a short inline path
and everything else the general one; both give identical records (a test checks it). Buffered input is
kept in one bytearray and only joined once a whole frame is there; the reads of a big frame (64 KiB or more)
after its header are kept as they came and its payload joined from them once, so a large frame arriving in
many small reads costs linear time and one copy, and unmasking uses websockets' C ``apply_mask``.
"""

from __future__ import annotations

import codecs
import gc
from typing import Any

from wiretool.codec.wsbuild import build_frame, fragment_frames
from wiretool.codec.wsclose import close_payload
from wiretool.codec.wsmask import apply_mask
from wiretool.codec.wsrules import (
    V_AFTER_CLOSE,
    V_UNEXPECTED_CONT,
    close_violations,
    header_violations,
    inflate_failed,
    inflate_too_big,
    interleaved,
    invalid_utf8,
    parser_error,
    truncated,
)
from wiretool.records import Record, Violation
from wiretool.records.ws import WsFrame, WsMessage

__all__ = [
    "OP_BINARY", "OP_CLOSE", "OP_CONT", "OP_PING", "OP_PONG", "OP_TEXT",
    "WsFrame", "WsFrameParser", "WsMessage", "build_frame", "close_payload", "fragment_frames", "parse_bytes",
]

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10

BULK = 1 << 18
"""Feeds this large (or more) run with the cyclic GC paused (see :meth:`WsFrameParser.feed`)."""

_utf8_decoder = codecs.getincrementaldecoder("utf-8")
_BIG = 1 << 16
"""A buffered frame at least this big is taken out of the buffer by :meth:`WsFrameParser._take_big`."""


class WsFrameParser:
    """Turn a stream of WebSocket bytes (one direction) into frame and message records.

    ``sender`` says who wrote the bytes ("client" or "server") and turns on the masking rules (§5.1);
    ``dir`` is stamped on every record. ``rsv1_allowed`` when permessage-deflate was negotiated;
    ``deflate`` inflates RSV1 messages (RFC 7692), sharing the window across messages unless
    ``no_context_takeover``. ``messages`` adds a reassembled :class:`WsMessage` after each data
    message's last frame.

    Call :meth:`feed` with each chunk as it arrives and :meth:`finish` at the end of the stream.
    """

    def __init__(self, sender: str | None = None, dir: str | None = None, *, rsv1_allowed: bool = False,
                 deflate: bool = False, no_context_takeover: bool = False, messages: bool = True,
                 max_inflated: int | None = None, frames: bool = True, whole_messages: bool = True) -> None:
        if sender not in (None, "client", "server"):
            raise ValueError(f"sender must be 'client', 'server' or None, got {sender!r}")
        self.sender = sender
        self.dir = dir
        self.rsv1_allowed = rsv1_allowed
        self.deflate = deflate
        self.no_context_takeover = no_context_takeover
        self.messages = messages
        self.max_inflated = max_inflated
        """Largest inflated message (None: the codec's own bound); a bigger one is reported, not inflated."""
        self.fast = True
        """Use the inline path for common frames (tests turn it off to compare both paths)."""
        self.frames = frames or not messages
        """Make a frame record for every frame. False (``ws connect --show messages``): a plain data frame that is
        a whole message gives only its message record (the view would drop the frame record unseen); every
        other frame still gives its frame record. :attr:`skipped` counts the frames left out."""
        self.skipped = 0
        self.whole_messages = whole_messages or not frames
        """Make the message record of a plain whole data frame too. False (``ws connect``'s frames view, which
        would drop it unseen): a data frame of the short path (FIN, TEXT or BINARY, 7-bit length, masked as its
        sender must, ASCII text) gives its frame record only; :attr:`plain` counts those frames. Every other
        message still gives its message record."""
        self.plain = 0
        # the MASK bit value that is a violation for this sender (-1: none is)
        self._bad_mask = {"client": 0, "server": 0x80}.get(sender or "", -1)
        self._buf = bytearray()
        self._more: list[bytes] = []
        """Reads after the first of a big frame (``_need`` >= 64 KiB), kept as they came, not appended to
        ``_buf``: the payload is then joined once from all of them (see :meth:`_take_big`)."""
        self._more_len = 0
        self._base = 0  # stream offset of the first byte not yet parsed
        self._need = 2  # bytes (from the start of _buf) needed before parsing can progress
        self._inflater: Any = None
        self._inflate_limit: Any = ()
        """``wsdeflate.InflateLimit`` once an inflater exists (imported with it: zlib is not every run's cost)."""
        self._mop: int | None = None  # opcode of the fragmented message in progress
        self._closed = False  # a CLOSE frame was seen: any frame after it breaks RFC 6455 §5.5.1
        self._reset_message()

    # -- public API -------------------------------------------------------------------------------
    def feed(self, data: bytes | bytearray | memoryview, t: float = 0.0) -> list[Record]:
        """Parse ``data`` (the next bytes of the stream); return the records now complete, in wire order.

        Never raises. Bytes of a frame not yet complete are kept for the next call.
        """
        out: list[Record] = []
        if not data:
            return out
        try:
            if self._buf:
                if self._need >= _BIG:  # a big frame whose header is in: its later reads kept as they came
                    if len(self._buf) + self._more_len + len(data) < self._need:
                        self._more.append(data if type(data) is bytes else bytes(data))
                        self._more_len += len(data)
                        return out
                    self._take_big(data, t, out)  # the big frame waited for: its payload joined once
                    if not self._buf:
                        return out
                    if len(self._buf) < self._need:
                        return out
                else:
                    self._buf += data
                    if len(self._buf) < self._need:
                        return out
                data = bytes(self._buf)
                self._buf = bytearray()
            elif type(data) is not bytes:
                data = bytes(data)
            n = len(data)
            if n >= BULK and gc.isenabled():
                # A bulk decode creates a record per few bytes; the cyclic GC would rescan that growing
                # list again and again (records hold no cycles), so it is paused for this call only.
                gc.disable()
                try:
                    pos = self._parse(data, n, t, out)
                finally:
                    gc.enable()
            else:
                pos = self._parse(data, n, t, out)
            if pos < n:
                self._buf = bytearray(data[pos:]) if pos else bytearray(data)
            self._base += pos
        except Exception as exc:  # a bug must not kill a capture: report it on what is left, start over
            self._buf = bytearray()
            self._more = []
            self._more_len = 0
            out.append(WsFrame(t=t, dir=self.dir, offset=self._base, head=b"\x00\x00",
                               violations=(parser_error(exc),)))
            self._reset_message()
            self._mop = None
        return out

    def finish(self, t: float = 0.0) -> list[Record]:
        """End of input: report a frame cut short (with ``missing`` bytes) and an unfinished message.

        The parser is then ready for a new stream.
        """
        out: list[Record] = []
        try:
            if self._buf:
                self._truncated(b"".join((self._buf, *self._more)), t, out)
            if self._mop is not None:
                self._abandon(t, out, ())
        except Exception as exc:
            out.append(WsFrame(t=t, dir=self.dir, offset=self._base, head=b"\x00\x00",
                               violations=(parser_error(exc),)))
        self._buf = bytearray()
        self._more = []
        self._more_len = 0
        self._base = 0
        self._need = 2
        self._mop = None
        self._closed = False
        self._reset_message()
        return out

    @property
    def pending(self) -> int:
        """Bytes received but not yet part of a whole frame."""
        return len(self._buf) + self._more_len

    @property
    def fed(self) -> int:
        """Bytes of the stream fed so far (parsed or buffered)."""
        return self._base + len(self._buf) + self._more_len

    @property
    def message_in_progress(self) -> tuple[int, int, int] | None:
        """(opcode, frames, bytes so far) of the fragmented data message not yet ended, or None."""
        if self._mop is None:
            return None
        return self._mop, self._mframes, len(self._mparts)

    def pending_header(self) -> tuple[int, int] | None:
        """(first header byte, announced payload length) of the frame being buffered, once its length is in:
        a live connection checks it against its size limit before the payload arrives."""
        buf = self._buf
        n = len(buf)
        if n < 2:
            return None
        ln = buf[1] & 0x7F
        if ln == 126:
            if n < 4:
                return None
            ln = int.from_bytes(buf[2:4], "big")
        elif ln == 127:
            if n < 10:
                return None
            ln = int.from_bytes(buf[2:10], "big")
        return buf[0], ln

    def frame_in_progress(self) -> tuple[int, int] | None:
        """(stream offset, bytes with its header) of the frame being buffered, once its header is whole."""
        if not self._buf or self._need <= len(self._buf) + self._more_len:
            return None
        return self._base, self._need

    # -- parsing ----------------------------------------------------------------------------------
    def _parse(self, data: bytes, n: int, t: float, out: list[Record]) -> int:
        """Parse every whole frame of ``data``; return the offset of the first byte left over."""
        append = out.append
        direction = self.dir
        bad = self._bad_mask
        messages = self.messages
        base = self._base
        fast = self.fast and not self._closed
        frames = self.frames
        if not self.whole_messages:
            messages = False  # (only the short path below reads it; the general path reassembles every message)
        skipped = 0  # plain messages without a frame record (added to self.skipped at each return)
        plain = 0  # plain frames without a message record (added to self.plain at each return)
        mask = apply_mask
        frame, message = WsFrame, WsMessage  # locals: the loops below make one or two per frame
        pos = 0
        quiet = not frames and bad == 0x80 and fast
        while n - pos >= 2:
            if quiet and self._mop is None:
                # --show messages from a server: a run of plain whole messages (unmasked, 7-bit length, ASCII
                # text or binary) in the tightest loop; anything else falls through to the paths below
                while n - pos >= 2:
                    b0 = data[pos]
                    ln = data[pos + 1]  # >= 126: a longer length field, or the MASK bit set
                    if ln >= 126 or (b0 != 0x81 and b0 != 0x82):
                        break
                    end = pos + 2 + ln
                    if end > n:
                        self._need = 2 + ln
                        self.skipped += skipped
                        self.plain += plain
                        return pos
                    payload = data[pos + 2 : end]
                    if b0 == 0x81 and not payload.isascii():
                        break
                    append(message(t=t, dir=direction, opcode=b0 & 0x0F, payload=payload))
                    skipped += 1
                    pos = end
                if n - pos < 2:
                    break
            b0 = data[pos]
            b1 = data[pos + 1]
            ln = b1 & 0x7F
            if fast and (b0 == 0x81 or b0 == 0x82) and ln < 126 and (b1 & 0x80) != bad and self._mop is None:
                if b1 & 0x80:
                    end = pos + 6 + ln
                    if end > n:
                        self._need = 6 + ln
                        self.skipped += skipped
                        self.plain += plain
                        return pos
                    payload = mask(data[pos + 6 : end], data[pos + 2 : pos + 6])
                    head = data[pos : pos + 6]
                else:
                    end = pos + 2 + ln
                    if end > n:
                        self._need = 2 + ln
                        self.skipped += skipped
                        self.plain += plain
                        return pos
                    payload = data[pos + 2 : end]
                    head = data[pos : pos + 2]
                if b0 == 0x82 or payload.isascii():
                    if not frames:  # the message, and no frame record
                        append(message(t=t, dir=direction, opcode=b0 & 0x0F, payload=payload))
                        skipped += 1
                        pos = end
                        continue
                    # the hot spot: a Struct's keyword __init__, defaults for the rest (no violations, none missing)
                    append(frame(t=t, dir=direction, offset=base + pos, head=head, payload=payload))
                    if not messages:
                        plain += 1
                    else:
                        append(message(t=t, dir=direction, opcode=b0 & 0x0F, payload=payload))
                    pos = end
                    continue
            end = self._general(data, pos, n, t, out)
            if end < 0:
                self.skipped += skipped
                self.plain += plain
                return pos
            pos = end
            fast = self.fast and not self._closed  # after a CLOSE every frame takes the general path
            quiet = quiet and fast
        self._need = 2
        self.skipped += skipped
        self.plain += plain
        return pos

    def _general(self, data: bytes, pos: int, n: int, t: float, out: list[Record]) -> int:
        """Parse one frame at ``pos`` by the general path; return its end, or -1 when incomplete."""
        b1 = data[pos + 1]
        ln = b1 & 0x7F
        hl = 2 if ln < 126 else 4 if ln == 126 else 10
        key_at = hl
        if b1 & 0x80:
            hl += 4
        if n - pos < hl:
            self._need = hl
            return -1
        if ln >= 126:
            ln = int.from_bytes(data[pos + 2 : pos + key_at], "big")
        end = pos + hl + ln
        if end > n:
            self._need = hl + ln
            return -1
        head = data[pos : pos + hl]
        payload = data[pos + hl : end]
        if b1 & 0x80:
            payload = apply_mask(payload, head[key_at:])
        self._frame(t, self._base + pos, head, payload, 0, out)
        return end

    def _take_big(self, data: bytes | bytearray | memoryview, t: float, out: list[Record]) -> None:
        """``_buf`` (the header and the first bytes), ``_more`` and ``data`` hold a whole frame of ``_need``
        (>= 64 KiB) bytes: parse it with its payload joined once from those parts (not appended read by read to
        a growing buffer, then copied out of it); keep what follows it in ``_buf``."""
        buf = self._buf
        need = self._need
        b1 = buf[1]
        ln = b1 & 0x7F
        key_at = 2 if ln < 126 else 4 if ln == 126 else 10
        hl = key_at + 4 if b1 & 0x80 else key_at
        head = bytes(buf[:hl])
        take = need - len(buf) - self._more_len  # bytes of ``data`` that end the frame
        view = memoryview(buf)
        tail = memoryview(data)
        payload = b"".join((view[hl:], *self._more, tail[:take]))
        rest = bytearray(tail[take:]) if len(data) > take else bytearray()
        view.release()
        tail.release()
        if b1 & 0x80:
            payload = apply_mask(payload, head[key_at:])
        self._buf = rest
        self._more = []
        self._more_len = 0
        self._need = 2
        offset = self._base
        self._base += need
        self._frame(t, offset, head, payload, 0, out)

    def _truncated(self, data: bytes, t: float, out: list[Record]) -> None:
        """Report the incomplete frame left at the end of input, with how many bytes it lacked."""
        n = len(data)
        if n < 2:
            self._frame(t, self._base, data, b"", 1, out)
            return
        b1 = data[1]
        ln = b1 & 0x7F
        hl = 2 if ln < 126 else 4 if ln == 126 else 10
        key_at = hl
        if b1 & 0x80:
            hl += 4
        if n >= key_at and ln >= 126:
            ln = int.from_bytes(data[2:key_at], "big")
        elif ln >= 126:  # the extended length itself is cut: only the header's shortfall is known
            self._frame(t, self._base, data, b"", hl - n, out)
            return
        if n < hl:
            self._frame(t, self._base, data, b"", hl + ln - n, out)
            return
        head = data[:hl]
        payload = data[hl:]
        if b1 & 0x80:
            payload = apply_mask(payload, head[key_at:])
        self._frame(t, self._base, head, payload, hl + ln - n, out)

    # -- the rules --------------------------------------------------------------------------------
    def _frame(self, t: float, offset: int, head: bytes, payload: bytes, missing: int,
               out: list[Record]) -> None:
        """Check one frame against RFC 6455 (and 7692), track its message, append its records."""
        b0 = head[0]
        op = b0 & 0x0F
        fin = b0 & 0x80
        v = header_violations(head, self._bad_mask, self.rsv1_allowed)
        if missing:
            v.append(truncated(missing))
            out.append(WsFrame(t=t, dir=self.dir, offset=offset, head=head, payload=payload, violations=tuple(v),
                               missing=missing))
            return
        if self._closed and op < 8:  # §5.5.1 forbids data frames after a close; control frames may follow
            v.append(V_AFTER_CLOSE)
        if op == 8:
            v.extend(close_violations(payload))
            self._closed = True
        done: WsMessage | None = None
        if op == 0:
            if self._mop is None:
                v.append(V_UNEXPECTED_CONT)
            else:
                done = self._continue(t, payload, fin, b0, v)
        elif op == 1 or op == 2:
            if self._mop is not None:
                iv = interleaved(op, self._mop)
                v.append(iv)
                self._abandon(t, out, (iv,))
            self._start(op, b0)
            done = self._continue(t, payload, fin, b0, v)
        out.append(WsFrame(t=t, dir=self.dir, offset=offset, head=head, payload=payload, violations=tuple(v)))
        if done is not None:
            out.append(done)

    # -- messages ---------------------------------------------------------------------------------
    def _reset_message(self) -> None:
        self._mcomp = False
        self._mparts = bytearray()  # one buffer, not a list: a flood of empty fragments costs nothing
        self._mframes = 0
        self._mviol: list[Violation] = []
        self._mdec: Any = None
        self._mtext_ok = True  # False once the text is known bad, or cannot be checked
        self._minflate = False  # inflating this message (until inflation fails)

    def _start(self, op: int, b0: int) -> None:
        self._reset_message()
        self._mop = op
        self._mcomp = bool(b0 & 0x40)
        if self._mcomp:
            if self.deflate:
                if self._inflater is None:
                    from wiretool.codec.wsdeflate import MAX_INFLATED, InflateLimit, Inflater

                    self._inflate_limit = InflateLimit
                    self._inflater = Inflater(no_context_takeover=self.no_context_takeover,
                                              max_size=self.max_inflated or MAX_INFLATED)
                self._inflater.start()
                self._minflate = True
            else:
                self._mtext_ok = False  # compressed bytes are not text; nothing to check

    def _continue(self, t: float, payload: bytes, fin: int, b0: int, v: list[Violation]) -> WsMessage | None:
        """Add one data frame to the message in progress; return the message when ``fin`` ends it."""
        self._mframes += 1
        data = payload
        if self._minflate:
            try:
                data = self._inflater.feed(payload, bool(fin))
            except self._inflate_limit as exc:
                bad = inflate_too_big(exc.limit, exc.inflated, exc.consumed)
                v.append(bad)
                self._mviol.append(bad)
                self._minflate = False
                self._mtext_ok = False
            except ValueError as exc:
                bad = inflate_failed(exc)
                v.append(bad)
                self._mviol.append(bad)
                self._minflate = False
                self._mtext_ok = False
        if self._mop == 1 and self._mtext_ok:
            if self._mdec is None and fin and data.isascii():
                pass
            else:
                if self._mdec is None:
                    self._mdec = _utf8_decoder()
                try:
                    self._mdec.decode(data, bool(fin))
                except UnicodeDecodeError:
                    bad = invalid_utf8(self._mframes)
                    v.append(bad)
                    self._mviol.append(bad)
                    self._mtext_ok = False
        if not fin:
            if self.messages:
                self._mparts += data
            return None
        msg = None
        if self.messages:
            if self._mframes == 1:  # a message of one frame: its payload as it is, not copied twice
                whole = data if type(data) is bytes else bytes(data)
            else:
                self._mparts += data
                whole = bytes(self._mparts)
            msg = WsMessage(t=t, dir=self.dir, opcode=self._mop or 1, payload=whole, compressed=self._mcomp,
                            frames=self._mframes, violations=tuple(self._mviol), inflated=self._minflate)
        self._mop = None
        self._reset_message()
        return msg

    def _abandon(self, t: float, out: list[Record], extra: tuple[Violation, ...]) -> None:
        """The message in progress will never end: report what there was of it as incomplete."""
        if self.messages:
            out.append(WsMessage(t=t, dir=self.dir, opcode=self._mop or 1, payload=bytes(self._mparts),
                                 compressed=self._mcomp, frames=self._mframes, complete=False,
                                 violations=(*self._mviol, *extra), inflated=self._minflate))
        self._mop = None
        self._reset_message()


def parse_bytes(data: bytes, **kw: Any) -> list[Record]:
    """Parse a complete byte string (``feed`` then ``finish``): every frame and message record."""
    parser = WsFrameParser(**kw)
    return parser.feed(data) + parser.finish()
