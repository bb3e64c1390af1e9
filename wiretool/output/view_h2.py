"""Pretty view of HTTP/2 records: one line per frame, in wire order, its decoded content indented under it.

The layout follows ``nghttp -v`` (``[t] send|recv TYPE <length, flags, stream_id>``) and adds names for
every flag, setting and error code, the HPACK table size, and the violations with their RFC section.
Every string from the peer goes through :func:`safe_text`; nothing is read as markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wiretool.output.sanitize import hexdump, safe_text
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
    from rich.text import Text

    from wiretool.output.sink import Output

_DIR_STYLE = {"send": "cyan", "recv": "green"}
_BODY_LIMIT = 4096


def render(record: Record, out: Output) -> None:
    """Draw one h2 record; anything else goes to the common view."""
    from rich.text import Text

    text: Text | None = None
    if isinstance(record, H2Frame):
        text = _frame(record, out)
    elif isinstance(record, H2Preface):
        text = _stamp(record.t, record.dir)
        text.append("PREFACE", style="bold")
        text.append(" PRI * HTTP/2.0" if record.valid else f" ({record.length} bytes, not the preface)")
        _violations(text, record.violations)
    elif isinstance(record, H2Bytes):
        text = _stamp(record.t, record.dir)
        text.append(f"{len(record.data)} bytes\n", style="dim")
        text.append(_indent(hexdump(record.data)), style="dim")
    elif isinstance(record, H2Connect):
        text = Text(f"[{record.t:8.3f}] ", style="dim")
        how = f"TLS, ALPN {record.alpn}" if record.tls else record.mode
        text.append(f"connected to {safe_text(record.address)} ({how})", style="bold")
    elif isinstance(record, H2Upgrade):
        text = _stamp(record.t, record.dir)
        text.append(safe_text(record.start_line), style="bold")
        for name, value in record.headers:
            text.append(f"\n          {safe_text(name)}: {safe_text(value)}")
    elif isinstance(record, H2Ping):
        text = Text(f"[{record.t:8.3f}] ", style="dim")
        text.append(f"PING round trip {record.rtt_ms:.3f} ms", style="bold")
    elif isinstance(record, H2Stream):
        text = _stream(record)
    elif isinstance(record, H2Request):
        text = Text(f"[{record.t:8.3f}] ", style="dim")
        status = "reset" if record.status is None else str(record.status)
        text.append(f"stream {record.stream_id} {safe_text(record.method)} {safe_text(record.path)} -> {status}")
    if text is None:
        from wiretool.output.view_common import render as common

        common(record, out)
        return
    out.console.print(text)


def _stamp(t: float, direction: str) -> Text:
    from rich.text import Text

    text = Text(f"[{t:8.3f}] ", style="dim")
    text.append(f"{direction} ", style=_DIR_STYLE.get(direction, ""))
    return text


def _frame(rec: H2Frame, out: Output) -> Text:
    text = _stamp(rec.t, rec.dir)
    if rec.offset is not None:
        text.append(f"@{rec.offset} ", style="dim")
    style = "bold red" if rec.frame_type in ("RST_STREAM", "GOAWAY") and rec.error_code not in (
        None, "NO_ERROR", "CANCEL") else "bold"
    text.append(rec.frame_type, style=style)
    flags = "|".join(rec.flags) or "none"
    text.append(f" <length={rec.length}, flags={flags}, stream_id={rec.stream_id}>")
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
        lines += [(f"{safe_text(n)}: {safe_text(v)}", "") for n, v in rec.headers]
        lines.append((f"; hpack dynamic table {rec.hpack_table_size} bytes", "dim"))
    if rec.hpack_entries is not None:
        lines += [(f"; [{i}] {safe_text(n)}: {safe_text(v)}", "dim") for i, (n, v) in enumerate(rec.hpack_entries, 62)]
    if rec.error_code is not None:
        lines.append((f"error_code={rec.error_code}", style))
    if rec.last_stream_id is not None:
        lines.append((f"last_stream_id={rec.last_stream_id}", ""))
    if rec.debug_data:
        lines.append((f"debug_data={safe_text(rec.debug_data)}", ""))
    if rec.window_increment is not None:
        lines.append((f"window_size_increment={rec.window_increment}", ""))
    if rec.ping_data is not None:
        lines.append((f"opaque_data={rec.ping_data}", ""))
    if rec.padding is not None:
        lines.append((f"padding={rec.padding}", "dim"))
    if rec.data is not None and rec.data:
        lines.append((_body(rec.data), ""))
    elif rec.data_length is not None and rec.data_length:
        lines.append((f"({rec.data_length} bytes of data)", "dim"))
    for line, line_style in lines:
        text.append("\n")
        text.append(_indent(line), style=line_style)
    _violations(text, rec.violations)
    return text


def _body(data: bytes) -> str:
    shown = data[:_BODY_LIMIT]
    more = f"\n... {len(data) - _BODY_LIMIT} more bytes" if len(data) > _BODY_LIMIT else ""
    try:
        return safe_text(shown.decode("utf-8").removesuffix("\n"), keep_newlines=True) + more
    except UnicodeDecodeError:
        return hexdump(shown) + more


def _violations(text: Text, violations: tuple) -> None:
    for v in violations:
        text.append("\n")
        text.append(f"          ! {v.code} ({v.rfc}): {safe_text(v.message)}", style="bold red")


def _stream(rec: H2Stream) -> Text:
    from rich.text import Text

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.1f}ms"

    text = Text(f"[{rec.t:8.3f}] ", style="dim")
    what = f"stream {rec.stream_id}{' (pushed)' if rec.pushed else ''} {rec.method} {safe_text(rec.url)}"
    text.append(what, style="bold")
    status = rec.status if rec.status is not None else "-"
    text.append(f"  status={status} headers={ms(rec.time_to_headers_ms)} first_byte={ms(rec.time_to_first_byte_ms)}"
                f" duration={ms(rec.duration_ms)} bytes={rec.bytes} {rec.outcome}")
    if rec.error_code:
        text.append(f" {rec.error_code}", style="red")
    return text


def _indent(block: str) -> str:
    return "\n".join("          " + line for line in block.split("\n"))
