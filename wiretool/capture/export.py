"""A capture read back, written again as pcapng or HAR (``wiretool capture export``).

Both go through the same redaction as ``--record``: the pcapng is written by a :class:`CaptureWriter` with no
capture file of its own, so a capture kept with ``--show-secrets`` is redacted on export unless the export
says ``--show-secrets`` too (redacting twice changes nothing).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wiretool.capture.file import Capture


def export_pcapng(cap: Capture, out: str | Path, *, show_secrets: bool = False) -> int:
    """Write ``cap`` to ``out`` as pcapng; return how many packets were written."""
    from wiretool.capture.file import CaptureWriter
    from wiretool.capture.pcapng import PcapngWriter

    writer = CaptureWriter(None, proto=cap.proto, url=str(cap.header.get("url", "")), show_secrets=show_secrets,
                           pcapng=out)
    pcap: PcapngWriter = writer.pcapng
    pcap.set_start(_start(cap))
    for rec in cap.records:
        pcap.record(rec)
    for c in cap.connections.values():
        writer.connection(c.conn, proto=c.proto, client=c.client, server=c.server)
    for chunk in cap.chunks:
        writer.chunk(chunk.dir, chunk.t, chunk.data, chunk.conn)
    writer.close()
    if pcap.failed:
        from wiretool.errors import UsageError

        raise UsageError(pcap.failed)
    return pcap.packets


def export_har(cap: Capture, out: str | Path, *, show_secrets: bool = False) -> int:
    """Write ``cap`` to ``out`` as HAR 1.2; return how many entries it holds."""
    import json

    from wiretool.capture.har import har
    from wiretool.errors import UsageError

    doc = har(cap, show_secrets=show_secrets)
    try:
        Path(out).write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write HAR {out}: {exc.strerror or exc}") from None
    return len(doc["log"]["entries"])


def _start(cap: Capture) -> float:
    import datetime as _dt

    try:
        return _dt.datetime.fromisoformat(str(cap.header.get("start", ""))).timestamp()
    except ValueError:
        return 0.0
