"""Pretty view of WebSocket frames and messages, in the spirit of Wireshark's WebSocket tree.

One compact block per frame: a title line (direction, opcode, FIN, length), the header fields (RSV bits,
MASK and key, length encoding), the payload as safe text or a hex dump, then each violation in red with
its RFC section. Every byte that came from the wire goes through ``safe_text``/``hexdump`` and is drawn
as plain ``Text`` (markup off), so a payload can neither move the cursor nor style the output.

Other ws records (handshake, close, ...) belong to ``view_ws_session``, imported only when one shows up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wiretool.output.sanitize import hexdump, safe_text
from wiretool.records.viewed import Viewed
from wiretool.records.ws import WsFrame, WsFrameCut, WsMessage, WsMessageCut

if TYPE_CHECKING:
    from rich.text import Text

    from wiretool.output.sink import Output
    from wiretool.records import Record, Violation
    from wiretool.views.picker import Decoded

TEXT_LIMIT = 2048
"""Characters of payload text shown per frame (the NDJSON view always has all of it)."""
VIEW_LINES = 200
"""Lines of a payload view shown per message (the NDJSON ``view`` object has all of its fields)."""
HEX_LIMIT = 256
"""Bytes of payload shown as a hex dump per frame."""

_ARROW = {"send": "→", "recv": "←", "c2s": "→", "s2c": "←", None: "•"}  # c2s/s2c: a proxy's legs
_OP_STYLE = {"TEXT": "bold green", "BINARY": "bold blue", "CONT": "bold cyan", "CLOSE": "bold magenta",
             "PING": "bold yellow", "PONG": "bold yellow"}
_INDENT = "    "

_session_render: Any = None


def render(record: Record, out: Output) -> None:
    """Draw a frame or message (with its payload view); hand any other ws record to the session view."""
    limit = out.options.get("max_payload")
    if type(record) is Viewed:
        inner = record.record  # type: ignore[attr-defined]
        decoded: Decoded = record.view  # type: ignore[attr-defined]
        pretty = decoded.result.fields is None and decoded.result.error is None
        block = frame_text(inner, limit, body=not pretty) if isinstance(inner, WsFrame) else \
            message_text(inner, limit, body=not pretty)
        block.append("\n")
        view_lines(block, decoded)
        block.rstrip()
        out.console.print(block)
    elif isinstance(record, WsFrame):
        out.console.print(frame_text(record, limit))
    elif isinstance(record, WsMessage):
        out.console.print(message_text(record, out.options.get("max_payload")))
    else:
        _other(record, out)


def _other(record: Record, out: Output) -> None:
    global _session_render
    if _session_render is None:
        try:
            from wiretool.output.view_ws_session import render as session_render
        except ImportError:
            from wiretool.output.view_common import render as session_render
        _session_render = session_render
    _session_render(record, out)


def view_lines(text: Text, decoded: Decoded) -> None:
    """Append a payload view under its frame or message: the tree a view decoded (its name first), the
    JSON pretty-printed in place of the payload, or the view's complaint about a payload it could not read.
    The lines come escaped from the view registry."""
    result = decoded.result
    lines = result.lines[:VIEW_LINES]
    more = len(result.lines) - len(lines)
    if result.error is not None:
        text.append(_INDENT + f"✗ {safe_text(result.error)}\n", style="yellow")
        return
    if result.fields is None:  # a pretty-printing view (JSON): its lines stand for the payload
        for line, style in lines:
            text.append(_INDENT + "│ " + line + "\n", style=style)
    else:
        text.append(_INDENT + f"▸ {decoded.name}\n", style="dim")
        for line, style in lines:
            text.append(_INDENT + "  " + line + "\n", style=style)
    if more > 0:
        text.append(_INDENT + f"… {more} more lines\n", style="dim")


def frame_text(f: WsFrame, limit: int | None = None, *, body: bool = True) -> Text:
    """The block drawn for one frame (``limit``: ``--max-payload``, else TEXT_LIMIT / HEX_LIMIT; ``body=False``:
    the payload is left to its view)."""
    from rich.text import Text

    text = Text()
    name = f.opcode_name
    text.append(f"[{f.t:8.3f}] {_ARROW.get(f.dir, '•')} ", style="dim")
    text.append(f"{name:<6}", style=_OP_STYLE.get(name, "bold red"))
    text.append(" FIN" if f.fin else " ---", style="bold" if f.fin else "dim")
    length = f.length
    text.append(f"  len={length if length is not None else '?'}")
    text.append(f"  @{f.offset}", style="dim")
    if f.truncated:
        text.append(f"  TRUNCATED: {f.missing} bytes missing", style="bold red")
    text.append("\n")

    fields = [f"rsv={int(f.rsv1)}{int(f.rsv2)}{int(f.rsv3)}"]
    masked = f.masked
    if masked:
        fields.append(f"mask={f.mask_key or '(cut short)'}")
    elif masked is not None:
        fields.append("unmasked")
    if f.length_bits is not None:
        fields.append(f"length: {f.length_bits}-bit")
    fields.append(f"header {f.header_length} B")
    text.append(_INDENT + "  ".join(fields) + "\n", style="dim")

    code = f.close_code
    if code is not None:
        text.append(_INDENT + f"close code {code} {f.close_code_name}", style="magenta")
        reason = f.close_reason or ""
        text.append(f"  reason {safe_text(repr(reason))}\n" if reason else "\n", style="magenta")
    elif f.payload and body:
        _payload(text, f.payload, f.opcode != 2 and not f.rsv1, limit)  # compressed bytes: always a hex dump
    if type(f) is WsFrameCut:
        text.append(_INDENT + f"… payload cut to {len(f.payload)} of {f.length} bytes (--max-payload)\n", style="dim")
    for v in f.violations:
        _violation(text, v)
    text.rstrip()
    return text


def message_text(m: WsMessage, limit: int | None = None, *, body: bool = True) -> Text:
    """The line (and payload) drawn for one reassembled message."""
    from rich.text import Text

    text = Text()
    text.append(f"[{m.t:8.3f}] {_ARROW.get(m.dir, '•')} ", style="dim")
    text.append("message ", style="bold")
    text.append(f"{m.opcode_name:<6}", style=_OP_STYLE.get(m.opcode_name, "bold"))
    bits = [f"len={m.length}", f"frames={m.frames}"]
    if m.compressed:
        bits.append("compressed")
    text.append("  " + "  ".join(bits))
    if not m.complete:
        text.append("  INCOMPLETE", style="bold red")
    text.append("\n")
    if m.payload and body:
        _payload(text, m.payload, m.opcode == 1, limit)
    if type(m) is WsMessageCut:
        text.append(_INDENT + f"… payload cut to {len(m.payload)} of {m.length} bytes (--max-payload)\n", style="dim")
    for v in m.violations:
        _violation(text, v)
    text.rstrip()
    return text


def _payload(text: Text, payload: bytes, prefer_text: bool, limit: int | None = None) -> None:
    """Append the payload: indented safe text when it is UTF-8 (and not binary), else a hex dump; at most
    ``limit`` characters or bytes when ``--max-payload`` gave one."""
    text_limit = TEXT_LIMIT if limit is None else limit
    hex_limit = HEX_LIMIT if limit is None else limit
    shown: str | None = None
    if prefer_text:
        try:
            shown = payload.decode("utf-8")
        except UnicodeDecodeError:
            shown = None
    if shown is not None:
        more = len(shown) - text_limit
        body = safe_text(shown[:text_limit], keep_newlines=True)
        for line in body.split("\n"):
            text.append(_INDENT + "│ " + line + "\n")
        if more > 0:
            text.append(_INDENT + f"… {more} more characters\n", style="dim")
        return
    for line in hexdump(payload, limit=hex_limit).split("\n"):
        text.append(_INDENT + line + "\n", style="cyan")


def _violation(text: Text, v: Violation) -> None:
    text.append(_INDENT + f"✗ {v.code} [{v.rfc}]: {safe_text(v.message)}\n", style="bold red")
