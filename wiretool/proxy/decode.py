"""A proxy's capture read back: every connection's bytes sniffed again, and one connection taken out for replay.

A ``--record`` of ``wiretool proxy`` is one capture (``proto: "proxy"``) holding every connection, each
chunk with its ``conn`` and ``dir`` (``c2s``/``s2c``). :func:`decode_proxy` runs a fresh
:class:`~wiretool.proxy.sniff.Sniffer` per connection over the chunks in the order they were written, so
``frame decode --capture`` shows what the proxy showed. :func:`one_connection` turns connection N into
the capture its protocol's replayer reads (``replay --conn N``): its chunks as ``send``/``recv`` and the
header of a capture the client would have made itself.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import TYPE_CHECKING

from wiretool.errors import UsageError
from wiretool.proxy.sniff import C2S, S2C, Sniffer, SniffOptions
from wiretool.records.proxy import OnConn
from wiretool.session import Chunk

if TYPE_CHECKING:
    from wiretool.capture.file import Capture

_REPLAYABLE = {"ws": "ws", "sse": "sse", "h2": "h2", "grpc": "h2"}


def decode_proxy(cap: Capture, hpack_entries: bool = False, show_secrets: bool = False) -> Iterator[OnConn]:
    """Every record the capture's connections decode to, tagged with their connection, in wire order."""
    sniffers: dict[int, Sniffer] = {}
    last_t = 0.0
    options = SniffOptions(show_secrets=show_secrets)
    for c in cap.chunks:
        if c.dir not in (C2S, S2C):
            continue
        sniffer = sniffers.get(c.conn)
        if sniffer is None:
            sniffer = sniffers[c.conn] = Sniffer(options=options)
        last_t = c.t
        for rec in sniffer.feed(c.dir, c.data, c.t):
            yield OnConn(c.conn, rec)
    for conn, sniffer in sniffers.items():
        for dir in (C2S, S2C):
            for rec in sniffer.finish(dir, last_t):
                yield OnConn(conn, rec)


def connections(cap: Capture) -> list[int]:
    """The connection numbers a proxy capture holds, in order."""
    return sorted({c.conn for c in cap.chunks if c.dir in (C2S, S2C)})


def one_connection(cap: Capture, conn: int | None) -> Capture:
    """Connection ``conn`` of a proxy capture as the capture its client would have written (for replay)."""
    conns = connections(cap)
    if conn is None:
        if len(conns) != 1:
            raise UsageError(f"this proxy capture holds {len(conns)} connections: choose one with --conn N "
                             f"({', '.join(map(str, conns[:20]))})")
        conn = conns[0]
    if conn not in conns:
        raise UsageError(f"this proxy capture has no connection {conn} (it has {', '.join(map(str, conns[:20]))})")
    mine = [c for c in cap.chunks if c.conn == conn and c.dir in (C2S, S2C)]
    sniffer = Sniffer()
    target = None
    for c in mine:
        for rec in sniffer.feed(c.dir, c.data, c.t):
            if target is None and getattr(rec, "dir", None) == C2S:
                target = getattr(rec, "target", None) or _request_target(rec)
    proto = _REPLAYABLE.get(sniffer.protocol)
    if proto is None:
        raise UsageError(f"connection {conn} spoke {sniffer.protocol}: replay takes ws, sse or h2 connections")
    base = str(cap.header.get("url", "")).rstrip("/")
    scheme, _, rest = base.partition("://")
    if proto == "ws":
        scheme = "wss" if scheme in ("https", "wss") else "ws"
    else:
        scheme = "https" if scheme in ("https", "wss") else "http"
    header = {**cap.header, "proto": proto, "url": f"{scheme}://{rest}{target or '/'}", "proxy_conn": conn}
    if proto == "sse":
        header["urls"] = [header["url"]]
    chunks = [Chunk("send" if c.dir == C2S else "recv", c.t, c.data, 0) for c in mine]
    return dataclasses.replace(cap, header=header, chunks=chunks)


def _request_target(rec: object) -> str | None:
    line = getattr(rec, "request_line", None)
    if isinstance(line, str) and " " in line:
        return line.split(" ")[1]
    for name, value in getattr(rec, "headers", None) or ():
        if name == ":path":
            return str(value)
    return None
