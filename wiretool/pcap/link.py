"""A captured packet's link, IP and TCP headers read down to its TCP segment, or the reason it is not one.

Link types: Ethernet (1, with 802.1Q/802.1ad tags), Linux cooked SLL (113) and SLL2 (276), what
``tcpdump -i any`` writes, BSD loopback/null (0, in either byte order) and OpenBSD loop (108), raw IP
(101, 12, 14, 228, 229). IPv4 (fragments are named and skipped: TCP over IP fragments is rare enough on the
paths a debugger watches) and IPv6 with its extension headers.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

ETHERNET, NULL, LOOP, SLL, SLL2 = 1, 0, 108, 113, 276
RAW = frozenset({101, 12, 14})
IPV4, IPV6 = 228, 229
LINK_NAMES = {ETHERNET: "Ethernet", NULL: "loopback (null)", LOOP: "loopback (OpenBSD loop)", SLL: "Linux cooked SLL",
              SLL2: "Linux cooked SLL2", 101: "raw IP", 12: "raw IP", 14: "raw IP", IPV4: "raw IPv4", IPV6: "raw IPv6"}
_ETH_IP4, _ETH_IP6, _VLANS = 0x0800, 0x86DD, (0x8100, 0x88A8, 0x9100)
_AF_INET6 = (10, 24, 28, 30)  # Linux, BSDs, FreeBSD, macOS
_V6_EXT = (0, 43, 60)  # hop-by-hop, routing, destination options
FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10

_u16 = struct.Struct(">H").unpack_from
_tcp = struct.Struct(">HHIIBB").unpack_from
_eth_ip4 = struct.Struct(">12xHBxHxxHxB2x4s4s").unpack_from
"""Ethernet then IPv4 (EtherType, version/IHL, total length, fragment field, protocol, addresses) at once: the
common packet of a tcpdump file takes one unpack (both passes of the decoder read every packet)."""


@dataclass(slots=True)
class Segment:
    """One TCP segment: its endpoints, sequence number, flags, the payload captured and how much was cut."""

    src: tuple[str, int]
    dst: tuple[str, int]
    seq: int
    ack: int
    flags: int
    payload: memoryview
    missing: int
    """Payload bytes the packet had on the wire but the capture did not keep (a snaplen)."""


_names: dict[bytes, str] = {}


def _addr(raw: bytes) -> str:
    """An address as text (cached: a capture has few distinct addresses and many packets)."""
    name = _names.get(raw)
    if name is None:
        name = socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)
        if len(_names) < 65536:
            _names[raw] = name
    return name


def network_of(linktype: int, data: memoryview) -> tuple[int, int] | str:
    """``(ip version, offset of the IP header)`` of a packet, or why it holds no IP."""
    if linktype == ETHERNET:
        if len(data) < 14:
            return "a truncated Ethernet header"
        pos, etype = 12, _u16(data, 12)[0]
        while etype in _VLANS and len(data) >= pos + 6:
            pos += 4
            etype = _u16(data, pos)[0]
        pos += 2
    elif linktype == SLL:
        if len(data) < 16:
            return "a truncated Linux cooked header"
        etype, pos = _u16(data, 14)[0], 16
    elif linktype == SLL2:
        if len(data) < 20:
            return "a truncated Linux cooked (v2) header"
        etype, pos = _u16(data, 0)[0], 20
    elif linktype in (NULL, LOOP):
        if len(data) < 4:
            return "a truncated loopback header"
        family = int.from_bytes(data[:4], "big" if linktype == LOOP else "little")
        if family > 0xFFFF:  # written on a host of the other byte order
            family = int.from_bytes(data[:4], "little" if linktype == LOOP else "big")
        etype = _ETH_IP4 if family == 2 else _ETH_IP6 if family in _AF_INET6 else -1
        pos = 4
    elif linktype in RAW or linktype in (IPV4, IPV6):
        if not len(data):
            return "an empty packet"
        etype, pos = (_ETH_IP4 if data[0] >> 4 == 4 else _ETH_IP6 if data[0] >> 4 == 6 else -1), 0
    else:
        return f"link type {linktype}, which wiretool does not read"
    if etype == _ETH_IP4:
        return 4, pos
    if etype == _ETH_IP6:
        return 6, pos
    return "not IP"


def segment_of(linktype: int, data: memoryview, orig_len: int) -> Segment | str:
    """The TCP segment a packet carries, or a short reason it carries none (not IP, not TCP, a fragment)."""
    if linktype == ETHERNET and len(data) >= 54:  # untagged Ethernet, IPv4 without options, TCP: one unpack
        etype, vihl, total, frag, proto, s4, d4 = _eth_ip4(data, 0)
        if etype == _ETH_IP4 and vihl == 0x45 and proto == 6 and not frag & 0x3FFF and total >= 20:
            sport, dport, seq, ack, off, flags = _tcp(data, 34)
            body = 34 + (off >> 4) * 4
            if body >= 54:
                end = 14 + total
                kept = min(end, len(data))
                payload = data[body:kept] if kept > body else data[0:0]
                return Segment((_names.get(s4) or _addr(s4), sport), (_names.get(d4) or _addr(d4), dport), seq, ack,
                               flags, payload, max(0, end - max(kept, body)))
    net = network_of(linktype, data)
    if isinstance(net, str):
        return net
    version, pos = net
    cut = orig_len - len(data)  # bytes of the packet the capture did not keep
    if version == 4:
        if len(data) < pos + 20:
            return "a truncated IPv4 header"
        ihl = (data[pos] & 0x0F) * 4
        total = _u16(data, pos + 2)[0]
        if data[pos + 9] != 6:
            return "not TCP"
        if _u16(data, pos + 6)[0] & 0x3FFF:
            return "an IPv4 fragment (not reassembled)"
        src, dst = _addr(bytes(data[pos + 12:pos + 16])), _addr(bytes(data[pos + 16:pos + 20]))
        start, end = pos + ihl, pos + max(total, ihl)
        if total == 0:  # TCP segmentation offload: tcpdump on the sender may see a 0 total length
            end = len(data) + cut
    else:
        if len(data) < pos + 40:
            return "a truncated IPv6 header"
        nxt, plen = data[pos + 6], _u16(data, pos + 4)[0]
        src, dst = _addr(bytes(data[pos + 8:pos + 24])), _addr(bytes(data[pos + 24:pos + 40]))
        start, end = pos + 40, pos + 40 + plen
        while nxt in _V6_EXT and len(data) >= start + 8:
            nxt, start = data[start], start + 8 + data[start + 1] * 8
        if nxt == 44:
            return "an IPv6 fragment (not reassembled)"
        if nxt != 6:
            return "not TCP"
    if len(data) < start + 20:
        return "a truncated TCP header"
    sport, dport, seq, ack, off, flags = _tcp(data, start)
    body = start + (off >> 4) * 4
    if body < start + 20:
        return "a TCP header with a bad data offset"
    kept = min(end, len(data))
    payload = data[body:kept] if kept > body else data[0:0]
    return Segment((src, sport), (dst, dport), seq, ack, flags, payload, max(0, end - max(kept, body)))
