"""A pcap or pcapng file decoded as live sessions: packets → TCP connections → protocol → the capture decoders.

Each connection's reassembled bytes go, as reassembly completes them, to the decoder its protocol registers
(the push form of ``protocols.part(proto, "capture_decoder")``: client bytes ``send``, server bytes
``recv``), so the records are the ones a live run and ``frame decode --capture`` show, and a connection's
bytes are dropped once decoded: memory does not grow with a connection's length.

A connection's :class:`TcpConnection` record comes before its records and says what is only known at its end
(packets, bytes, gaps, how it ended, the TLS status), and its protocol is detected from the first bytes of both
directions. So the file is read twice, by two connection tables fed the same packets (numbering is
deterministic): a *survey* (:class:`Survey`) that runs ahead, keeping of each connection only what detection
needs (the first :data:`~wiretool.pcap.detect.HEAD_LIMIT` bytes of each direction), its counters and its TLS
status; and the decode proper, which asks the survey for a connection's summary at the connection's first
packet (the survey reads on until that connection has ended) and then streams it. The file is memory-mapped:
the second read costs CPU, not memory. Records of different connections come out as they are decoded, in
the order of the packets that complete them. TLS connections are decrypted with the key log (``--keylog``
and the file's Decryption Secrets Blocks) through :mod:`wiretool.tls` (in both passes: the survey needs the
status and the plaintext's first bytes), else listed as encrypted with SNI and ALPN from the ClientHello.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from wiretool.pcap.flows import Connection, Endpoint, Flows
from wiretool.pcap.link import LINK_NAMES, segment_of
from wiretool.pcap.reader import PcapFile, open_capture
from wiretool.pcap.stream import CUT_SHORT, WIRE, ConnStream
from wiretool.pcap.survey import Survey
from wiretool.records import Record
from wiretool.session import Chunk

Emit = Callable[[int, Record], None]
"""Where the records go: ``emit(conn, record)``."""
__all__ = ["CUT_SHORT", "WIRE", "PcapDecoder", "Stats"]


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
        self.keylog_given = keylog is not None
        self.hpack_entries = hpack_entries
        self.show_secrets = show_secrets
        self.stats = Stats()
        self._warn_cb = warn
        self._decoders: dict[str, Any] = {}
        self._secrets_blocks = 0
        """How many of the file's Decryption Secrets Blocks are merged into ``keylog`` (they come before the
        packets they unlock, so each is merged as soon as the survey has read it)."""
        self._survey: Survey | None = None

    def warn(self, text: str) -> None:
        self.stats.warnings.append(text)
        if self._warn_cb is not None:
            self._warn_cb(text)

    def run(self, path: str) -> Stats:
        info, packets = open_capture(path)
        self.stats.format = info.format
        self._survey = Survey(path, self)
        flows = Flows(self._done, self.warn, self._piece, self._open)
        stats = self.stats
        skipped = stats.skipped
        t0 = None
        for pkt in packets:
            stats.packets += 1
            if t0 is None:
                t0 = pkt.ts
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

    # -- one connection, as the decode's connection table sees it --------------------------------------------
    def _open(self, conn: Connection) -> None:
        assert self._survey is not None
        summary = self._survey.summary(conn.conn)
        if summary is None:  # cannot happen: both tables read the same packets the same way
            raise RuntimeError(f"the survey of the capture lost connection {conn.conn}")
        conn.state = ConnStream(conn.conn, summary, self.emit, self._push(summary.det.proto), keylog=self.keylog,
                                hpack_entries=self.hpack_entries, show_secrets=self.show_secrets)

    def _piece(self, conn: Connection, ep: Endpoint, piece: Any) -> None:
        conn.state.piece(ep, piece)

    def _done(self, conn: Connection) -> None:
        conn.state.finish(conn.t1)
        conn.state = None

    # -- what the survey asks -------------------------------------------------------------------------------
    def decoder(self, proto: str) -> Any:
        """The registry's capture decoder of ``proto`` (None for what wiretool does not decode), looked up once."""
        if proto not in self._decoders:
            from wiretool import protocols

            entry = protocols.get(proto)
            self._decoders[proto] = entry.capture_decoder if entry is not None else None
        return self._decoders[proto]

    def _push(self, proto: str) -> Any:
        """A factory ``(detected, hpack_entries, show_secrets) -> feed/finish decoder`` for ``proto``, or None."""
        path = self.decoder(proto)
        if path is None:
            return None
        return _PUSH.get(path) or _buffered(path)

    def have_keys(self, info: PcapFile) -> bool:
        """Whether any key is known: ``--keylog``, or a Decryption Secrets Block read so far."""
        return self.keylog_given or bool(info.keylog)

    def merge_secrets(self, info: PcapFile) -> None:
        """Merge the Decryption Secrets Blocks the survey has read since last time into the key log."""
        blocks = info.keylog
        if len(blocks) > self._secrets_blocks:
            from wiretool.tls import KeyLog

            dsb = KeyLog.parse(b"\n".join(blocks[self._secrets_blocks:]), source="the pcapng secrets")
            self._secrets_blocks = len(blocks)
            if self.keylog is None:
                self.keylog = dsb
            else:
                self.keylog.extend(dsb)

    def keys(self) -> Any:
        """The one key log every decryptor reads (created empty when there is none yet, for blocks to come)."""
        if self.keylog is None:
            from wiretool.tls import KeyLog

            self.keylog = KeyLog()
        return self.keylog


def _ws(det: Any, hpack_entries: bool, show_secrets: bool) -> Any:
    from wiretool.capture.decode_ws import WsFeed

    return WsFeed(show_secrets)


def _h2(det: Any, hpack_entries: bool, show_secrets: bool) -> Any:
    from wiretool.capture.decode_h2 import H2Feed

    return H2Feed(hpack_entries, show_secrets)


def _sse(det: Any, hpack_entries: bool, show_secrets: bool) -> Any:
    from wiretool.pcap.sse_stream import SseStream

    return SseStream(det.url, show_secrets)


_PUSH: dict[str, Callable[[Any, bool, bool], Any]] = {
    "wiretool.capture.decode_ws:decode_ws": _ws,
    "wiretool.capture.decode_h2:decode_h2": _h2,
    "wiretool.capture.decode_sse:decode_sse": _sse,
}
"""The push form (``feed(chunk)``, ``finish()``) of each registered capture decoder pcap can stream through; a
decoder not named here is run over the connection's chunks at its end (:func:`_buffered`)."""


def _buffered(path: str) -> Callable[[Any, bool, bool], Any]:
    """A capture decoder with no push form: the connection's chunks are kept and decoded at its end."""
    from wiretool import protocols

    fn = protocols.load(path)

    class Buffered:
        def __init__(self, det: Any, hpack_entries: bool, show_secrets: bool) -> None:
            self.det, self.kw = det, {"hpack_entries": hpack_entries, "show_secrets": show_secrets}
            self.chunks: list[Chunk] = []

        def feed(self, c: Chunk) -> list[Record]:
            self.chunks.append(c)
            return []

        def finish(self) -> Any:
            from wiretool.capture.file import Capture

            cap = Capture(header={"capture": "pcap", "proto": self.det.proto, "url": self.det.url}, chunks=self.chunks)
            return fn(cap, **self.kw)

    return Buffered
