"""A pcap or pcapng file decoded as live sessions: packets → TCP connections → protocol → the capture decoders.

Each connection's reassembled bytes become a :class:`~wiretool.capture.file.Capture` of that connection's
chunks (client bytes ``send``, server bytes ``recv``) and go through the decoder its protocol registers
(``protocols.part(proto, "capture_decoder")``), so the records are the ones a live run and
``frame decode --capture`` show. A connection's records follow its :class:`TcpConnection` record, in the order
connections end. TLS connections are decrypted with the key log (``--keylog`` and the file's Decryption Secrets
Blocks) through :mod:`wiretool.tls`, else listed as encrypted with SNI and ALPN from the ClientHello.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from wiretool.pcap.detect import HEAD_LIMIT, Detected, detect, looks_like_client
from wiretool.pcap.flows import Connection, Endpoint, Flows
from wiretool.pcap.link import LINK_NAMES, segment_of
from wiretool.pcap.reader import open_capture
from wiretool.records import Note, Record
from wiretool.records.pcap import TcpConnection
from wiretool.session import Chunk

Emit = Callable[[int, Record], None]
_TRUNCATED = frozenset({"truncated-frame", "truncated_frame", "truncated_preface"})
CUT_SHORT = "the capture ends inside a frame: the capture was cut short (no FIN, or a gap, before it)"
WIRE = {"send": "c2s", "recv": "s2c"}
"""Where the records go: ``emit(conn, record)``."""
_RESYNC = frozenset({"ws", "h2"})
"""The protocols whose directions are resynchronised after a gap, on the next plausible frame boundary."""


@dataclass
class Stats:
    """The run's figures for the summary, and the warnings said on the way."""

    format: str = ""
    packets: int = 0
    tcp_packets: int = 0
    connections: int = 0
    bytes: int = 0
    gaps: int = 0
    warnings: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    """Packets that carried no TCP segment, by reason."""


class PcapDecoder:
    """Decode one file: :meth:`run` emits every connection's records and returns the :class:`Stats`."""

    def __init__(self, emit: Emit, *, keylog: Any = None, hpack_entries: bool = False,
                 show_secrets: bool = False, warn: Callable[[str], None] | None = None) -> None:
        self.emit = emit
        self.keylog = keylog
        self.hpack_entries = hpack_entries
        self.show_secrets = show_secrets
        self.stats = Stats()
        self._warn_cb = warn
        self._t0: float | None = None
        self._info: Any = None
        self._decoders: dict[str, Any] = {}
        self._secrets_blocks = 0
        """How many of the file's Decryption Secrets Blocks are merged into ``keylog`` (they come before the
        packets they unlock, so each is merged before the next connection is decrypted)."""

    def warn(self, text: str) -> None:
        self.stats.warnings.append(text)
        if self._warn_cb is not None:
            self._warn_cb(text)

    def run(self, path: str) -> Stats:
        info, packets = open_capture(path)
        self.stats.format = info.format
        flows = Flows(self._decode_connection, self.warn)
        stats = self.stats
        skipped = stats.skipped
        self._info = info
        t0 = None
        for pkt in packets:
            stats.packets += 1
            if t0 is None:
                t0 = self._t0 = pkt.ts
            seg = segment_of(pkt.linktype, pkt.data, pkt.orig_len)
            if type(seg) is str:
                skipped[seg] = skipped.get(seg, 0) + 1
                continue
            stats.tcp_packets += 1
            flows.segment(seg, round(pkt.ts - t0, 6))  # type: ignore[arg-type]
        flows.finish()
        for warning in info.warnings:
            self.warn(warning)
        for reason, n in sorted(skipped.items()):
            if reason not in ("not TCP", "not IP"):
                self.warn(f"{n} packet(s) skipped: {reason}")
        unknown = {lt for lt in info.linktypes if lt not in LINK_NAMES}
        if unknown:
            self.warn(f"link type(s) {', '.join(map(str, sorted(unknown)))} not read")
        stats.connections = flows.count
        return stats

    # -- one connection ---------------------------------------------------------------------------------
    def _decode_connection(self, conn: Connection) -> None:
        client = conn.client or _guess_client(conn)
        server = conn.server_of(client)
        streams = {client: "send", server: "recv"}
        first = {"send": _prefix(conn, client), "recv": _prefix(conn, server)}
        det = detect(first["send"], first["recv"])
        resync = None
        if conn.started_mid and det.proto == "tcp" and (first["send"] or first["recv"]):
            from wiretool.pcap import midstream

            resync = midstream.find(first)
            det = Detected(resync[0], f"the capture starts mid-connection: {resync[0]} frames found") if resync \
                else Detected("tcp", "the capture starts mid-connection and no protocol head is in it")
        cdir, sdir = conn.dirs.get(client), conn.dirs.get(server)
        gaps = tuple((("c2s" if ep == client else "s2c"), off, n)
                     for ep, d in conn.dirs.items() for off, n in d.gaps)
        self.stats.gaps += len(gaps)
        self.stats.bytes += sum(len(p.data) for _, p in conn.pieces)
        chunks = [Chunk(streams[ep], p.t, p.data, conn.conn) for ep, p in conn.pieces]
        decrypted = False
        tls_status = None
        notes: list[Record] = []
        if det.proto == "tls":
            tls_status, plain = self._decrypt(conn, client, notes)
            if plain is not None:
                decrypted = True
                chunks = plain
                sni, alpn = det.sni, det.alpn
                det = detect(_joined(chunks, "send"), _joined(chunks, "recv"))
                det.sni, det.alpn = sni, alpn
                det.why = f"TLS, decrypted: {det.why}"
        record = TcpConnection(
            t=conn.t0, conn=conn.conn, protocol=det.proto, detected=det.why,
            client_addr=client[0], client_port=client[1], server_addr=server[0], server_port=server[1],
            started_mid=conn.started_mid, encrypted=det.proto == "tls" or decrypted, decrypted=decrypted,
            sni=det.sni, alpn=tuple(det.alpn), tls=tls_status, packets=conn.packets,
            bytes_c2s=sum(len(c.data) for c in chunks if c.dir == "send"),
            bytes_s2c=sum(len(c.data) for c in chunks if c.dir == "recv"), gaps=gaps,
            retransmitted=sum(d.retransmitted for d in (cdir, sdir) if d),
            out_of_order=sum(d.out_of_order for d in (cdir, sdir) if d),
            overlapping=sum(d.overlapping for d in (cdir, sdir) if d),
            end="cut early" if conn.cut_early else "rst" if conn.reset else "fin" if conn.ended else "capture end",
            t_end=conn.t1)
        self.emit(conn.conn, record)
        for note in notes:
            self.emit(conn.conn, note)
        decoder = self._decoder(det.proto)
        if decoder is None:
            return
        chunks, after = self._usable(conn.conn, chunks, det)
        if resync is not None:
            from wiretool.pcap import midstream

            decoder = lambda cap, **kw: midstream.decode(conn.conn, resync[0], resync[1], cap.chunks, **kw)  # noqa: E731
        from wiretool.capture.file import Capture

        # A direction the capture left unfinished (no FIN, or stopped at a gap) may end inside a frame: that is
        # where the recording stopped, not the peer's doing (as with a wiretool capture cut short).
        cut = {side for side, d in (("send", cdir), ("recv", sdir))
               if d is not None and (d.gaps or not (d.fin or conn.reset))}
        cap = Capture(header={"capture": "pcap", "proto": det.proto, "url": det.url}, chunks=chunks)
        records = decoder(cap, hpack_entries=self.hpack_entries, show_secrets=self.show_secrets)
        if after:
            records = itertools.chain(records, self._resync(conn.conn, det.proto, after))
        emit = self.emit
        for rec in records:
            if cut and getattr(rec, "violations", None) and getattr(rec, "dir", None) in cut:
                kept = tuple(v for v in rec.violations if v.code not in _TRUNCATED)
                if len(kept) < len(rec.violations):
                    emit(conn.conn, dataclasses.replace(rec, violations=kept))
                    emit(conn.conn, Note(t=rec.t, proto_name=det.proto, level="warn", text=(
                        f"conn {conn.conn} {WIRE[rec.dir]}: {CUT_SHORT}")))
                    continue
            emit(conn.conn, rec)

    def _decoder(self, proto: str) -> Any:
        """The registry's capture decoder of ``proto`` (None for what wiretool does not decode), looked up once."""
        if proto not in self._decoders:
            from wiretool import protocols

            self._decoders[proto] = protocols.part(proto, "capture_decoder") if proto in protocols.PROTOCOLS else None
        return self._decoders[proto]

    def _usable(self, conn: int, chunks: list[Chunk], det: Detected) -> tuple[list[Chunk], list[tuple[str, list[Chunk]]]]:
        """``(chunks, after)``: the chunks the decoder can read, each direction up to its first gap (said in a
        note), minus the bytes ``det`` says to pass over (an h2c upgrade's heads); and for WebSocket, the
        ``(dir, chunks)`` of every stretch between one gap and the next, to resynchronise on (WebSocket and
        HTTP/2; for HTTP/2 the HPACK table is lost with the gap, see :mod:`wiretool.pcap.midstream`)."""
        out: list[Chunk] = []
        after: list[tuple[str, list[Chunk]]] = []
        stretch: dict[str, list[Chunk]] = {}
        stopped: dict[str, int] = {}
        skip = dict(det.skip)
        offset = {"send": 0, "recv": 0}
        for c in chunks:
            if not c.data:  # a gap: the decoder cannot know where the next frame starts
                stopped[c.dir] = stopped.get(c.dir, 0) + 1
                if det.proto in _RESYNC:
                    stretch[c.dir] = []
                    after.append((c.dir, stretch[c.dir]))
                if stopped[c.dir] == 1:
                    rest = ("the rest is resynchronised on the next frame boundary" + (
                            " (the HPACK table is lost with the gap: references to it are named, not guessed)"
                            if det.proto == "h2" else "") if det.proto in _RESYNC else
                            "the rest of this direction is not decoded")
                    self.emit(conn, Note(t=c.t, proto_name=det.proto, level="warn", text=(
                        f"conn {conn} {WIRE[c.dir]}: bytes missing at stream offset {offset[c.dir]} (a gap in "
                        f"the capture): {rest}")))
                continue
            offset[c.dir] += len(c.data)
            if c.dir in stopped:
                if det.proto in _RESYNC:
                    stretch[c.dir].append(c)
                continue
            n = skip.get(c.dir, 0)
            if n:
                take = min(n, len(c.data))
                skip[c.dir] = n - take
                if take == len(c.data):
                    continue
                c = Chunk(c.dir, c.t, c.data[take:], c.conn)
            out.append(c)
        return out, after

    def _resync(self, conn: int, proto: str, after: list[tuple[str, list[Chunk]]]) -> Iterator[Record]:
        """Each stretch of a WebSocket or HTTP/2 direction between two gaps, from the first frame boundary
        found in it."""
        kw = {"hpack_entries": self.hpack_entries, "show_secrets": self.show_secrets} if proto == "h2" else {}
        from wiretool.pcap import midstream
        from wiretool.pcap.resync import boundary

        for d, chunks in after:
            if not chunks:
                continue
            head = b"".join(c.data for c in chunks)[:midstream.SEARCH]
            start = boundary(head, "h2") if proto == "h2" else boundary(head, "ws", masked=(d == "send"), rsv1=True)
            if start is None:
                yield Note(t=chunks[0].t, proto_name=proto, level="warn", text=(
                    f"conn {conn} {WIRE[d]}: no frame boundary found after the gap; the rest is not decoded"))
                continue
            yield from midstream.decode(conn, proto, {d: start}, chunks, why="after the gap", **kw)

    def _decrypt(self, conn: Connection, client: Endpoint, notes: list[Record]) -> tuple[str, list[Chunk] | None]:
        """``(TLS status, plaintext chunks or None)``; None when there are no keys or they do not fit."""
        blocks = self._info.keylog if self._info is not None else []
        if self.keylog is None and not blocks:
            return "no keys for this session (give --keylog FILE)", None
        from wiretool.tls import KeyLog, TlsConnection

        if len(blocks) > self._secrets_blocks:
            dsb = KeyLog.parse(b"\n".join(blocks[self._secrets_blocks:]), source="the pcapng secrets")
            self._secrets_blocks = len(blocks)
            if self.keylog is None:
                self.keylog = dsb
            else:
                self.keylog.extend(dsb)
        if self.keylog is None:
            return "no keys for this session (give --keylog FILE)", None

        tls = TlsConnection(self.keylog)
        plain: list[Chunk] = []
        back = {"c2s": "send", "s2c": "recv"}
        for ep, piece in conn.pieces:
            wire = "c2s" if ep == client else "s2c"
            if piece.gap_before:
                tls.gap(wire, piece.gap_before, piece.t)
            if piece.data:
                plain += [Chunk(back[p.dir], p.t, p.data, conn.conn) for p in tls.feed(wire, piece.data, piece.t)]
        plain += [Chunk(back[p.dir], p.t, p.data, conn.conn) for p in tls.finish(conn.t1)]
        for n in tls.notes:
            notes.append(Note(t=n.t, proto_name="tcp", level="warn", text=f"conn {conn.conn} TLS: {n.message}"))
        info = tls.info
        return info.status, plain if info.decrypted or plain else None


def _prefix(conn: Connection, ep: Endpoint) -> bytes:
    """The first bytes ``ep`` sent, up to its first gap (at most :data:`HEAD_LIMIT` plus one piece)."""
    out = bytearray()
    for who, piece in conn.pieces:
        if who != ep:
            continue
        if not piece.data or len(out) >= HEAD_LIMIT:
            break
        out += piece.data
    return bytes(out)


def _joined(chunks: list[Chunk], dir: str) -> bytes:
    out = bytearray()
    for c in chunks:
        if c.dir == dir:
            out += c.data
            if len(out) >= HEAD_LIMIT:
                break
    return bytes(out)


def _guess_client(conn: Connection) -> Endpoint:
    """The client of a connection whose SYN the capture missed: the side whose bytes look like a client's,
    else the side talking to the lower (server) port."""
    a, b = conn.a, conn.b
    if looks_like_client(_prefix(conn, a)[:64]):
        return a
    if looks_like_client(_prefix(conn, b)[:64]):
        return b
    return a if a[1] > b[1] else b
