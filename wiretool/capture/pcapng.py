"""A session's plaintext as a pcapng file of synthetic TCP packets, for tshark and Wireshark.

``--record-pcapng FILE`` on a live command and ``wiretool capture export FILE --pcapng OUT`` write it. Each
connection becomes a TCP connection between its real addresses and ports (when the capture knows them):
a SYN, SYN-ACK, ACK handshake, then every chunk as PSH/ACK segments with correct sequence and
acknowledgement numbers and IPv4 or IPv6 and TCP checksums, and a FIN from each side at the end. The bytes
are the plaintext, after TLS, so a TLS session is dissected as WebSocket, HTTP/2 or gRPC.

The four block types needed (Section Header, Interface Description, Enhanced Packet; RFC draft
"PCAP Next Generation") are written here rather than through a library: dpkt (the one well-kept pure-Python
writer) takes three times as long per packet in ``benchmarks/bench_pcapng.py`` and is one more dependency for
some forty lines (docs/capture-format.md, "pcapng export").
"""

from __future__ import annotations

import ipaddress
import os
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wiretool import __version__
from wiretool.errors import UsageError

LINKTYPE_RAW = 101
"""Raw IP: each packet starts with its IPv4 or IPv6 header (no link layer to invent)."""
SEGMENT = 32 * 1024
"""Largest TCP payload of one packet (an IP packet's length is 16 bits; tshark reassembles the segments)."""
ISN_CLIENT, ISN_SERVER = 0x10000000, 0x20000000
"""Initial sequence numbers (Wireshark shows them relative: 0, 1, ...)."""
_FIN, _SYN, _PSH, _ACK = 0x01, 0x02, 0x08, 0x10
_CLIENT_DIRS = frozenset({"send", "c2s"})


@dataclass
class _Tcp:
    """One synthetic TCP connection: its endpoints and the next sequence number of each side."""

    client: tuple[bytes, int]
    server: tuple[bytes, int]
    v6: bool
    seq_c: int = ISN_CLIENT + 1
    seq_s: int = ISN_SERVER + 1
    ended: bool = False


class PcapngWriter:
    """The capture-writer interface (``connection``, ``chunk``, ``record``, ``close``) writing pcapng.

    Secrets: it is given the bytes the capture would keep, so a caller redacts them first unless
    ``--show-secrets`` (:class:`wiretool.capture.redact` via :class:`RedactingPcapng`).
    """

    def __init__(self, path: str | Path, *, start: float | None = None, url: str = "") -> None:
        self.path = Path(path)
        try:
            self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        except OSError as exc:
            raise UsageError(f"cannot write pcapng {path}: {exc.strerror or exc}") from None
        self.failed: str | None = None
        self._start = time.time() if start is None else start
        self._url = url
        self._meta: dict[int, dict[str, Any]] = {}
        self._tcp: dict[int, _Tcp] = {}
        self._last_t = 0.0
        self.packets = 0
        """How many packets were written."""
        self._write(_shb() + _idb())
        if self.failed:
            raise UsageError(self.failed)

    def set_start(self, start: float) -> None:
        """The wall-clock time (epoch seconds) that a chunk's ``t`` counts from (an export: the capture's start)."""
        self._start = start

    # -- the capture-writer interface -------------------------------------------------------------
    def connection(self, conn: int, *, proto: str = "", client: tuple[str, int] | None = None,
                   server: tuple[str, int] | None = None, **meta: Any) -> None:
        """What connection ``conn`` is; its addresses are used if it has sent nothing yet."""
        known = self._meta.setdefault(conn, {})
        if client is not None:
            known["client"] = client
        if server is not None:
            known["server"] = server
        known.update(meta)

    def record(self, record: Any) -> None:
        """A ``connect`` record tells the server's address (when no ``connection`` call did)."""
        obj = record if isinstance(record, dict) else record.to_json()
        if obj.get("type") == "connect":
            where = obj.get("peer") or obj.get("address")
            addr = _parse_hostport(where) if isinstance(where, str) else None
            if addr is not None:
                self._meta.setdefault(0, {}).setdefault("server", addr)

    def chunk(self, dir: str, t: float, data: bytes, conn: int = 0) -> None:
        """``data`` as TCP segments from the side ``dir`` names (``send``/``c2s`` is the client's)."""
        if not data:
            return
        self._last_t = max(self._last_t, t)
        tcp = self._tcp.get(conn) or self._open(conn, t)
        out = bytearray()
        view = memoryview(data)
        client = dir in _CLIENT_DIRS
        for start in range(0, len(data), SEGMENT):
            piece = bytes(view[start:start + SEGMENT])
            if client:
                out += self._packet(tcp, t, True, tcp.seq_c, tcp.seq_s, _PSH | _ACK, piece)
                tcp.seq_c = (tcp.seq_c + len(piece)) & 0xFFFFFFFF
            else:
                out += self._packet(tcp, t, False, tcp.seq_s, tcp.seq_c, _PSH | _ACK, piece)
                tcp.seq_s = (tcp.seq_s + len(piece)) & 0xFFFFFFFF
        self._write(bytes(out))

    def close(self) -> None:
        """A FIN from each side of every connection, then the file is closed."""
        if self._fd is None:
            return
        t = self._last_t
        for tcp in self._tcp.values():
            if not tcp.ended:
                self._write(self._packet(tcp, t, True, tcp.seq_c, tcp.seq_s, _FIN | _ACK, b"")
                            + self._packet(tcp, t, False, tcp.seq_s, tcp.seq_c + 1, _FIN | _ACK, b"")
                            + self._packet(tcp, t, True, tcp.seq_c + 1, tcp.seq_s + 1, _ACK, b""))
                tcp.ended = True
        try:
            os.close(self._fd)
        except OSError:
            pass
        self._fd = None

    def __enter__(self) -> PcapngWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- TCP ----------------------------------------------------------------------------------------
    def _open(self, conn: int, t: float) -> _Tcp:
        """The connection's handshake (SYN, SYN-ACK, ACK) at the time of its first bytes."""
        meta = self._meta.get(conn, {})
        server = meta.get("server") or _url_address(self._url) or ("127.0.0.1", 80)
        server_ip = _ip(server[0])
        v6 = server_ip.version == 6
        client = meta.get("client") or ("::1" if v6 else "127.0.0.1", 49152 + conn % 16384)
        client_ip = _ip(client[0])
        if client_ip.version != server_ip.version:  # a proxy's legs can differ; one family per packet
            client_ip = _ip("::1" if v6 else "127.0.0.1")
        tcp = self._tcp[conn] = _Tcp((client_ip.packed, int(client[1])), (server_ip.packed, int(server[1])), v6)
        self._write(self._packet(tcp, t, True, ISN_CLIENT, 0, _SYN, b"")
                    + self._packet(tcp, t, False, ISN_SERVER, ISN_CLIENT + 1, _SYN | _ACK, b"")
                    + self._packet(tcp, t, True, ISN_CLIENT + 1, ISN_SERVER + 1, _ACK, b""))
        return tcp

    def _packet(self, tcp: _Tcp, t: float, from_client: bool, seq: int, ack: int, flags: int,
                payload: bytes) -> bytes:
        (src, sport), (dst, dport) = (tcp.client, tcp.server) if from_client else (tcp.server, tcp.client)
        ip = tcp_packet(src, sport, dst, dport, seq, ack, flags, payload, v6=tcp.v6)
        self.packets += 1
        return _epb(self._start + t, ip)

    def _write(self, data: bytes) -> None:
        if self.failed or self._fd is None:
            return
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view):]
        except OSError as exc:
            self.failed = f"cannot write pcapng {self.path}: {exc.strerror or exc}"
            import sys

            sys.stderr.write(f"wiretool: warning: {self.failed}; the pcapng is incomplete\n")
            sys.stderr.flush()


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071): the one's complement of the one's-complement sum of 16-bit words.

    The sum of big-endian words modulo 0xFFFF equals the whole buffer as one big integer modulo 0xFFFF (as
    2^16 = 1 mod 0xFFFF), which Python computes at C speed."""
    if len(data) % 2:
        data += b"\x00"
    n = int.from_bytes(data, "big")
    s = n % 0xFFFF
    if s == 0 and n:
        s = 0xFFFF
    return ~s & 0xFFFF


def tcp_packet(src: bytes, sport: int, dst: bytes, dport: int, seq: int, ack: int, flags: int, payload: bytes,
               *, v6: bool) -> bytes:
    """An IPv4 or IPv6 packet holding one TCP segment, both checksums right."""
    length = 20 + len(payload)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, 0)
    if v6:
        pseudo = src + dst + struct.pack("!IxxxB", length, 6)
    else:
        pseudo = src + dst + struct.pack("!xBH", 6, length)
    csum = checksum(pseudo + tcp + payload)
    tcp = tcp[:16] + struct.pack("!H", csum) + tcp[18:]
    if v6:
        return struct.pack("!IHBB", 6 << 28, length, 6, 64) + src + dst + tcp + payload
    head = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + length, 0, 0x4000, 64, 6, 0, src, dst)
    head = head[:10] + struct.pack("!H", checksum(head)) + head[12:]
    return head + tcp + payload


def _block(kind: int, body: bytes) -> bytes:
    pad = -len(body) % 4
    total = 12 + len(body) + pad
    return struct.pack("<II", kind, total) + body + b"\x00" * pad + struct.pack("<I", total)


def _option(code: int, value: bytes) -> bytes:
    return struct.pack("<HH", code, len(value)) + value + b"\x00" * (-len(value) % 4)


def _shb() -> bytes:
    """Section Header Block: byte-order magic, version 1.0, unknown section length, who wrote it."""
    body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1) + _option(4, f"wiretool {__version__}".encode()) + _option(0, b"")
    return _block(0x0A0D0D0A, body)


def _idb() -> bytes:
    """Interface Description Block: raw IP, no snap length limit, microsecond timestamps (the default)."""
    body = struct.pack("<HHI", LINKTYPE_RAW, 0, 0) + _option(2, b"wiretool") + _option(0, b"")
    return _block(1, body)


def _epb(when: float, packet: bytes) -> bytes:
    """Enhanced Packet Block on interface 0, stamped in microseconds since the epoch."""
    us = int(when * 1e6)
    return _block(6, struct.pack("<IIIII", 0, us >> 32, us & 0xFFFFFFFF, len(packet), len(packet)) + packet)


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    """``host`` as an address; a name (not resolved: the capture does not say what it resolved to) is loopback."""
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return ipaddress.ip_address("127.0.0.1")


def _parse_hostport(text: str) -> tuple[str, int] | None:
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host.strip("[]"), int(port)


def _url_address(url: str) -> tuple[str, int] | None:
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    default = 443 if parts.scheme in ("https", "wss") else 80
    return parts.hostname, port or default
