"""A WebSocket capture's bytes decoded again: the two handshake heads, then every frame both ways.

Only bytes are read (a capture's records are ignored), so a capture made by an older wiretool is shown
with today's codec. Each direction's HTTP head becomes a ``handshake`` record (the response's
``Sec-WebSocket-Accept`` checked against the request's key, RFC 6455 §4.2.2); what follows it is fed to
that direction's frame codec, with permessage-deflate as the response negotiated it (RFC 7692).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING

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
    heads: dict[str, Head] = {}
    pending = {"send": bytearray(), "recv": bytearray()}
    searched = {"send": 0, "recv": 0}
    """How far each direction's pending bytes were searched for the blank line: each chunk searches only its
    own bytes (and the 3 before), so a head that never ends costs linear time, not a re-search per chunk."""
    parsers: dict[str, WsFrameParser] = {}
    for c in cap.chunks:
        if c.dir not in pending:
            if c.dir not in SIDE:
                continue
            c = Chunk(SIDE[c.dir], c.t, c.data, c.conn)  # a proxy's c2s/s2c legs
        if c.dir in parsers:
            yield from parsers[c.dir].feed(c.data, c.t)
            continue
        buf = pending[c.dir]
        buf += c.data
        end = buf.find(b"\r\n\r\n", max(0, searched[c.dir] - 3))
        searched[c.dir] = len(buf)
        if end < 0:
            continue
        head, rest = parse_head(bytes(buf[:end])), bytes(buf[end + 4:])
        buf.clear()
        heads[c.dir] = head
        headers = [[n, redact(n, v, show_secrets)] for n, v in head.headers]
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
    for p in parsers.values():
        yield from _cut_short(p.finish(cap.chunks[-1].t if cap.chunks else 0.0))


CUT_SHORT = "the capture ends inside a frame: the recording was cut short"


def _cut_short(records: list[Record]) -> Iterator[Record]:
    """The records of the end of a capture's input: a frame cut short there is where the recording stopped (a
    killed ``--record``), not the peer's fault. It is shown as far as it got, without the ``truncated-frame``
    violation, and followed by a warning; any other violation of it stays."""
    for rec in records:
        if type(rec) is WsFrame and rec.missing:
            rec = dataclasses.replace(rec, violations=tuple(v for v in rec.violations if v.code != "truncated-frame"))
            yield rec
            yield Note(t=rec.t, proto_name="ws", text=CUT_SHORT, level="warn")
        else:
            yield rec
