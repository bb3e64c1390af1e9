"""A WebSocket capture read back: the handshake sent, the client's frames (with timing), the server's answers.

Everything here comes from the capture's bytes, never from its records (the bytes are the truth; the
records are for people). The same :func:`answers` decodes a recording and a replay, so ``--check``
compares like with like.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from wiretool.capture.decode_ws import deflate_params
from wiretool.capture.file import Chunk
from wiretool.codec.http1 import Head, parse_head, split_head
from wiretool.codec.wsframe import WsFrameParser
from wiretool.records.ws import WsFrame, WsMessage
from wiretool.replay.compare import VOLATILE_HEADERS, Answer

OP_CLOSE, OP_PING, OP_PONG = 8, 9, 10


@dataclass
class Step:
    """One thing to send: ``raw`` frame bytes as recorded (for ``--exact``) or a message/control to rebuild."""

    t: float
    """When it was sent in the recording (seconds since the handshake response)."""
    after_recv: int
    """How many server messages and control frames had arrived before it was sent: replay waits for as many."""
    kind: str
    """``frame`` (exact), or ``message``, ``ping``, ``close`` (message mode)."""
    opcode: int = 1
    payload: bytes = b""
    frame: WsFrame | None = None
    raw: bytes = b""


@dataclass
class WsRecording:
    """What a ws capture says the client did."""

    request: Head | None
    response: Head | None
    frames: list[Step] = field(default_factory=list)
    messages: list[Step] = field(default_factory=list)
    skipped: int = 0
    """Frames message mode cannot re-send as messages (invalid, pongs, unfinished messages)."""
    recv_frames: int = 0


def counts(r: object) -> bool:
    """Whether a record is a unit of the server's progress: a whole data message or a control frame.

    Messages rather than frames, so that message mode (which does not fragment) keeps in step too.
    """
    return isinstance(r, WsMessage) or (isinstance(r, WsFrame) and r.is_control and not r.missing)


def _timeline(chunks: Sequence[Chunk], dir: str) -> tuple[bytes, list[tuple[int, float]]]:
    """One direction's bytes joined, and (stream offset, t) where each chunk starts."""
    marks = []
    pos = 0
    parts = []
    for c in chunks:
        if c.dir == dir:
            marks.append((pos, c.t))
            parts.append(c.data)
            pos += len(c.data)
    return b"".join(parts), marks


def _t_at(marks: list[tuple[int, float]], offset: int, starts: list[int] | None = None) -> float:
    """The t of the chunk holding stream ``offset`` (a binary search: ``starts`` are the marks' offsets)."""
    if not marks:
        return 0.0
    if starts is None:
        starts = [pos for pos, _ in marks]
    i = bisect_right(starts, offset) - 1
    return marks[max(i, 0)][1]


def read_recording(chunks: Sequence[Chunk]) -> WsRecording:
    """Split a capture's send side into the handshake and the client's frames, each with its time and causes.

    Linear in the capture (with a log factor): every lookup is a binary search or a dict, never a scan per
    frame, so a 32,000-message recording costs four times an 8,000-message one."""
    sent, smarks = _timeline(chunks, "send")
    got, rmarks = _timeline(chunks, "recv")
    request, after = split_head(sent)
    response, rest = split_head(got)
    rec = WsRecording(request, response)
    if request is None:
        return rec
    base_t = _t_at(rmarks, 0) if response is not None else 0.0
    deflate, server_nct, client_nct = deflate_params(response)
    # server frames: the time each one became whole, to know how many had arrived before each send
    recv_times: list[float] = []
    before_server_close: int | None = None
    """How many server messages came before the server's CLOSE: the answers of the whole exchange."""
    if response is not None:
        rhead = len(got) - len(rest)
        parser = WsFrameParser(sender="server", dir="recv", rsv1_allowed=deflate, deflate=deflate,
                               no_context_takeover=server_nct, messages=True)
        for i, (pos, ct) in enumerate(rmarks):
            end = rmarks[i + 1][0] if i + 1 < len(rmarks) else len(got)
            piece = got[max(pos, rhead):end] if end > rhead else b""
            for r in parser.feed(piece, ct):
                if isinstance(r, WsFrame) and r.opcode == OP_CLOSE and before_server_close is None:
                    before_server_close = len(recv_times)
                if counts(r):
                    recv_times.append(ct)
    rec.recv_frames = len(recv_times)
    hlen = len(sent) - len(after)
    parser = WsFrameParser(sender="client", dir="send", rsv1_allowed=deflate, deflate=deflate,
                           no_context_takeover=client_nct, messages=True)
    records = parser.feed(after) + parser.finish()
    frames = [r for r in records if isinstance(r, WsFrame)]
    sstarts = [pos for pos, _ in smarks]
    recv_sorted = sorted(recv_times)
    step_of: dict[int, Step] = {}
    for i, f in enumerate(frames):
        start = f.offset
        end = frames[i + 1].offset if i + 1 < len(frames) else len(after)
        t = _t_at(smarks, hlen + start, sstarts)
        after_recv = bisect_left(recv_sorted, t)  # how many server units arrived before t
        if f.opcode == OP_CLOSE and before_server_close is not None:
            # Our close ends the exchange: every answer the server gave before its own close was part of
            # it, however fast the recording client sent its close. Waiting for them keeps a replay from
            # closing on a server still answering (timing alone would say "no answers yet").
            after_recv = max(after_recv, before_server_close)
        rec.frames.append(Step(t - base_t, after_recv, "frame", f.opcode, f.payload, f, after[start:end]))
        step_of[id(f)] = rec.frames[-1]
    last_t: dict[int, Step] = {}
    for r in records:
        if isinstance(r, WsFrame):
            step = step_of[id(r)]
            last_t[0] = step
            op = r.opcode
            if op == OP_PING and not r.violations:
                rec.messages.append(Step(step.t, step.after_recv, "ping", op, r.payload))
            elif op == OP_CLOSE and not r.violations:
                rec.messages.append(Step(step.t, step.after_recv, "close", op, r.payload))
            elif op == OP_PONG or (r.violations and not 0 <= op <= 2):
                rec.skipped += 1
        elif isinstance(r, WsMessage):
            step = last_t[0]
            if r.complete:
                payload = r.payload
                rec.messages.append(Step(step.t, step.after_recv, "message", r.opcode, payload))
            else:
                rec.skipped += 1
    return rec


def answers(chunks: Sequence[Chunk]) -> list[Answer]:
    """What the server said, in order: status, headers (volatile ones left out), data messages, close."""
    got = b"".join(c.data for c in chunks if c.dir == "recv")
    response, rest = split_head(got)
    if response is None:
        return [Answer("handshake status", "(no response)")]
    out = [Answer("handshake status", response.status), Answer("handshake headers", _headers(response))]
    if response.status != 101:
        return out
    deflate, server_nct, _ = deflate_params(response)
    parser = WsFrameParser(sender="server", dir="recv", rsv1_allowed=deflate, deflate=deflate,
                           no_context_takeover=server_nct, messages=True)
    close: object = "(no close frame)"
    n = 0
    for r in parser.feed(rest) + parser.finish():
        if isinstance(r, WsMessage):
            n += 1
            value = _payload_value(r.opcode, r.payload)
            out.append(Answer(f"message {n} ({r.opcode_name})", value))
        elif isinstance(r, WsFrame) and r.opcode == OP_CLOSE and close == "(no close frame)":
            close = {"code": r.close_code, "reason": r.close_reason}
    out.append(Answer("close", close))
    return out


def _headers(response: Head) -> dict[str, str]:
    """The response headers compared: lower-case names, repeated ones joined, volatile ones left out."""
    headers: dict[str, str] = {}
    for n, v in response.headers:
        if n.lower() not in VOLATILE_HEADERS:
            headers[n.lower()] = v if n.lower() not in headers else headers[n.lower()] + ", " + v
    return headers


def _payload_value(opcode: int, payload: bytes) -> str:
    if opcode == 1:
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError:
            pass
    return "hex:" + payload.hex()


class AnswerStream:
    """:func:`answers` built as the replay's bytes arrive, keeping no more than ``--check`` compares.

    The server's bytes are decoded as they come and dropped; of the data messages only the first ``keep``
    answers are kept (None: all), the rest only counted. :func:`compare` stops at the first difference, so
    keeping one message more than the recording holds gives the same verdict, and a server flooding while
    the replay waits out a recorded pause costs no memory.
    """

    def __init__(self, keep: int | None = None) -> None:
        self.keep = keep
        self.bytes_in = 0
        self.bytes_out = 0
        self.messages = 0
        """Data messages the server sent (kept or not)."""
        self._head = bytearray()
        self._searched = 0
        self._response: Head | None = None
        self._parser: WsFrameParser | None = None
        self._out: list[Answer] = []
        self._close: object = "(no close frame)"

    def feed(self, dir: str, data: bytes) -> None:
        if dir != "recv":
            self.bytes_out += len(data)
            return
        self.bytes_in += len(data)
        if self._parser is None:
            if self._response is not None:
                return  # not a 101: only the status and headers are answers
            self._head += data
            end = self._head.find(b"\r\n\r\n", max(0, self._searched - 3))
            self._searched = len(self._head)
            if end < 0:
                return
            response = parse_head(bytes(self._head[:end]))
            data = bytes(self._head[end + 4:])
            self._head = bytearray()
            self._response = response
            self._out = [Answer("handshake status", response.status), Answer("handshake headers", _headers(response))]
            if response.status != 101:
                return
            deflate, server_nct, _ = deflate_params(response)
            self._parser = WsFrameParser(sender="server", dir="recv", rsv1_allowed=deflate, deflate=deflate,
                                         no_context_takeover=server_nct, messages=True)
        self._take(self._parser.feed(data))

    def _take(self, records: list[object]) -> None:
        for r in records:
            if isinstance(r, WsMessage):
                self.messages += 1
                if self.keep is None or self.messages <= self.keep:
                    self._out.append(Answer(f"message {self.messages} ({r.opcode_name})",
                                            _payload_value(r.opcode, r.payload)))
            elif isinstance(r, WsFrame) and r.opcode == OP_CLOSE and self._close == "(no close frame)":
                self._close = {"code": r.close_code, "reason": r.close_reason}

    def result(self) -> list[Answer]:
        """The answers kept, as :func:`answers` gives them (call once, at the end)."""
        if self._response is None:
            return [Answer("handshake status", "(no response)")]
        if self._parser is None:
            return list(self._out)
        self._take(self._parser.finish())  # type: ignore[arg-type]
        return [*self._out, Answer("close", self._close)]

    def count(self) -> int:
        """How many answers there were in all (kept or not)."""
        if self._response is None:
            return 1
        return 2 + (self.messages + 1 if self._parser is not None else 0)
