"""The WHATWG "event stream interpretation" algorithm, incremental and chunk-boundary safe. Pure: no I/O.

Feed it the body bytes exactly as they arrive, in any chunking (a byte at a time included), and it gives back
what a browser's ``EventSource`` would dispatch, in order, plus the comments a browser would drop (a debugger
wants to see heartbeats). The rules it follows, from the HTML standard, section "Server-sent events":

- UTF-8, decoded incrementally with U+FFFD for invalid bytes; one leading BOM is stripped, even split across chunks.
- A line ends at CRLF, LF or CR, also when the CR ends one chunk and the LF starts the next. Nothing else ends a
  line: U+2028, U+0085 and form feeds stay in the data (this is why ``str.splitlines`` is never used).
- ``field: value`` with one leading space of the value removed; a line with no colon is a field with an empty
  value; a line starting with ``:`` is a comment; unknown fields are ignored.
- ``id`` with a NUL is ignored; the last event ID persists across events and reconnections; an empty ``id`` resets it.
- ``retry`` counts only when every character is an ASCII digit.
- A blank line dispatches: data lines are joined with LF; empty data dispatches nothing; an empty type is
  ``message``. A partial event at the end of a stream is dropped.

Memory is bounded: a line longer than ``max_line`` characters or an event whose data grows past ``max_event``
stops the parser with a :class:`LimitExceeded` item (never an exception: a debugger shows what went wrong),
and it ignores everything after that.

The items of :class:`SseParser` are small named tuples so that the hot loop stays cheap; :class:`SseCodec` is
the codec of the session contract (``feed(data, t) -> list[Record]``, ``finish(t)``) and the one place that
turns them into :mod:`wiretool.records.sse` records with a time: ``sse tail``, replay and capture decoding use it.
"""

from __future__ import annotations

import codecs
from typing import NamedTuple

from wiretool.codec.http1 import is_digits
from wiretool.records import Record
from wiretool.records.sse import SseComment, SseEvent

__all__ = ["DEFAULT_MAX_EVENT", "DEFAULT_MAX_LINE", "MAX_RETRY_MS", "Comment", "Event", "Item", "LimitExceeded", "SseCodec",
           "SseParser", "parse_retry"]

DEFAULT_MAX_LINE = 1 << 20
"""Longest line accepted (characters), 1 MiB: far beyond any real event, small enough to protect memory."""

DEFAULT_MAX_EVENT = 16 << 20
"""Largest event data accepted (characters), 16 MiB."""

_BOM = "\ufeff"


class Event(NamedTuple):
    """A dispatched event, as a browser's ``MessageEvent`` would carry it.

    ``id`` is the last event ID in force when it was dispatched (the browser's ``lastEventId``); ``retry`` is
    the reconnection time in milliseconds the server set most recently, or None if it never set one.
    """

    event: str
    data: str
    id: str
    retry: int | None


class Comment(NamedTuple):
    """A ``:`` line (heartbeats, padding). Browsers drop these; wiretool shows them. One leading space removed."""

    text: str


class LimitExceeded(NamedTuple):
    """The stream broke a size limit: ``what`` is ``line`` or ``event``; the parser ignores all later input."""

    what: str
    limit: int
    message: str


Item = Event | Comment | LimitExceeded


MAX_RETRY_MS = 10**15 - 1
"""The largest ``retry`` kept (about 31,700 years): a longer run of digits is taken as this. Fifteen digits
stay exact in a JSON number and cheap for ``int()`` (a 5000-digit field would hit Python's int-string limit);
the reconnecting session caps the wait itself (``--max-backoff``)."""

_RETRY_DIGITS = len(str(MAX_RETRY_MS))


def parse_retry(value: str) -> int | None:
    """The ``retry`` value in milliseconds if it is all ASCII digits (``02000`` is 2000), else None.

    ``int()`` alone is not enough: it accepts ``+5``, ``-5``, `` 5``, ``1_000`` and non-ASCII digits, which the
    standard says to ignore. More significant digits than :data:`MAX_RETRY_MS` has give :data:`MAX_RETRY_MS`.
    """
    if is_digits(value):
        if len(value) > _RETRY_DIGITS:
            value = value.lstrip("0") or "0"
            if len(value) > _RETRY_DIGITS:
                return MAX_RETRY_MS
        return int(value)
    return None


class SseParser:
    """An incremental event-stream parser; one per event source, :meth:`reset` between connections.

    Call :meth:`feed` with each body chunk and handle the items it returns; call :meth:`end` when the body
    ends (it drops any partial event, as the standard says). :attr:`last_event_id` is what to send as
    ``Last-Event-ID`` on the next connection and :attr:`retry` the reconnection time the server asked for.
    """

    __slots__ = ("_counted", "_data", "_data_len", "_decoder", "_event_type", "_failed", "_id_buf", "_pending",
                 "_pending_len", "_skip_lf", "_start", "last_event_id", "max_event", "max_line", "retry")

    def __init__(self, *, last_event_id: str = "", max_line: int = DEFAULT_MAX_LINE,
                 max_event: int = DEFAULT_MAX_EVENT) -> None:
        self.max_line = max_line
        self.max_event = max_event
        self.last_event_id = last_event_id
        """The last event ID string: set when an event block is dispatched, kept across connections."""
        self.retry: int | None = None
        """The reconnection time (ms) the server set, or None."""
        self._failed = False
        self.reset()

    def reset(self) -> None:
        """Start a new stream (a reconnection): new decoder, BOM allowed again, partial event and line dropped.

        The last event ID and the reconnection time persist, as they do in a browser.
        """
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._start = True
        self._skip_lf = False
        self._pending: list[str] = []
        self._pending_len = 0
        self._data: list[str] = []
        self._data_len = 0
        self._counted = 0
        self._event_type = ""
        self._id_buf = self.last_event_id
        self._failed = False

    @property
    def failed(self) -> bool:
        """True once a limit was exceeded: later input is ignored."""
        return self._failed

    def end(self) -> list[Item]:
        """The stream ended: flush the decoder and drop whatever event was not completed by a blank line.

        A final line with no line ending is never processed (that is what makes the event partial), so this
        returns no events; it returns a list for symmetry with :meth:`feed`.
        """
        self._decoder.decode(b"", True)
        self._pending = []
        self._pending_len = 0
        self._data = []
        self._data_len = 0
        self._counted = 0
        self._event_type = ""
        self._id_buf = self.last_event_id
        return []

    def feed(self, chunk: bytes) -> list[Item]:
        """Parse one chunk of body bytes; return the events and comments it completed, in order."""
        if self._failed:
            return []
        text = self._decoder.decode(chunk)
        if not text:
            return []
        if self._start:
            # The decoder holds back an incomplete sequence, so a BOM split across chunks arrives whole here.
            self._start = False
            if text[0] == _BOM:
                text = text[1:]
                if not text:
                    return []
        if self._skip_lf:
            self._skip_lf = False
            if text[0] == "\n":
                text = text[1:]
                if not text:
                    return []
        if "\r" in text:
            # A CR at the very end ends its line now; an LF starting the next chunk belongs to it.
            if text[-1] == "\r":
                self._skip_lf = True
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if "\n" not in text:
            self._pending.append(text)
            self._pending_len += len(text)
            if self._pending_len > self.max_line:
                return [self._fail("line", self.max_line)]
            return []
        lines = text.split("\n")
        tail = lines.pop()
        if self._pending:
            self._pending.append(lines[0])
            lines[0] = "".join(self._pending)
            self._pending = []
            self._pending_len = 0
        out = self._lines(lines, check=len(text) > self.max_line or len(lines[0]) > self.max_line)
        if tail and not self._failed:
            self._pending.append(tail)
            self._pending_len = len(tail)
            if self._pending_len > self.max_line:
                out.append(self._fail("line", self.max_line))
        return out

    def _fail(self, what: str, limit: int) -> LimitExceeded:
        self._failed = True
        self._pending = []
        self._data = []
        unit = "line" if what == "line" else "event data"
        return LimitExceeded(what, limit, f"{unit} longer than {limit} characters (raise the limit with "
                                          f"--max-{what} if this stream is legitimate)")

    def _lines(self, lines: list[str], *, check: bool) -> list[Item]:
        """Interpret complete lines. One loop over local variables, written back at the end: the hot path."""
        out: list[Item] = []
        append = out.append
        make = tuple.__new__  # skips Event's Python-level NamedTuple __new__: 129 ns an event, not 171
        data = self._data
        etype = self._event_type
        idbuf = self._id_buf
        retry = self.retry
        last = self.last_event_id
        max_line = self.max_line
        for line in lines:
            if check and len(line) > max_line:
                append(self._fail("line", max_line))
                break
            if not line:
                # Dispatch: the last event ID string takes the buffer's value even if nothing is dispatched.
                last = idbuf
                if data:
                    append(make(Event, (etype or "message", "\n".join(data), idbuf, retry)))
                    data = self._data = []
                    self._data_len = 0
                    self._counted = 0
                etype = ""
                continue
            if line[:5] == "data:":
                # The common case first, without partition.
                data.append(line[6:] if line[5:6] == " " else line[5:])
                continue
            if line[0] == ":":
                text = line[1:]
                append(Comment(text[1:] if text[:1] == " " else text))
                continue
            name, colon, value = line.partition(":")
            if colon and value[:1] == " ":
                value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                etype = value
            elif name == "id":
                if "\0" not in value:
                    idbuf = value
            elif name == "retry":
                ms = parse_retry(value)
                if ms is not None:
                    retry = ms
        if self._failed:
            return out
        self._event_type = etype
        self._id_buf = idbuf
        self.retry = retry
        self.last_event_id = last
        if data:
            # Count only the data lines added since the last check: linear in the input, never quadratic.
            counted = self._counted
            self._data_len += sum(map(len, data[counted:])) + len(data) - counted
            self._counted = len(data)
            if self._data_len > self.max_event:
                append(self._fail("event", self.max_event))
        return out


class SseCodec:
    """The received body of an event stream → ``event`` and ``comment`` records (the session contract's codec).

    One per event source, like the parser it wraps: :meth:`reset` between connections keeps the last event
    ID and the ``retry`` a browser keeps. A broken size limit is not a record: the records before it are
    returned, :attr:`exceeded` says what was broken, and later input is ignored (the session ends the run
    with exit 5). ``ts`` is the wall-clock arrival time to stamp on the records (``--timestamps``), if any.
    """

    __slots__ = ("exceeded", "parser")

    def __init__(self, *, last_event_id: str = "", max_line: int = DEFAULT_MAX_LINE,
                 max_event: int = DEFAULT_MAX_EVENT) -> None:
        self.parser = SseParser(last_event_id=last_event_id, max_line=max_line, max_event=max_event)
        self.exceeded: LimitExceeded | None = None

    @property
    def last_event_id(self) -> str:
        return self.parser.last_event_id

    @property
    def retry(self) -> int | None:
        return self.parser.retry

    def reset(self) -> None:
        """A new connection of the same event source (see :meth:`SseParser.reset`)."""
        self.parser.reset()

    def feed(self, data: bytes | bytearray | memoryview, t: float, ts: str | None = None) -> list[Record]:
        """Parse one chunk of body bytes; return the event and comment records it completed, in order."""
        out: list[Record] = []
        append = out.append
        event = SseEvent
        for item in self.parser.feed(bytes(data) if type(data) is not bytes else data):
            kind = type(item)
            if kind is Event:
                append(event(t=t, event=item[0], data=item[1], id=item[2], retry=item[3], ts=ts))
            elif kind is Comment:
                append(SseComment(t=t, text=item[0], ts=ts))
            else:
                self.exceeded = item  # type: ignore[assignment]
        return out

    def finish(self, t: float) -> list[Record]:
        """The body ended: a partial event is dropped, as a browser drops it, so there is nothing to return."""
        self.parser.end()
        return []


def parse_all(body: bytes, **kwargs: int | str) -> list[Item]:
    """Parse a whole body at once (tests, ``--raw`` replays): the items a browser would see, then end of stream."""
    parser = SseParser(**kwargs)  # type: ignore[arg-type]
    items = parser.feed(body)
    parser.end()
    return items
