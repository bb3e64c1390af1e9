"""Pretty view of HTTP/2 records: one line per frame, in wire order, its decoded content indented under it.

The layout follows ``nghttp -v`` (``[t] send|recv TYPE <length, flags, stream_id>``) and adds names for
every flag, setting and error code, the HPACK table size, and the violations with their RFC section.
Every line is built with :class:`~wiretool.output.safe_line.SafeLine`, which escapes each piece it is given
(:func:`safe_text`), so no string from the peer reaches the terminal raw; nothing is read as markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wiretool.output.safe_line import SafeLine
from wiretool.output.sanitize import hexdump
from wiretool.records import Record
from wiretool.records.h2 import (
    H2Bytes,
    H2Connect,
    H2Frame,
    H2Ping,
    H2Preface,
    H2Request,
    H2Stream,
    H2Upgrade,
)

if TYPE_CHECKING:
    from wiretool.output.sink import Output

_DIR_STYLE = {"send": "cyan", "recv": "green", "c2s": "cyan", "s2c": "green"}
_BODY_LIMIT = 4096


def render(record: Record, out: Output) -> None:
    """Draw one h2 record; anything else goes to the common view."""
    line: SafeLine | None = None
    if isinstance(record, H2Frame):
        line = _frame(record)
    elif isinstance(record, H2Preface):
        line = _stamp(record.t, record.dir).add("PREFACE", "bold")
        line.add(" PRI * HTTP/2.0" if record.valid else f" ({record.length} bytes, not the preface)")
        _violations(line, record.violations)
    elif isinstance(record, H2Bytes):
        line = _stamp(record.t, record.dir).add(f"{len(record.data)} bytes", "dim")
        line.block(hexdump(record.data), "dim")
    elif isinstance(record, H2Connect):
        how = f"TLS, ALPN {record.alpn}" if record.tls else record.mode
        line = SafeLine(f"[{record.t:8.3f}] ", "dim").add(f"connected to {record.address} ({how})", "bold")
    elif isinstance(record, H2Upgrade):
        line = _stamp(record.t, record.dir).add(record.start_line, "bold")
        for name, value in record.headers:
            line.under(f"{name}: {value}")
    elif isinstance(record, H2Ping):
        line = SafeLine(f"[{record.t:8.3f}] ", "dim").add(f"PING round trip {record.rtt_ms:.3f} ms", "bold")
    elif isinstance(record, H2Stream):
        line = _stream(record)
    elif isinstance(record, H2Request):
        status = "reset" if record.status is None else str(record.status)
        line = SafeLine(f"[{record.t:8.3f}] ", "dim").add(
            f"stream {record.stream_id} {record.method} {record.path} -> {status}")
    if line is None:
        from wiretool.output.view_common import render as common

        common(record, out)
        return
    out.console.print(line.text)


def _stamp(t: float, direction: str) -> SafeLine:
    return SafeLine(f"[{t:8.3f}] ", "dim").add(f"{direction} ", _DIR_STYLE.get(direction, ""))


def _frame(rec: H2Frame) -> SafeLine:
    line = _stamp(rec.t, rec.dir)
    if rec.offset is not None:
        line.add(f"@{rec.offset} ", "dim")
    style = "bold red" if rec.frame_type in ("RST_STREAM", "GOAWAY") and rec.error_code not in (
        None, "NO_ERROR", "CANCEL") else "bold"
    line.add(rec.frame_type, style)
    flags = "|".join(rec.flags) or "none"
    line.add(f" <length={rec.length}, flags={flags}, stream_id={rec.stream_id}>")
    lines: list[tuple[str, str]] = []
    if rec.settings is not None:
        if not rec.settings and "ACK" not in rec.flags:
            lines.append(("(no settings)", "dim"))
        lines += [(f"{name}={value}", "") for name, value in rec.settings.items()]
    if rec.priority is not None:
        p = rec.priority
        lines.append((f"depends_on={p['depends_on']} weight={p['weight']} exclusive={p['exclusive']}", "dim"))
    if rec.promised_stream_id is not None:
        lines.append((f"promised_stream_id={rec.promised_stream_id}", ""))
    if rec.headers is not None:
        lines += [(f"{n}: {v}", "") for n, v in rec.headers]
        lines.append((f"; hpack dynamic table {rec.hpack_table_size} bytes", "dim"))
    if rec.hpack_entries is not None:
        lines += [(f"; [{i}] {n}: {v}", "dim") for i, (n, v) in enumerate(rec.hpack_entries, 62)]
    if rec.error_code is not None:
        lines.append((f"error_code={rec.error_code}", style))
    if rec.last_stream_id is not None:
        lines.append((f"last_stream_id={rec.last_stream_id}", ""))
    if rec.debug_data:
        lines.append((f"debug_data={rec.debug_data}", ""))
    if rec.window_increment is not None:
        lines.append((f"window_size_increment={rec.window_increment}", ""))
    if rec.ping_data is not None:
        lines.append((f"opaque_data={rec.ping_data}", ""))
    if rec.padding is not None:
        lines.append((f"padding={rec.padding}", "dim"))
    for text, line_style in lines:
        line.under(text, line_style)
    if rec.data is not None and rec.data:
        line.block(_body(rec.data))
    elif rec.data_length is not None and rec.data_length:
        line.under(f"({rec.data_length} bytes of data)", "dim")
    _violations(line, rec.violations)
    return line


def _body(data: bytes) -> str:
    """DATA content: text as its lines (each escaped by :meth:`SafeLine.block`), else a hex dump."""
    shown = data[:_BODY_LIMIT]
    more = f"\n... {len(data) - _BODY_LIMIT} more bytes" if len(data) > _BODY_LIMIT else ""
    try:
        return shown.decode("utf-8").removesuffix("\n") + more
    except UnicodeDecodeError:
        return hexdump(shown) + more


def _violations(line: SafeLine, violations: tuple) -> None:
    for v in violations:
        line.under(f"! {v.code} ({v.rfc}): {v.message}", "bold red")


def _stream(rec: H2Stream) -> SafeLine:
    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}ms"

    line = SafeLine(f"[{rec.t:8.3f}] ", "dim")
    line.add(f"stream {rec.stream_id}{' (pushed)' if rec.pushed else ''} {rec.method} {rec.url}", "bold")
    status = rec.status if rec.status is not None else "-"
    line.add(f"  status={status} headers={ms(rec.time_to_headers_ms)} first_byte={ms(rec.time_to_first_byte_ms)}"
             f" duration={ms(rec.duration_ms)} bytes={rec.bytes} {rec.outcome}")
    if rec.error_code:
        line.add(f" {rec.error_code}", "red")
    return line
