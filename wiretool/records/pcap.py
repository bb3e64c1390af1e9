"""The record of one TCP connection read from a pcap: who talked to whom, what it spoke, what the capture lacked.

Its ``proto`` is ``tcp`` (the layer that made it); ``protocol`` names what the connection was detected to
speak (``ws``, ``sse``, ``h2``, ``tls``, ``http``, ``tcp``). The records decoded from the connection follow
it, each with the same ``conn``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from wiretool.records import Record


class TcpConnection(Record, frozen=True, kw_only=True):
    """One connection of a pcap, written before the records of its bytes."""

    proto: ClassVar[str] = "tcp"
    type: ClassVar[str] = "connection"

    conn: int = 0
    protocol: str = "tcp"
    detected: str = ""
    """Why: the bytes that told (``HTTP/1.1 Upgrade: websocket``, ``a TLS ClientHello``...)."""
    client_addr: str = ""
    client_port: int = 0
    server_addr: str = ""
    server_port: int = 0
    started_mid: bool = False
    """The capture missed the handshake: the connection began before the capture did."""
    encrypted: bool = False
    decrypted: bool = False
    sni: str | None = None
    alpn: tuple[str, ...] = ()
    tls: str | None = None
    """The TLS status (``no keys for this session``, ``decrypting``...) when the connection is TLS."""
    packets: int = 0
    bytes_c2s: int = 0
    bytes_s2c: int = 0
    gaps: tuple[tuple[str, int, int], ...] = ()
    """``(dir, stream offset, bytes missing)`` of every hole the capture left."""
    retransmitted: int = 0
    out_of_order: int = 0
    overlapping: int = 0
    end: str = ""
    """How it ended in the capture: ``fin``, ``rst``, ``capture end`` or ``cut early`` (too many open at once)."""
    t_end: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """Written field by field: a pcap of 100k short connections writes 100k of these."""
        return {"proto": "tcp", "type": "connection", "t": self.t, "conn": self.conn, "protocol": self.protocol,
                "detected": self.detected, "client_addr": self.client_addr, "client_port": self.client_port,
                "server_addr": self.server_addr, "server_port": self.server_port, "started_mid": self.started_mid,
                "encrypted": self.encrypted, "decrypted": self.decrypted, "sni": self.sni, "alpn": list(self.alpn),
                "tls": self.tls, "packets": self.packets, "bytes_c2s": self.bytes_c2s, "bytes_s2c": self.bytes_s2c,
                "gaps": [{"dir": d, "offset": o, "missing": m} for d, o, m in self.gaps],
                "retransmitted": self.retransmitted, "out_of_order": self.out_of_order,
                "overlapping": self.overlapping, "end": self.end, "t_end": self.t_end}
