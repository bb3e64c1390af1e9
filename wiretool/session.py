"""The contract between every source of bytes and everything that shows, checks or stores what it saw.

A *source* is anything that has bytes crossing in two directions: a live client connection (``ws connect``,
``sse tail``, ``h2 get``, ``h2 grpc``), a connection accepted by ``serve``, the two legs of a proxied
connection, a flow read back from a capture or a pcap. Each is a :class:`Session`: it runs, hands every
chunk of bytes and every record it decoded to a :class:`Sink`, and ends with an :class:`Outcome`. The one
run layer (:func:`wiretool.run.run`) gives every session the same sink, so timeouts, Ctrl-C and SIGTERM, a
closed stdout, the error and summary records and the capture are written once for all protocols.

Bytes reach a codec through a :class:`Tap`, one per direction of one connection: the tap stamps the bytes
with the run's clock, gives the raw :class:`Chunk` to the sink (the capture keeps bytes first), and feeds the
codec, whose records go to the sink too. A codec is pure (``wiretool/codec``): per direction
``feed(data, t) -> list[Record]`` and ``finish(t) -> list[Record]``; :class:`Codec` is that interface.

This module imports nothing above ``records``: transports, servers, captures and the run layer all import it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Protocol, runtime_checkable

from wiretool.records import Record

SEND, RECV = "send", "recv"
"""Directions seen from our own end of a connection (clients and servers)."""
C2S, S2C = "c2s", "s2c"
"""Directions of a connection we only watch (a proxy's legs, a pcap flow), named as seen on the wire."""


@dataclasses.dataclass(frozen=True, slots=True)
class Chunk:
    """One piece of bytes as it crossed a socket: which connection, which way, when, what."""

    dir: str
    t: float
    data: bytes
    conn: int = 0
    """Which connection of the run (an SSE reconnection, a proxy's second client, a pcap's flows); 0 = first."""


@dataclasses.dataclass(frozen=True, slots=True)
class Outcome:
    """How a run ended: the exit status of the contract and, when it is not 0, the one-line reason."""

    code: int
    message: str = ""


@runtime_checkable
class Codec(Protocol):
    """One direction of one connection's bytes → records. Pure: no I/O, never raises on hostile input."""

    def feed(self, data: bytes | bytearray | memoryview, t: float) -> list[Record]:
        """Parse what arrived; return the records it completes (possibly none while a frame is partial)."""
        ...

    def finish(self, t: float) -> list[Record]:
        """The input ended: return what is left (a truncated frame, an unfinished event) as records."""
        ...


class Sink(Protocol):
    """Where a session puts what it saw. The run layer implements it; tests may use :class:`ListSink`."""

    def now(self) -> float:
        """Seconds since the run started: the ``t`` of every record and chunk."""
        ...

    def emit(self, record: Record) -> None:
        """One record, in the order things happened on the wire."""
        ...

    def emit_many(self, records: Sequence[Record]) -> None:
        """The records of one socket read, in order: the sink may write them together (one flush per read),
        which is what keeps a flood of small frames fast. Same meaning as ``emit`` for each."""
        ...

    def chunk(self, chunk: Chunk) -> None:
        """Raw bytes as they crossed (for the capture); called before the records decoded from them."""
        ...

    def finish(self, outcome: Outcome) -> None:
        """Ask the run to end with ``outcome`` (the first outcome given wins)."""
        ...

    @property
    def outcome(self) -> Outcome | None:
        """The outcome asked for so far, or None: a session emitting a batch of records (one socket read of
        many SSE events) checks it to stop at the record that reached the run's goal, as a loop would."""
        ...


class Session(Protocol):
    """A source of records: it runs until it ends or is stopped, and says how it ended.

    ``run`` pushes into the sink from whatever I/O callbacks the source has and returns the outcome it
    reached by itself (a clean close, a violation, a refused handshake). ``stop`` asks it to end gracefully
    (a close frame, a GOAWAY, closing the response) because the run's goal was reached, a timeout passed or
    the user pressed Ctrl-C; ``abort`` drops the connection at once. ``counts`` are the summary's figures;
    the run puts its ``elapsed_s`` first unless the session says ``summary_elapsed = False`` (the sse, h2 and
    grpc summaries are documented without it).
    """

    proto: str

    async def run(self, sink: Sink) -> Outcome: ...

    def stop(self, outcome: Outcome) -> None: ...

    def abort(self) -> None: ...

    def counts(self) -> dict[str, Any]: ...


class Tap:
    """One direction of one connection: bytes → (the capture, the codec) → records → the sink.

    Each received byte is parsed once, here, for the view; a protocol state machine (websockets, h2) that
    drives the connection reads the same bytes beside it. ``codec`` may be ``None`` when the bytes are only
    recorded (a relay with ``--only none``, an HTTP/1 body nobody decodes).
    """

    __slots__ = ("_clock", "_on_bytes", "_on_records", "bytes", "codec", "conn", "dir")

    def __init__(self, codec: Codec | None, *, dir: str, clock: Callable[[], float],
                 on_records: Callable[[Sequence[Record]], None] | None = None,
                 on_bytes: Callable[[Chunk], None] | None = None, conn: int = 0) -> None:
        self.codec = codec
        self.dir = dir
        self.conn = conn
        self.bytes = 0
        self._clock = clock
        self._on_records = on_records
        self._on_bytes = on_bytes

    def feed(self, data: bytes | bytearray | memoryview, *, skip: int = 0) -> list[Record]:
        """Record and decode one chunk; the records are also returned for callers that react to them.

        ``skip`` leading bytes are recorded but not decoded: the end of an HTTP head that a state machine
        read, when the same read also carries the first frames or events after it.
        """
        t = self._clock()
        self.bytes += len(data)
        if self._on_bytes is not None:
            self._on_bytes(Chunk(self.dir, t, bytes(data), self.conn))
        if self.codec is None or skip >= len(data):
            return []
        records = self.codec.feed(data[skip:] if skip else data, t)
        if records and self._on_records is not None:
            self._on_records(records)
        return records

    def finish(self) -> list[Record]:
        """The direction ended (EOF, connection lost): flush what the codec still holds."""
        if self.codec is None:
            return []
        records = self.codec.finish(self._clock())
        if records and self._on_records is not None:
            self._on_records(records)
        return records


class WatchingSink:
    """A sink in front of another: every record is passed on, then shown to :meth:`watch`. The base of the
    scripts that act on what the peer says (``--socketio-emit``, ``--graphql-subscribe``)."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink

    def watch(self, record: Record) -> None:
        """Called after each record has been passed on; the script's reaction."""

    def now(self) -> float:
        return self.sink.now()

    def emit(self, record: Record) -> None:
        self.sink.emit(record)
        self.watch(record)

    def emit_many(self, records: Sequence[Record]) -> None:
        self.sink.emit_many(records)
        for record in records:
            self.watch(record)

    def chunk(self, chunk: Chunk) -> None:
        self.sink.chunk(chunk)

    def finish(self, outcome: Any) -> None:
        self.sink.finish(outcome)

    def __getattr__(self, name: str) -> Any:  # anything else a sink has (outcome, ...)
        return getattr(self.sink, name)


class ListSink:
    """A sink that keeps everything in lists: for tests, and for decoding a capture into memory."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self.records: list[Record] = []
        self.chunks: list[Chunk] = []
        self.outcome: Outcome | None = None
        self._clock = clock or (lambda: 0.0)

    def now(self) -> float:
        return self._clock()

    def emit(self, record: Record) -> None:
        self.records.append(record)

    def emit_many(self, records: Sequence[Record]) -> None:
        self.records.extend(records)

    def chunk(self, chunk: Chunk) -> None:
        self.chunks.append(chunk)

    def finish(self, outcome: Outcome) -> None:
        if self.outcome is None:
            self.outcome = outcome
