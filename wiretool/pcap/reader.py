"""pcap and pcapng files read into packets: what tcpdump, Wireshark, tshark and editcap write.

Our own reader rather than dpkt or python-pcapng, for what a debugger needs and they do not give (named in
docs/pcap.md): every defect of a damaged file is one named warning and the packets before it are kept (dpkt
raises on a short record header and on a bad block length; python-pcapng raises on a truncated block and
reads a whole block into memory whatever length it claims); Decryption Secrets Blocks come out with the
packets; and it is several times faster, which the 100 MB benchmark needs (benchmarks/bench_pcap.py).

The file is mapped (``mmap``), so a packet is a zero-copy ``memoryview`` of it and memory stays bounded
whatever the file's size: the pages already read are given back every :data:`RELEASE` bytes
(``MADV_DONTNEED``: they stay in the page cache, but stop counting in the process's resident memory, which a
file read whole otherwise reaches). A length field is never trusted: a block or record that claims more than the file
holds, or more than :data:`MAX_PACKET`, ends the reading with a warning saying where.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from wiretool.errors import UsageError

MAX_PACKET = 1 << 18
"""The largest packet a capture holds (tcpdump's default snaplen is 262144): a record claiming more is corrupt."""

RELEASE = 8 << 20
"""Every this many bytes read, the mapped pages behind the reader are released."""

PCAP_MAGICS = {
    b"\xd4\xc3\xb2\xa1": ("<", 1e-6), b"\xa1\xb2\xc3\xd4": (">", 1e-6),
    b"\x4d\x3c\xb2\xa1": ("<", 1e-9), b"\xa1\xb2\x3c\x4d": (">", 1e-9),
}
PCAPNG_SHB = b"\x0a\x0d\x0d\x0a"
DSB_TLS_KEYLOG = 0x544C534B
"""The secrets type of a Decryption Secrets Block holding an NSS key log (``editcap --inject-secrets tls,FILE``)."""


@dataclass(slots=True)
class Packet:
    """One captured packet: when (seconds since the epoch), its link type, the bytes kept and how many it had."""

    ts: float
    linktype: int
    data: memoryview
    orig_len: int
    number: int
    """1-based, as Wireshark numbers frames."""


@dataclass
class PcapFile:
    """What reading a file gave besides its packets: format, warnings, TLS secrets from the file itself."""

    format: str = ""
    warnings: list[str] = field(default_factory=list)
    keylog: list[bytes] = field(default_factory=list)
    """The NSS key log text of every Decryption Secrets Block, in file order."""
    linktypes: set[int] = field(default_factory=set)


def open_capture(path: str | Path) -> tuple[PcapFile, Iterator[Packet]]:
    """Map ``path`` and return its facts and an iterator of its packets; UsageError when it is no pcap at all.

    Warnings (a damaged end, an unknown block) are appended to the facts while the iterator runs.
    """
    try:
        with open(path, "rb") as f:
            size = f.seek(0, 2)
            if size == 0:
                raise UsageError(f"{path} is empty: not a pcap or pcapng file")
            buf = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    head = bytes(buf[:4])
    info = PcapFile()
    if head in PCAP_MAGICS:
        info.format = "pcap"
        return info, _pcap(memoryview(buf), info, _Pages(buf))
    if head == PCAPNG_SHB:
        info.format = "pcapng"
        return info, _pcapng(memoryview(buf), info, _Pages(buf))
    raise UsageError(f"{path} is not a pcap or pcapng file (it starts with {head.hex()})")


class _Pages:
    """The mapped pages behind the reader, released every :data:`RELEASE` bytes (a shared read-only mapping:
    a page touched again is read back from the file, never lost)."""

    def __init__(self, buf: mmap.mmap) -> None:
        self.buf = buf
        self.done = 0
        self.at = RELEASE
        """The next position at which to release what lies behind (past the end of the file: never)."""
        self._how = getattr(mmap, "MADV_DONTNEED", None)
        if self._how is None:
            self.at = 1 << 62

    def release(self, pos: int) -> None:
        upto = pos - pos % mmap.PAGESIZE
        if upto > self.done:
            try:
                self.buf.madvise(self._how, self.done, upto - self.done)  # type: ignore[arg-type]
            except (OSError, ValueError):  # refused: the pages stay mapped, as without this
                self.at = 1 << 62
                return
            self.done = upto
        self.at = pos + RELEASE


def _pcap(view: memoryview, info: PcapFile, pages: _Pages) -> Iterator[Packet]:
    order, unit = PCAP_MAGICS[bytes(view[:4])]
    size = len(view)
    if size < 24:
        info.warnings.append(f"the file ends inside its {size}-byte header (24 bytes): no packets")
        return
    _, _, _, _, _snaplen, network = struct.unpack_from(order + "HHiIII", view, 4)
    linktype = network & 0x0FFFFFFF  # the upper bits may carry FCS facts (pcap-savefile(5))
    info.linktypes.add(linktype)
    rec = struct.Struct(order + "IIII").unpack_from
    pos, number = 24, 0
    while pos < size:
        number += 1
        if pos + 16 > size:
            info.warnings.append(f"the file ends inside the header of packet {number} (truncated capture)")
            return
        sec, frac, incl, orig = rec(view, pos)
        if incl > MAX_PACKET:
            info.warnings.append(f"packet {number} at offset {pos} claims {incl} bytes (more than {MAX_PACKET}): "
                                 "the file is corrupt from there; the rest is not read")
            return
        end = pos + 16 + incl
        if end > size:
            info.warnings.append(f"the file ends inside packet {number} ({end - size} of its {incl} bytes "
                                 "missing): the capture was cut short")
            incl, end = size - pos - 16, size
        yield Packet(sec + frac * unit, linktype, view[pos + 16:end], max(orig, incl), number)
        pos = end
        if pos >= pages.at:
            pages.release(pos)


_BT_IDB, _BT_PB, _BT_SPB, _BT_EPB, _BT_DSB = 1, 2, 3, 6, 0x0000000A


def _pcapng(view: memoryview, info: PcapFile, pages: _Pages) -> Iterator[Packet]:
    size = len(view)
    pos, number = 0, 0
    order = "<"
    interfaces: list[tuple[int, float, float, int]] = []  # (linktype, unit, offset seconds, snaplen)
    while pos < size:
        if pos + 12 > size:
            info.warnings.append(f"the file ends inside a block header at offset {pos} (truncated capture)")
            return
        btype_raw = bytes(view[pos:pos + 4])
        if btype_raw == PCAPNG_SHB:  # a new section: its byte-order magic says how to read what follows
            magic = bytes(view[pos + 8:pos + 12])
            if magic == b"\x4d\x3c\x2b\x1a":
                order = "<"
            elif magic == b"\x1a\x2b\x3c\x4d":
                order = ">"
            else:
                info.warnings.append(f"section header at offset {pos} has a bad byte-order magic {magic.hex()}: "
                                     "the rest is not read")
                return
            interfaces = []
        btype, blen = struct.unpack_from(order + "II", view, pos)
        if blen < 12 or blen % 4 or pos + blen > size or (blen > MAX_PACKET + (1 << 16) and btype != _BT_DSB):
            why = ("runs past the end of the file (truncated capture)" if pos + blen > size and blen % 4 == 0
                   and blen >= 12 else "is corrupt")
            info.warnings.append(f"the block at offset {pos} (type {btype:#x}) claims {blen} bytes, which {why}: "
                                 "the rest is not read")
            return
        (trailer,) = struct.unpack_from(order + "I", view, pos + blen - 4)
        if trailer != blen:
            info.warnings.append(f"the block at offset {pos} (type {btype:#x}) ends with length {trailer}, not "
                                 f"{blen}: the file is corrupt from there; the rest is not read")
            return
        body = view[pos + 8:pos + blen - 4]
        if pos >= pages.at:
            pages.release(pos)  # what lies before this block
        pos += blen
        if btype == _BT_EPB or btype == _BT_PB:
            if len(body) < 20:
                info.warnings.append(f"a packet block at offset {pos - blen} is too short; skipped")
                continue
            number += 1
            if btype == _BT_EPB:
                iface, hi, lo, cap, orig = struct.unpack_from(order + "IIIII", body, 0)
            else:
                iface, _drops, hi, lo, cap, orig = struct.unpack_from(order + "HHIIII", body, 0)
            if iface >= len(interfaces):
                info.warnings.append(f"packet {number} names interface {iface}, which was never described; skipped")
                continue
            linktype, unit, offset, _ = interfaces[iface]
            if cap > len(body) - 20:
                info.warnings.append(f"packet {number} claims {cap} captured bytes in a block of {len(body)}: "
                                     "cut to what the block holds")
                cap = len(body) - 20
            yield Packet(((hi << 32) | lo) * unit + offset, linktype, body[20:20 + cap], max(orig, cap), number)
        elif btype == _BT_SPB:
            if len(body) < 4 or not interfaces:
                continue
            number += 1
            (orig,) = struct.unpack_from(order + "I", body, 0)
            linktype, _, _, snaplen = interfaces[0]
            cap = min(orig, len(body) - 4, snaplen or MAX_PACKET)
            yield Packet(0.0, linktype, body[4:4 + cap], orig, number)
        elif btype == _BT_IDB:
            if len(body) < 8:
                info.warnings.append(f"an interface block at offset {pos - blen} is too short; skipped")
                continue
            linktype, _, snaplen = struct.unpack_from(order + "HHI", body, 0)
            unit, offset = _if_options(body[8:], order)
            interfaces.append((linktype, unit, offset, snaplen))
            info.linktypes.add(linktype)
        elif btype == _BT_DSB:
            if len(body) < 8:
                continue
            stype, slen = struct.unpack_from(order + "II", body, 0)
            if stype == DSB_TLS_KEYLOG and slen <= len(body) - 8:
                info.keylog.append(bytes(body[8:8 + slen]))
            elif stype != DSB_TLS_KEYLOG:
                info.warnings.append(f"a Decryption Secrets Block of type {stype:#x} is not a TLS key log; ignored")
        # every other block (name resolution, statistics, custom) holds nothing a debugger of streams needs


def _if_options(opts: memoryview, order: str) -> tuple[float, float]:
    """``(seconds per timestamp unit, offset seconds)`` from an interface's ``if_tsresol`` and ``if_tsoffset``."""
    unit, offset, pos = 1e-6, 0.0, 0
    while pos + 4 <= len(opts):
        code, length = struct.unpack_from(order + "HH", opts, pos)
        value = opts[pos + 4:pos + 4 + length]
        if code == 0:
            break
        if code == 9 and length >= 1:
            v = value[0]
            unit = 2.0 ** -(v & 0x7F) if v & 0x80 else 10.0 ** -min(v, 30)
        elif code == 14 and length >= 8:
            (offset,) = struct.unpack_from(order + "q", value, 0)
        pos += 4 + length + (-length % 4)
    return unit, float(offset)
