"""The pretty view shared by every protocol: notes, errors, summaries, and a fallback for any record."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wiretool.output.sanitize import safe_text
from wiretool.records import Listening, Note, Record, Summary

if TYPE_CHECKING:
    from wiretool.output.sink import Output

_LEVEL_STYLE = {"info": "dim", "warn": "yellow", "error": "bold red"}


def render(record: Record, out: Output) -> None:
    """Draw notes dimmed, a summary as one line, and anything else as ``type key=value ...``."""
    from rich.text import Text

    console = out.console
    if isinstance(record, Note):
        console.print(Text(f"[{record.t:8.3f}] {safe_text(record.text)}", style=_LEVEL_STYLE.get(record.level, "")))
        return
    if isinstance(record, Listening):
        console.print(Text(f"listening on {safe_text(record.url)}", style="bold green"))
        if record.cacert:
            console.print(Text(f"  CA certificate for clients: --cacert {safe_text(record.cacert)}", style="dim"))
        return
    if isinstance(record, Summary):
        parts = " ".join(f"{k}={safe_text(str(v))}" for k, v in record.counts.items())
        style = "green" if record.exit_code == 0 else "red"
        console.print(Text(f"[{record.t:8.3f}] summary exit={record.exit_code} {parts}".rstrip(), style=style))
        return
    data = record.to_json()
    body = " ".join(f"{k}={safe_text(str(v))}" for k, v in data.items() if k not in ("proto", "type", "t"))
    console.print(Text(f"[{record.t:8.3f}] {record.proto} {record.type} {body}"))
