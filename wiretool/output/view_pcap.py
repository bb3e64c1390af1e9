"""The records of a pcap's connections shown: each with its ``conn``, ``dir`` as seen on the wire.

Under ``--json`` every line gets ``"conn":N`` and the ``dir`` of the capture decoders (``send``, ``recv``:
the client's and the server's bytes) becomes ``c2s``/``s2c``, as the contract names the directions of a
connection we only watch. The protocols' fast line writers are kept: the line is patched, not rebuilt, when
its start is the fixed ``{"proto":..,"type":..,"t":N,"dir":".."`` that no peer byte can reach; any other line
is rebuilt from ``to_json()``. The pretty view draws one header line per connection, then the live views,
with the directions named ``c2s``/``s2c`` there too.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import msgspec

from wiretool.output.sanitize import safe_text
from wiretool.records import Note, Record
from wiretool.records.pcap import TcpConnection

if TYPE_CHECKING:
    from wiretool.output.sink import Output

WIRE_DIR = {"send": "c2s", "recv": "s2c"}
_HEAD = re.compile(r'\{"proto":"[a-z0-9]+","type":"[a-z_]+","t":[-0-9.e+]+,"dir":"(send|recv)"$')
_KINDS = {"frame": "frames", "message": "messages", "event": "events"}


class ConnEmitter:
    """``emit(conn, record)`` for :class:`~wiretool.pcap.decode.PcapDecoder`; counts what the summary says."""

    def __init__(self, out: Output) -> None:
        self.out = out
        self.counts = {"frames": 0, "messages": 0, "events": 0, "violations": 0}
        self.warnings = 0

    def emit(self, conn: int, record: Record) -> None:
        out = self.out
        kind = _KINDS.get(record.type)
        if kind:
            self.counts[kind] += 1
        violations = getattr(record, "violations", None)
        if violations:
            self.counts["violations"] += len(violations)
        if type(record) is Note:
            if record.level == "warn":
                self.warnings += 1
                out.env.stderr.write(f"wiretool: warning: {safe_text(record.text)}\n")
            if out.env.json:
                return
        if not out.env.json:
            if type(record) is TcpConnection:
                _render_connection(record, out)
            else:
                out.emit(_on_the_wire(record))
            return
        line = out.json_line(record)
        if line is None:
            return
        i = line.find(',"dir":"', 0, 96)
        if i > 0 and line[i + 12] == '"' and _HEAD.match(line, 0, i + 13) is not None:
            line = f'{line[:i + 8]}{WIRE_DIR[line[i + 8:i + 12]]}{line[i + 12:-2]},"conn":{conn}}}\n'
        elif type(record) is TcpConnection:
            pass  # it carries its conn
        else:
            obj = record.to_json()
            if obj.get("dir") in WIRE_DIR:
                obj["dir"] = WIRE_DIR[obj["dir"]]
            obj["conn"] = conn
            line = out.dumps(obj) + "\n"
        out.write_line(line)


def _on_the_wire(record: Record) -> Record:
    """``record`` with its ``send``/``recv`` said as ``c2s``/``s2c``: we only watched this connection, so the
    pretty view names the directions as the NDJSON does (the live views draw both spellings)."""
    wire = WIRE_DIR.get(getattr(record, "dir", None))  # type: ignore[arg-type]
    if wire is None or not isinstance(record, msgspec.Struct):
        return record
    try:
        return msgspec.structs.replace(record, dir=wire)
    except (TypeError, ValueError):  # a record whose dir is not an init field: drawn as it is
        return record


def _render_connection(rec: TcpConnection, out: Output) -> None:
    from rich.text import Text

    how = f"{rec.protocol}: {rec.detected}"
    if rec.sni or rec.alpn:
        how += f" (SNI {rec.sni or '-'}, ALPN {','.join(rec.alpn) or '-'})"
    if rec.tls and not rec.decrypted:
        how += f"; {rec.tls}"
    extra = []
    if rec.started_mid:
        extra.append("the capture starts mid-connection")
    if rec.gaps:
        extra.append(f"{len(rec.gaps)} gap(s), {sum(g[2] for g in rec.gaps)} bytes missing")
    if rec.retransmitted:
        extra.append(f"{rec.retransmitted} retransmission(s)")
    text = (f"[{rec.t:8.3f}] conn {rec.conn} {rec.client_addr}:{rec.client_port} → {rec.server_addr}:"
            f"{rec.server_port} {how}; {rec.packets} packets, {rec.bytes_c2s}↑ {rec.bytes_s2c}↓ bytes, "
            f"ended {rec.end}" + "".join(f"; {e}" for e in extra))
    out.console.print(Text(safe_text(text), style="bold cyan"))
