"""``wiretool frame decode --capture FILE``: re-decode a capture's bytes with today's codecs, any protocol.

Only the capture's bytes are read (its records are ignored): this is how a capture made by an older
wiretool is seen with today's decoders, and the proof that the bytes alone rebuild every record.
Chunks are decoded in the order they were written, both directions interleaved, each record stamped
with its chunk's ``t``. A truncated last line (a killed writer) is reported as a warning and skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from wiretool.exitcodes import ExitCode

if TYPE_CHECKING:
    from wiretool.capture.file import Capture
    from wiretool.output.sink import Output
    from wiretool.records import Record


def decode_capture(path: str, out: Output, *, hpack_entries: bool = False, show_secrets: bool = False) -> int:
    """Emit every record the capture's bytes decode to, then a summary; 5 if any violation, else 0."""
    from wiretool.capture.file import read_capture

    cap = read_capture(path, records=False)  # only the bytes are decoded
    for warning in cap.warnings:
        out.note(warning, level="warn")
        out.env.stderr.write(f"wiretool: warning: {warning}\n")
        out.env.stderr.flush()
    out.proto = cap.proto
    if cap.proto == "h2":
        records = _h2(cap, hpack_entries, show_secrets)
    elif cap.proto == "ws":
        records = _ws(cap, show_secrets)
    elif cap.proto == "sse":
        records = _sse(cap, hpack_entries, show_secrets)
    else:
        from wiretool.errors import UsageError

        raise UsageError(f"{path}: cannot decode a {cap.proto!r} capture")
    counts: dict[str, int] = {"frames": 0, "messages": 0, "events": 0, "violations": 0}
    kinds = {"frame": "frames", "message": "messages", "event": "events"}
    with out.batched():  # the capture is already whole: no need to flush every line
        for rec in records:
            kind = kinds.get(rec.type)
            if kind:
                counts[kind] += 1
            counts["violations"] += len(getattr(rec, "violations", ()) or ())
            out.emit(rec)
    code = ExitCode.PROTOCOL if counts["violations"] else ExitCode.OK
    if counts["violations"]:
        out.error(f"{counts['violations']} protocol violation(s) in the captured bytes", code)
    out.summary(int(code), proto=cap.proto, chunks=len(cap.chunks), bytes=sum(len(c.data) for c in cap.chunks),
                warnings=len(cap.warnings), **counts)
    return int(code)


def _h2(cap: Capture, hpack_entries: bool, show_secrets: bool) -> Iterator[Record]:
    from wiretool.codec.h2frame import H2FrameView

    views: dict[int, Any] = {}
    now = [0.0]
    for c in cap.chunks:
        view = views.get(c.conn)
        if view is None:
            view = views[c.conn] = H2FrameView(clock=lambda: now[0], hpack_entries=hpack_entries, offsets=True,
                                               grpc=True, show_secrets=show_secrets)
        now[0] = c.t
        yield from view.feed(c.dir, c.data)
    for view in views.values():
        for d in ("send", "recv"):
            yield from view.finish(d)


def _ws(cap: Capture, show_secrets: bool) -> Iterator[Record]:
    from wiretool.codec.http1 import split_head
    from wiretool.codec.wsframe import WsFrameParser
    from wiretool.records.ws_session import WsHandshake
    from wiretool.replay.ws_session import deflate_params

    heads: dict[str, Any] = {}
    pending = {"send": bytearray(), "recv": bytearray()}
    parsers: dict[str, WsFrameParser] = {}
    for c in cap.chunks:
        if c.dir not in pending:
            continue
        if c.dir in parsers:
            yield from parsers[c.dir].feed(c.data, c.t)
            continue
        pending[c.dir] += c.data
        head, rest = split_head(bytes(pending[c.dir]))
        if head is None:
            continue
        heads[c.dir] = head
        headers = [[n, _redact(n, v, show_secrets)] for n, v in head.headers]
        if c.dir == "send":
            yield WsHandshake(t=c.t, dir="send", request_line=head.start_line, headers=headers)
        else:
            reason = head.start_line.split(" ", 2)[2] if head.start_line.count(" ") >= 2 else ""
            expected = _accept(heads["send"].get("sec-websocket-key")) if "send" in heads else None
            received = head.get("sec-websocket-accept")
            yield WsHandshake(t=c.t, dir="recv", status=head.status, reason=reason, headers=headers,
                              accept_expected=expected, accept_received=received,
                              accept_ok=(expected == received) if expected and head.status == 101 else None,
                              subprotocol=head.get("sec-websocket-protocol"),
                              extensions=[v for n, v in head.headers if n.lower() == "sec-websocket-extensions"])
        deflate, server_nct, client_nct = deflate_params(heads.get("recv"))
        if c.dir == "recv" and "send" in parsers and deflate:  # the client's parser learns of deflate late
            parsers["send"].rsv1_allowed = parsers["send"].deflate = True
            parsers["send"].no_context_takeover = client_nct
        sender = "client" if c.dir == "send" else "server"
        parsers[c.dir] = WsFrameParser(sender=sender, dir=c.dir, rsv1_allowed=deflate, deflate=deflate,
                                       no_context_takeover=server_nct if sender == "server" else client_nct)
        if rest:
            yield from parsers[c.dir].feed(rest, c.t)
    for p in parsers.values():
        yield from p.finish()


def _sse(cap: Capture, hpack_entries: bool, show_secrets: bool) -> Iterator[Record]:
    """Each request of each connection (HTTP/1.1 keep-alive or HTTP/2 streams): its response head, then
    the events of its body, each stamped with the time of the bytes that completed it."""
    from urllib.parse import urlsplit

    from wiretool.capture.exchanges import exchanges
    from wiretool.codec.sse import Comment, Event, SseParser
    from wiretool.records import Note
    from wiretool.records.sse import SseComment, SseConnect, SseEvent

    parts = urlsplit(str(cap.header.get("url", "")))
    origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    parser = SseParser()
    for n, ex in enumerate(exchanges(cap.chunks), 1):
        req, resp = ex.request, ex.response
        t0 = ex.response_t
        if resp is None:
            yield Note(t=t0, proto_name="sse", text=f"request {n}: no whole response head", level="warn")
            continue
        reason = resp.start_line.split(" ", 2)[2] if resp.start_line.count(" ") >= 2 else ""
        yield SseConnect(t=t0, url=origin + req.target if req else "", method=req.method if req else "GET",
                         status=resp.status or 0, reason=reason or _phrase(resp.status),
                         http_version=resp.start_line.split(" ", 1)[0],
                         attempt=n, stream_id=ex.stream_id or None, content_type=resp.get("content-type") or "",
                         last_event_id=req.get("last-event-id") if req else None,
                         headers=tuple((k.lower(), _redact(k, v, show_secrets)) for k, v in resp.headers))
        parser.reset()
        pieces = [*ex.body, (ex.body[-1][0] if ex.body else t0, None)]
        for t, data in pieces:
            items = parser.feed(data) if data is not None else (parser.end() if ex.ended else [])
            for item in items:
                if type(item) is Event:
                    yield SseEvent(t=t, event=item.event, data=item.data, id=item.id, retry=item.retry)
                elif isinstance(item, Comment):
                    yield SseComment(t=t, text=item.text)


def _redact(name: str, value: str, show: bool) -> str:
    from wiretool.secrets import redact

    return redact(name, value, show)


def _accept(key: str | None) -> str | None:
    """The Sec-WebSocket-Accept a server must answer to ``key`` (RFC 6455 §4.2.2)."""
    import base64
    import hashlib

    if not key:
        return None
    digest = hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()
    return base64.b64encode(digest).decode()


def _phrase(status: int | None) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status or 0).phrase
    except ValueError:
        return ""
