"""Write pcap and pcapng files by hand for the tests: any link type, IPv4 or IPv6, TCP segments in any order.

Real captures come from tcpdump (tests/pcap/oracle.py); these make what tcpdump will not: damaged files,
segments out of order, overlapping or cut by a snaplen, a 4 GiB sequence jump, 100k connections.
"""

from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass, field

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def tcp_packet(src: tuple[str, int], dst: tuple[str, int], seq: int, flags: int, payload: bytes = b"",
               ack: int = 0) -> bytes:
    """An IP packet (v4 or v6 by the address) carrying one TCP segment (checksums left 0: readers ignore them)."""
    tcp = struct.pack(">HHIIBBHHH", src[1], dst[1], seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, 65535, 0,
                      0) + payload
    s, d = ipaddress.ip_address(src[0]), ipaddress.ip_address(dst[0])
    if s.version == 4:
        return struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0x4000, 64, 6, 0, s.packed, d.packed) + tcp
    return struct.pack(">IHBB16s16s", 6 << 28, len(tcp), 6, 64, s.packed, d.packed) + tcp


def link(linktype: int, ip: bytes) -> bytes:
    """``ip`` framed for ``linktype``: Ethernet 1, null 0, SLL 113, SLL2 276, raw 101."""
    v6 = ip[0] >> 4 == 6
    etype = 0x86DD if v6 else 0x0800
    if linktype == 1:
        return b"\x00" * 6 + b"\x00" * 6 + struct.pack(">H", etype) + ip
    if linktype == 0:
        return struct.pack("<I", 30 if v6 else 2) + ip
    if linktype == 113:
        return struct.pack(">HHH8sH", 0, 772, 6, b"\0" * 8, etype) + ip
    if linktype == 276:
        return struct.pack(">HHIHBB8s", etype, 0, 1, 772, 0, 6, b"\0" * 8) + ip
    if linktype == 101:
        return ip
    raise ValueError(linktype)


@dataclass
class Capture:
    """Packets ``(t, frame bytes, original length)`` of one link type, written as pcap or pcapng."""

    linktype: int = 1
    packets: list[tuple[float, bytes, int]] = field(default_factory=list)

    def add(self, t: float, ip: bytes, snaplen: int | None = None) -> None:
        frame = link(self.linktype, ip)
        self.packets.append((t, frame[:snaplen] if snaplen else frame, len(frame)))

    def pcap(self) -> bytes:
        out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, self.linktype)]
        for t, data, orig in self.packets:
            out.append(struct.pack("<IIII", int(t), round(t % 1 * 1e6), len(data), orig) + data)
        return b"".join(out)

    def pcapng(self, secrets: bytes | None = None) -> bytes:
        def block(btype: int, body: bytes) -> bytes:
            body += b"\0" * (-len(body) % 4)
            return struct.pack("<II", btype, len(body) + 12) + body + struct.pack("<I", len(body) + 12)

        out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)),
               block(1, struct.pack("<HHI", self.linktype, 0, 262144) + struct.pack("<HHB3x", 9, 1, 9) + b"\0" * 4)]
        if secrets is not None:
            out.append(block(0x0A, struct.pack("<II", 0x544C534B, len(secrets)) + secrets))
        for t, data, orig in self.packets:
            ts = round(t * 1e9)
            out.append(block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data), orig) + data))
        return b"".join(out)


@dataclass
class Conversation:
    """One TCP connection written packet by packet: a handshake, segments each way, a close."""

    cap: Capture
    client: tuple[str, int] = ("127.0.0.1", 40000)
    server: tuple[str, int] = ("127.0.0.1", 8080)
    t: float = 1_700_000_000.0
    seq: dict[str, int] = field(default_factory=lambda: {"c2s": 1000, "s2c": 5000})

    def _ends(self, d: str) -> tuple[tuple[str, int], tuple[str, int]]:
        return (self.client, self.server) if d == "c2s" else (self.server, self.client)

    def handshake(self) -> None:
        self.packet("c2s", SYN, b"")
        self.packet("s2c", SYN | ACK, b"")
        self.seq["c2s"] += 1
        self.seq["s2c"] += 1

    def packet(self, d: str, flags: int, payload: bytes, *, seq: int | None = None, snaplen: int | None = None,
               advance: bool = False) -> None:
        src, dst = self._ends(d)
        self.t += 0.001
        at = self.seq[d] if seq is None else seq
        self.cap.add(self.t, tcp_packet(src, dst, at, flags, payload), snaplen)
        if advance:
            self.seq[d] = at + len(payload)

    def send(self, d: str, data: bytes, mss: int = 1400) -> None:
        """``data`` in order, in segments of at most ``mss`` bytes."""
        for i in range(0, len(data), mss):
            self.packet(d, PSH | ACK, data[i:i + mss], advance=True)

    def close(self) -> None:
        for d in ("c2s", "s2c"):
            self.packet(d, FIN | ACK, b"")
            self.seq[d] += 1
        self.packet("c2s", ACK, b"")


def ws_frame(payload: bytes, opcode: int = 1, mask: bytes | None = None) -> bytes:
    """A WebSocket frame (masked when ``mask`` is given)."""
    n = len(payload)
    head = bytes([0x80 | opcode])
    bit = 0x80 if mask else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + struct.pack(">H", n)
    else:
        head += bytes([bit | 127]) + struct.pack(">Q", n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += mask
    return head + payload


UPGRADE = (b"GET /chat HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
SWITCHING = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n")
