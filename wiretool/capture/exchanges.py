"""Requests and responses read back from a capture's bytes: HTTP/1.1 (keep-alive) or HTTP/2, per connection.

Used by the SSE and HTTP/2 replays: what to ask again (method, target, headers, body) and what was
answered (status, headers, body pieces with the time each arrived, whether the response ended).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from wiretool.capture.file import Chunk
from wiretool.codec.h2frame import PREFACE as H2_PREFACE
from wiretool.codec.http1 import Head, MessageStream


@dataclass
class Exchange:
    """One request and its response on connection ``conn`` (``stream_id`` on HTTP/2)."""

    conn: int
    request: Head | None = None
    request_body: bytearray = field(default_factory=bytearray)
    response: Head | None = None
    body: list[tuple[float, bytes]] = field(default_factory=list)
    trailers: list[tuple[str, str]] = field(default_factory=list)
    ended: bool = False
    http2: bool = False
    stream_id: int = 0
    reset: str | None = None
    response_t: float = 0.0
    """When the response head arrived."""


SIDE = {"send": "send", "c2s": "send", "recv": "recv", "s2c": "recv"}
"""A proxy's legs (``c2s``/``s2c``) are the client's and the server's sides as much as ``send``/``recv`` are:
every reader of a capture's bytes maps a chunk's ``dir`` through this (an unknown one is skipped)."""


def exchanges(chunks: Sequence[Chunk]) -> list[Exchange]:
    """Every exchange of the capture, connection by connection, in request order."""
    out: list[Exchange] = []
    chunks = [c if c.dir in ("send", "recv") else Chunk(SIDE[c.dir], c.t, c.data, c.conn)
              for c in chunks if c.dir in SIDE]
    for conn in sorted({c.conn for c in chunks}):
        mine = [c for c in chunks if c.conn == conn]
        sent = b"".join(c.data for c in mine if c.dir == "send")
        if sent.startswith(H2_PREFACE[:len(sent)]) and sent:
            out += _h2(conn, mine)
        else:
            out += _h1(conn, mine)
    return out


def _h1(conn: int, chunks: list[Chunk]) -> list[Exchange]:
    reqs, resps = MessageStream(requests=True), MessageStream()
    sent: list[Exchange] = []
    answered = 0
    for c in chunks:
        if c.dir == "send":
            for kind, value in reqs.feed(c.data):
                if kind == "head":
                    sent.append(Exchange(conn, request=value))  # type: ignore[arg-type]
                elif kind == "body" and sent:
                    sent[-1].request_body += value  # type: ignore[operator]
        else:
            for kind, value in resps.feed(c.data):
                answered = _on_response(sent, answered, conn, kind, value, c.t)
    for kind, value in resps.close():
        answered = _on_response(sent, answered, conn, kind, value, chunks[-1].t if chunks else 0.0)
    return sent


def _on_response(sent: list[Exchange], answered: int, conn: int, kind: str, value: object, t: float) -> int:
    if kind == "head":
        head: Head = value  # type: ignore[assignment]
        if head.status is not None and 100 <= head.status < 200 and head.status != 101:
            return answered  # an interim response
        if answered >= len(sent):
            sent.append(Exchange(conn))
        sent[answered].response = head
        sent[answered].response_t = t
        return answered
    ex = sent[answered] if answered < len(sent) else None
    if ex is None:
        return answered
    if kind == "body":
        ex.body.append((t, value))  # type: ignore[arg-type]
    elif kind == "end":
        ex.ended = True
        return answered + 1
    return answered


def _h2(conn: int, chunks: list[Chunk]) -> list[Exchange]:
    from wiretool.codec.h2frame import H2FrameView

    now = [0.0]
    view = H2FrameView(clock=lambda: now[0], keep_data=True, show_secrets=True)
    streams: dict[int, Exchange] = {}
    for c in chunks:
        now[0] = c.t
        for rec in view.feed(c.dir, c.data):
            sid = getattr(rec, "stream_id", 0)
            if rec.type != "frame" or not sid:
                continue
            ex = streams.get(sid)
            if ex is None:
                ex = streams[sid] = Exchange(conn, http2=True, stream_id=sid)
            ftype = rec.frame_type  # type: ignore[attr-defined]
            end = "END_STREAM" in rec.flags  # type: ignore[attr-defined]
            if ftype == "HEADERS" and rec.headers is not None:  # type: ignore[attr-defined]
                headers = [(str(n), str(v)) for n, v in rec.headers]  # type: ignore[attr-defined]
                if c.dir == "send":
                    if ex.request is None:
                        pseudo = dict((n, v) for n, v in headers if n.startswith(":"))
                        ex.request = Head(f"{pseudo.get(':method', 'GET')} {pseudo.get(':path', '/')} HTTP/2",
                                          [(n, v) for n, v in headers if not n.startswith(":")])
                        ex.request.headers.insert(0, (":authority", pseudo.get(":authority", "")))
                elif ex.response is None or (ex.response.status or 0) < 200:
                    status = next((v for n, v in headers if n == ":status"), "0")
                    ex.response = Head(f"HTTP/2 {status}", [(n, v) for n, v in headers if not n.startswith(":")])
                    ex.response_t = c.t
                else:
                    ex.trailers = headers
            elif ftype == "DATA" and rec.data is not None:  # type: ignore[attr-defined]
                if c.dir == "send":
                    ex.request_body += rec.data  # type: ignore[attr-defined]
                else:
                    ex.body.append((c.t, bytes(rec.data)))  # type: ignore[attr-defined]
            elif ftype == "RST_STREAM":
                ex.reset = rec.error_code  # type: ignore[attr-defined]
                ex.ended = True
            if end and c.dir == "recv":
                ex.ended = True
    return [streams[s] for s in sorted(streams) if streams[s].request is not None]
