"""A capture's bytes back into records, whatever its protocol: the same codecs run again on the same bytes.

Only the bytes are read (the records a capture holds are ignored): this is how a capture made by an older
wiretool is seen with today's decoders, and the proof that the bytes alone rebuild every record.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from wiretool.errors import UsageError

if TYPE_CHECKING:
    from wiretool.capture.file import Capture
    from wiretool.records import Record



def decode(cap: Capture, *, hpack_entries: bool = False, show_secrets: bool = False) -> Iterator[Record]:
    """The records of ``cap``'s bytes, in the order its chunks were written; UsageError for an unknown protocol."""
    from wiretool import protocols

    if cap.proto == "proxy":  # one capture of many connections, each in its own protocol: sniffed per connection
        from wiretool.proxy.decode import decode_proxy

        return decode_proxy(cap, hpack_entries=hpack_entries, show_secrets=show_secrets)
    fn = protocols.part(cap.proto, "capture_decoder") if isinstance(cap.proto, str) else None
    if fn is None:
        raise UsageError(f"cannot decode a {str(cap.proto)[:40]!r} capture")
    return fn(cap, hpack_entries=hpack_entries, show_secrets=show_secrets)


def decode_conns(cap: Capture, *, hpack_entries: bool = False,
                 show_secrets: bool = False) -> Iterator[tuple[int | None, Record]]:
    """The records of ``cap`` as ``(conn, record)``: ``conn`` None for a capture of one connection (or of an
    SSE client's reconnections, which its decoder follows as attempts), as :func:`decode` gives them; else each
    connection is decoded alone with the decoder of its own protocol, ``conn`` numbering them in the order
    first seen from 1, and their records are merged in time order (up to :data:`MERGE_AT_MOST` of them)."""
    import heapq

    conns = cap.conns()
    protos = {cap.proto_of(c) for c in conns}
    if not cap.connections or len(conns) <= 1 or protos == {"sse"} == {cap.proto}:  # sse: reconnections
        yield from ((None, rec) for rec in decode(cap, hpack_entries=hpack_entries, show_secrets=show_secrets))
        return

    def one(n: int, sub: Capture) -> Iterator[tuple[int, Record]]:
        for rec in decode(sub, hpack_entries=hpack_entries, show_secrets=show_secrets):
            yield n, rec

    parts = [one(n, sub) for n, sub in enumerate(cap.split(), 1)]
    if len(parts) > MERGE_AT_MOST:  # one decoder at a time: memory stays that of one connection
        for part in parts:
            yield from part
        return
    yield from heapq.merge(*parts, key=lambda item: item[1].t)


MERGE_AT_MOST = 256
"""Up to this many connections are shown interleaved in time (a decoder alive for each); past it (a pcap of
100,000 connections) each connection is shown whole, one after the other."""
