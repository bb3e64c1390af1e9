"""The first pass over a pcap: what each connection's :class:`TcpConnection` record says, before it is decoded.

A connection's record comes before its frames, yet says what only its end tells (packets, bytes, gaps, how it
ended, the TLS status and the plaintext's protocol), and detection needs the first bytes of both directions.
The survey reads the file ahead of the decode (its own reader on the same memory-mapped file, its own
connection table: the two number and end connections alike) and keeps, per connection still open, only:

- each direction's first bytes up to its first gap, at most :data:`HEAD_LIMIT` plus the piece that crosses it
  (what detection, the client guess and the mid-connection boundary search read), and when they came;
- counters: bytes, the first gap of each direction (where and when: its warning is said before the frames);
- for a side whose first bytes look like a ClientHello, a TLS decryptor fed the whole connection (the status,
  the notes and the plaintext's first bytes and size are what the record needs; the plaintext is dropped).

:meth:`Survey.summary` reads on until connection ``n`` has ended and hands over its :class:`Summary`; what
waits is the summaries of the connections that ended while an earlier one stayed open: past
:data:`MAX_READY` of them (one connection open across a capture of 100k short ones), the rest wait pickled in
an unnamed temporary file, so memory holds only where each is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from wiretool.pcap.detect import HEAD_LIMIT, Detected, _is_client_hello, detect, looks_like_client
from wiretool.pcap.flows import Connection, Endpoint, Flows
from wiretool.pcap.link import segment_of
from wiretool.pcap.reader import open_capture
from wiretool.records import Note, Record
from wiretool.records.pcap import TcpConnection

if TYPE_CHECKING:
    from wiretool.pcap.decode import PcapDecoder
    from wiretool.pcap.tcp import Piece

KEPT_BUDGET = 64 << 20
"""First bytes kept for detection across every open connection: each direction keeps at most
:data:`HEAD_LIMIT` (plus the piece that crosses it); past this total, what a connection has kept is what its
detection reads, said in a warning."""
MAX_READY = 10000
"""Summaries held in memory while they wait for the decode; more are kept in a temporary file."""
NO_KEYS = "no keys for this session (give --keylog FILE)"
WIRE = {"send": "c2s", "recv": "s2c"}
RESYNC = frozenset({"ws", "h2"})
"""The protocols whose directions are resynchronised after a gap, on the next plausible frame boundary."""


@dataclass
class Summary:
    """What the decode needs at a connection's first packet: its record and the notes said before its frames,
    how to decode it, and which directions the capture left unfinished."""

    record: TcpConnection
    notes: list[Record]
    det: Detected
    client: Endpoint
    decrypt: bool
    """TLS decrypted with the keys: the decode decrypts it again (the survey kept no plaintext)."""
    resync: tuple[str, dict[str, int]] | None
    """A mid-connection start: the protocol found and each direction's first frame boundary."""
    first_t: dict[str, float]
    cut: tuple[str, ...]
    """The directions (``send``/``recv``) that may end inside a frame because the capture stopped there."""


@dataclass
class _Side:
    prefix: bytearray = field(default_factory=bytearray)
    open: bool = True
    """Still collecting: no gap yet and fewer than :data:`HEAD_LIMIT` bytes."""
    first_t: float | None = None
    nbytes: int = 0
    gap: tuple[float, int] | None = None
    """When and at which (data) offset the direction's first gap came."""
    tls: Any = None
    decided: bool = False
    """Whether this side's first bytes were looked at for a ClientHello."""


class _State:
    __slots__ = ("gap_order", "kept", "log", "log_bytes", "sides")

    def __init__(self) -> None:
        self.kept = 0
        """Bytes of prefixes and log this connection holds (counted in the survey's :data:`KEPT_BUDGET`)."""
        self.sides: dict[Endpoint, _Side] = {}
        self.gap_order: list[Endpoint] = []
        self.log: list[tuple[Endpoint, Piece]] | None = []
        """Every piece until each side's first bytes are looked at for a ClientHello (a TLS decryptor started
        then is fed them), at most :data:`HEAD_LIMIT` bytes; None once no longer needed."""
        self.log_bytes = 0


class Survey:
    """The look-ahead pass; ``dec`` gives the key log, the hpack/secrets options and takes the figures."""

    def __init__(self, path: str, dec: PcapDecoder) -> None:
        self.dec = dec
        self.info, packets = open_capture(path)
        self._packets: Iterator[Any] = iter(packets)
        self._t0: float | None = None
        self.flows = Flows(self._done, lambda text: None, self._piece, self._open, copy=False)
        self.ready: dict[int, Summary] = {}
        self.spilled: dict[int, tuple[int, int]] = {}
        """``conn -> (offset, length)`` of the summaries kept in :attr:`_spill`."""
        self._spill: Any = None
        self._ended = False
        self.kept = 0
        """Bytes of first bytes (and TLS logs) kept by every open connection."""
        self._warned_kept = False

    def summary(self, n: int) -> Summary | None:
        """Connection ``n``'s summary, reading ahead until it has ended (None only if it never appears)."""
        ready, flows, spilled = self.ready, self.flows, self.spilled
        packets = self._packets
        while n not in ready and n not in spilled and not self._ended:
            pkt = next(packets, None)
            if pkt is None:
                self._ended = True
                flows.finish()
                break
            if self._t0 is None:
                self._t0 = pkt.ts
            seg = segment_of(pkt.linktype, pkt.data, pkt.orig_len)
            if type(seg) is not str:
                flows.segment(seg, round(pkt.ts - self._t0, 6))  # type: ignore[arg-type]
        if n in spilled:
            import pickle

            offset, length = spilled.pop(n)
            self._spill.seek(offset)
            return pickle.loads(self._spill.read(length))  # our own unnamed file, written just now
        return ready.pop(n, None)

    def _keep(self, n: int, summary: Summary) -> None:
        if len(self.ready) < MAX_READY:
            self.ready[n] = summary
            return
        import pickle
        import tempfile

        if self._spill is None:
            self._spill = tempfile.TemporaryFile(prefix="wiretool-pcap-")
        data = pickle.dumps(summary, protocol=pickle.HIGHEST_PROTOCOL)
        self._spill.seek(0, 2)
        self.spilled[n] = (self._spill.tell(), len(data))
        self._spill.write(data)

    # -- the connection table's callbacks ----------------------------------------------------------------
    def _open(self, conn: Connection) -> None:
        conn.state = _State()

    def _piece(self, conn: Connection, ep: Endpoint, piece: Piece) -> None:
        st: _State = conn.state
        side = st.sides.get(ep)
        if side is None:
            side = st.sides[ep] = _Side()
        data = piece.data
        if data:
            side.nbytes += len(data)
            if side.first_t is None:
                side.first_t = piece.t
            if side.open and self.kept + len(data) > KEPT_BUDGET:
                self._over_budget(st)
            if side.open:
                side.prefix += data
                st.kept += len(data)
                self.kept += len(data)
                if len(side.prefix) >= HEAD_LIMIT:
                    side.open = False
        else:
            if side.gap is None:
                side.gap = (piece.t, side.nbytes)
                st.gap_order.append(ep)
            side.open = False
        started = None
        if st.log is not None:
            st.log.append((ep, piece))
            st.log_bytes += len(data)
            st.kept += len(data)
            self.kept += len(data)
            if not side.decided and (len(side.prefix) >= 6 or not side.open):
                side.decided = True
                if _is_client_hello(bytes(side.prefix[:6])):
                    started = side
                    self._start_tls(st, ep, side)  # fed the log, this piece included
            if st.log_bytes > HEAD_LIMIT or (len(st.sides) == 2 and all(s.decided for s in st.sides.values())):
                self._drop_log(st)  # a side silent this long is no ClientHello's sender; decryptors are fed from now
            elif self.kept > KEPT_BUDGET:
                self._over_budget(st)
        for other_ep, s in st.sides.items():
            if s.tls is not None and s is not started:
                self.dec.merge_secrets(self.info)  # a Decryption Secrets Block read since is used from now
                _tls_feed(s, "c2s" if ep == other_ep else "s2c", piece)

    def _over_budget(self, st: _State) -> None:
        """Too much kept across the open connections: this one keeps what it has, and detection reads that."""
        if not self._warned_kept:
            self._warned_kept = True
            self.dec.warn(f"more than {KEPT_BUDGET >> 20} MiB of first bytes kept for protocol detection across "
                          "the open connections: some connections are detected from fewer bytes")
        for side in st.sides.values():
            side.open = False
            side.decided = True
        self._drop_log(st)

    def _drop_log(self, st: _State) -> None:
        if st.log is not None:
            st.log = None
            self.kept -= st.log_bytes
            st.kept -= st.log_bytes

    def _start_tls(self, st: _State, ep: Endpoint, side: _Side) -> None:
        from wiretool.tls import TlsConnection

        self.dec.merge_secrets(self.info)
        side.tls = _TlsWatch(TlsConnection(self.dec.keys()))
        for who, piece in st.log or ():
            _tls_feed(side, "c2s" if who == ep else "s2c", piece)

    def _done(self, conn: Connection) -> None:
        st: _State = conn.state
        conn.state = None
        self.kept -= st.kept
        dec = self.dec
        sides = st.sides
        empty = _Side()
        client = conn.client or _guess_client(conn, sides)
        server = conn.server_of(client)
        cs, ss = sides.get(client, empty), sides.get(server, empty)
        first = {"send": bytes(cs.prefix), "recv": bytes(ss.prefix)}
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
        stats = dec.stats
        stats.gaps += len(gaps)
        stats.bytes += cs.nbytes + ss.nbytes
        nbytes = {"send": cs.nbytes, "recv": ss.nbytes}
        decrypt = False
        tls_status = None
        notes: list[Record] = []
        if det.proto == "tls":
            watch = cs.tls
            if not dec.have_keys(self.info):  # as the file has been read up to this connection's end
                tls_status = NO_KEYS
            elif watch is None:  # the ClientHello came after HEAD_LIMIT bytes of the server's: not followed
                from wiretool.tls.connection import BROKEN

                tls_status = BROKEN
            else:
                watch.finish(conn.t1)
                tls = watch.tls
                for n in tls.notes:
                    notes.append(Note(t=n.t, proto_name="tcp", level="warn", text=f"conn {conn.conn} TLS: {n.message}"))
                tls_status = tls.info.status
                if tls.info.decrypted or watch.any:
                    decrypt = True
                    nbytes = watch.nbytes
                    sni, alpn = det.sni, det.alpn
                    det = detect(bytes(watch.prefix["send"]), bytes(watch.prefix["recv"]))
                    det.sni, det.alpn = sni, alpn
                    det.why = f"TLS, decrypted: {det.why}"
        record = TcpConnection(
            t=conn.t0, conn=conn.conn, protocol=det.proto, detected=det.why,
            client_addr=client[0], client_port=client[1], server_addr=server[0], server_port=server[1],
            started_mid=conn.started_mid, encrypted=det.proto == "tls" or decrypt, decrypted=decrypt,
            sni=det.sni, alpn=tuple(det.alpn), tls=tls_status, packets=conn.packets,
            bytes_c2s=nbytes["send"], bytes_s2c=nbytes["recv"], gaps=gaps,
            retransmitted=sum(d.retransmitted for d in (cdir, sdir) if d),
            out_of_order=sum(d.out_of_order for d in (cdir, sdir) if d),
            overlapping=sum(d.overlapping for d in (cdir, sdir) if d),
            end="cut early" if conn.cut_early else "rst" if conn.reset else "fin" if conn.ended else "capture end",
            t_end=conn.t1)
        if not decrypt and dec.decoder(det.proto) is not None:
            for ep in st.gap_order:  # the first gap of each direction, said before the frames
                t, offset = sides[ep].gap  # type: ignore[misc]
                d = "send" if ep == client else "recv"
                rest = ("the rest is resynchronised on the next frame boundary" + (
                        " (the HPACK table is lost with the gap: references to it are named, not guessed)"
                        if det.proto == "h2" else "") if det.proto in RESYNC else
                        "the rest of this direction is not decoded")
                notes.append(Note(t=t, proto_name=det.proto, level="warn", text=(
                    f"conn {conn.conn} {WIRE[d]}: bytes missing at stream offset {offset} (a gap in "
                    f"the capture): {rest}")))
        cut = tuple(side for side, d in (("send", cdir), ("recv", sdir))
                    if d is not None and (d.gaps or not (d.fin or conn.reset)))  # a tuple: 100k of them wait
        first_t = {d: s.first_t for d, s in (("send", cs), ("recv", ss)) if s.first_t is not None}
        self._keep(conn.conn, Summary(record, notes, det, client, decrypt, resync, first_t, cut))


class _TlsWatch:
    """A TLS decryptor whose plaintext is only measured: its first bytes per direction and its size."""

    __slots__ = ("any", "nbytes", "prefix", "tls")

    def __init__(self, tls: Any) -> None:
        self.tls = tls
        self.prefix = {"send": bytearray(), "recv": bytearray()}
        self.nbytes = {"send": 0, "recv": 0}
        self.any = False

    def take(self, plain: list[Any]) -> None:
        for p in plain:
            d = "send" if p.dir == "c2s" else "recv"
            self.any = True
            self.nbytes[d] += len(p.data)
            if len(self.prefix[d]) < HEAD_LIMIT:
                self.prefix[d] += p.data

    def finish(self, t: float) -> None:
        self.take(self.tls.finish(t))


def _tls_feed(side: _Side, wire: str, piece: Piece) -> None:
    watch: _TlsWatch = side.tls
    if piece.gap_before:
        watch.tls.gap(wire, piece.gap_before, piece.t)
    if piece.data:
        watch.take(watch.tls.feed(wire, bytes(piece.data), piece.t))


def _guess_client(conn: Connection, sides: dict[Endpoint, _Side]) -> Endpoint:
    """The client of a connection whose SYN the capture missed: the side whose bytes look like a client's,
    else the side talking to the lower (server) port."""
    a, b = conn.a, conn.b
    pa, pb = sides.get(a), sides.get(b)
    if pa is not None and looks_like_client(bytes(pa.prefix[:64])):
        return a
    if pb is not None and looks_like_client(bytes(pb.prefix[:64])):
        return b
    return a if a[1] > b[1] else b
