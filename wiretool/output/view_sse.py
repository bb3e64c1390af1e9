"""Pretty view of SSE records: the response line, events with their type and id, JSON data indented,
comments dimmed, raw bytes made visible. Every server-provided string goes through ``safe_text``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wiretool.output.sanitize import safe_text
from wiretool.records import Record
from wiretool.records.sse import SseChunk, SseComment, SseConnect, SseEvent, SseServed

if TYPE_CHECKING:
    from wiretool.output.sink import Output


def _stamp(record: Any) -> str:
    ts = getattr(record, "ts", None)
    return f"[{record.t:8.3f}]" + (f" {ts}" if ts else "")


def _pretty_data(data: str, out: Output) -> str:
    """JSON data indented (one line when short), anything else as is; always terminal-safe (``wiretool.views``).
    Under ``--view raw`` the data as it is, escaped."""
    from wiretool import views

    if out.options.get("view") == "raw":
        return safe_text(data, keep_newlines=True)
    return views.render(data, views.ViewContext(proto="sse")).text


def _viewed_data(data: str, decoded: Any) -> str:
    """The data under a forced ``--view``: its tree under the data, the pretty form, or the complaint."""
    result = decoded.result
    if result.error is not None:
        return safe_text(data, keep_newlines=True) + "\n✗ " + safe_text(result.error)
    body = "\n".join(line for line, _ in result.lines)
    if result.fields is None:
        return body
    return safe_text(data, keep_newlines=True) + f"\n▸ {decoded.name}\n" + body


def render(record: Record, out: Output) -> None:
    """Draw one SSE record (anything else falls back to the common view)."""
    from rich.text import Text

    from wiretool.records.viewed import Viewed

    console = out.console
    decoded = None
    if type(record) is Viewed:
        decoded = record.view  # type: ignore[attr-defined]
        record = record.record  # type: ignore[attr-defined]
    if isinstance(record, SseEvent):
        line = Text()
        line.append(_stamp(record) + " ", style="dim")
        line.append(safe_text(record.event), style="bold magenta")
        if record.id:
            line.append(f"  id={safe_text(record.id)}", style="cyan")
        body = _pretty_data(record.data, out) if decoded is None else _viewed_data(record.data, decoded)
        if "\n" in body:
            console.print(line)
            console.print(Text("  " + body.replace("\n", "\n  ")))
        else:
            line.append("  ")
            line.append(body)
            console.print(line)
        return
    if isinstance(record, SseComment):
        console.print(Text(f"{_stamp(record)} : {safe_text(record.text)}", style="dim"))
        return
    if isinstance(record, SseConnect):
        _connect(record, out)
        return
    if isinstance(record, SseChunk):
        _chunk(record, out)
        return
    if isinstance(record, SseServed):
        lei = f"  Last-Event-ID: {safe_text(record.last_event_id)}" if record.last_event_id is not None else ""
        console.print(Text(f"{record.method} {safe_text(record.path)} HTTP/{record.http_version} → "
                           f"{record.status}, {record.events} events, {record.reason}{lei}", style="dim"))
        return
    from wiretool.output.view_common import render as common

    common(record, out)


def _connect(record: SseConnect, out: Output) -> None:
    from http import HTTPStatus

    from rich.text import Text

    ok = record.status == 200 and record.content_type.split(";")[0].strip().lower() == "text/event-stream"
    reason = record.reason
    if not reason:
        try:
            reason = HTTPStatus(record.status).phrase
        except ValueError:
            reason = ""
    line = Text()
    line.append(f"[{record.t:8.3f}] ", style="dim")
    line.append(f"{record.http_version} {record.status} {safe_text(reason)}".rstrip(),
                style="bold green" if ok or record.status == 204 else "bold red")
    line.append(f"  {safe_text(record.content_type or '(no content type)')}")
    if record.stream_id is not None:
        line.append(f"  stream {record.stream_id}", style="cyan")
    extra = [f"attempt {record.attempt}"] if record.attempt > 1 else []
    if record.waited:
        extra.append(f"after {record.waited:.3f} s")
    if record.last_event_id is not None:
        extra.append(f"Last-Event-ID: {safe_text(record.last_event_id)}")
    if extra:
        line.append("  (" + ", ".join(extra) + ")", style="yellow")
    out.console.print(line)
    if not ok and record.status != 204:
        for name, value in record.headers:
            out.console.print(Text(f"    {safe_text(name)}: {safe_text(value)}", style="dim"))


def _chunk(record: SseChunk, out: Output) -> None:
    """``--raw``: verbatim bytes when stdout is not a terminal, a visible rendering when it is."""
    stream = out.env.stdout
    if not out.env.stdout_isatty:
        buffer = getattr(stream, "buffer", None)
        if buffer is not None:
            stream.flush()
            buffer.write(record.raw)
            buffer.flush()
        else:
            stream.write(record.raw.decode("utf-8", "replace"))
            stream.flush()
        return
    from rich.text import Text

    text = safe_text(record.raw.decode("utf-8", "replace"), keep_newlines=True)
    out.console.print(Text(text), end="")
