"""A WebSocket capture's bytes decoded again: the two handshake heads, then every frame both ways.

Only bytes are read (a capture's records are ignored), so a capture made by an older wiretool is shown
with today's codec. Each direction's HTTP head becomes a ``handshake`` record (the response's
``Sec-WebSocket-Accept`` checked against the request's key, RFC 6455 §4.2.2); what follows it is fed to
that direction's frame codec, with permessage-deflate as the response negotiated it (RFC 7692).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import msgspec
from websockets.utils import accept_key

from wiretool.capture.exchanges import SIDE
from wiretool.codec.http1 import Head, parse_head
from wiretool.codec.wsframe import WsFrameParser
from wiretool.records import Note
from wiretool.records.ws import WsFrame
from wiretool.records.ws_session import WsHandshake
from wiretool.secrets import redact
from wiretool.session import Chunk

if TYPE_CHECKING:
    from wiretool.capture.file import Capture
    from wiretool.records import Record


def deflate_params(response: Head | None) -> tuple[bool, bool, bool]:
    """``(deflate, server_no_context_takeover, client_no_context_takeover)`` from a 101 response."""
    if response is None:
        return False, False, False
    ext = ",".join(v for n, v in response.headers if n.lower() == "sec-websocket-extensions").lower()
    if "permessage-deflate" not in ext:
        return False, False, False
    return True, "server_no_context_takeover" in ext, "client_no_context_takeover" in ext


def expected_accept(key: str | None) -> str | None:
    """The ``Sec-WebSocket-Accept`` a server must answer to ``key`` (None without a key)."""
    return accept_key(key) if key else None


def decode_ws(cap: Capture, hpack_entries: bool = False, show_secrets: bool = False) -> Iterator[Record]:
    """Every record the capture's bytes decode to, in the order the chunks were written."""
    feed = WsFeed(show_secrets)
    for c in cap.chunks:
        yield from feed.feed(c)
    yield from feed.finish(cap.chunks[-1].t if cap.chunks else 0.0)


class WsFeed:
    """The decoder of one WebSocket connection's bytes, a chunk at a time: what a pcap's connection is fed
    through while it is reassembled (nothing of a chunk is kept once its frames are out, but the frame or
    head still incomplete), and what :func:`decode_ws` runs over a capture's chunks."""

    def __init__(self, show_secrets: bool = False) -> None:
        self.show_secrets = show_secrets
        self.heads: dict[str, Head] = {}
        self.pending = {"send": bytearray(), "recv": bytearray()}
        self.searched = {"send": 0, "recv": 0}
        """How far each direction's pending bytes were searched for the blank line: each chunk searches only
        its own bytes (and the 3 before), so a head that never ends costs linear time, not a re-search per
        chunk."""
        self.parsers: dict[str, WsFrameParser] = {}

    def feed(self, c: Chunk) -> Iterator[Record]:
        """The records chunk ``c`` completes (a proxy's ``c2s``/``s2c`` legs are its ``send``/``recv``)."""
        pending = self.pending
        if c.dir not in pending:
            if c.dir not in SIDE:
                return
            c = Chunk(SIDE[c.dir], c.t, c.data, c.conn)  # a proxy's c2s/s2c legs
        parsers = self.parsers
        if c.dir in parsers:
            yield from parsers[c.dir].feed(c.data, c.t)
            return
        buf = pending[c.dir]
        buf += c.data
        end = buf.find(b"\r\n\r\n", max(0, self.searched[c.dir] - 3))
        self.searched[c.dir] = len(buf)
        if end < 0:
            return
        heads = self.heads
        head, rest = parse_head(bytes(buf[:end])), bytes(buf[end + 4:])
        buf.clear()
        heads[c.dir] = head
        headers = [[n, redact(n, v, self.show_secrets)] for n, v in head.headers]
        if c.dir == "send":
            yield WsHandshake(t=c.t, dir="send", request_line=head.start_line, headers=headers)
        else:
            reason = head.start_line.split(" ", 2)[2] if head.start_line.count(" ") >= 2 else ""
            expected = expected_accept(heads["send"].get("sec-websocket-key")) if "send" in heads else None
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

    def finish(self, t: float) -> Iterator[Record]:
        """The end of the bytes (``t`` the time of the last chunk): a frame cut short there is said so."""
        for p in self.parsers.values():
            yield from _cut_short(p.finish(t))


CUT_SHORT = "the capture ends inside a frame: the recording was cut short"


def _cut_short(records: list[Record]) -> Iterator[Record]:
    """The records of the end of a capture's input: a frame cut short there is where the recording stopped (a
    killed ``--record``), not the peer's fault. It is shown as far as it got, without the ``truncated-frame``
    violation, and followed by a warning; any other violation of it stays."""
    for rec in records:
        if type(rec) is WsFrame and rec.missing:
            rec = msgspec.structs.replace(rec, violations=tuple(v for v in rec.violations if v.code != "truncated-frame"))
            yield rec
            yield Note(t=rec.t, proto_name="ws", text=CUT_SHORT, level="warn")
        else:
            yield rec
