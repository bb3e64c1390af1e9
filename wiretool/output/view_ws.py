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
from wiretool.records.ws import WsFrame, WsMessage

if TYPE_CHECKING:
    from rich.text import Text

    from wiretool.output.sink import Output
    from wiretool.records import Record, Violation

TEXT_LIMIT = 2048
"""Characters of payload text shown per frame (the NDJSON view always has all of it)."""
HEX_LIMIT = 256
"""Bytes of payload shown as a hex dump per frame."""

_ARROW = {"send": "→", "recv": "←", "c2s": "→", "s2c": "←", None: "•"}  # c2s/s2c: a proxy's legs
_OP_STYLE = {"TEXT": "bold green", "BINARY": "bold blue", "CONT": "bold cyan", "CLOSE": "bold magenta",
             "PING": "bold yellow", "PONG": "bold yellow"}
_INDENT = "    "

_session_render: Any = None


def render(record: Record, out: Output) -> None:
    """Draw a frame or message; hand any other ws record to the session view (or the common one)."""
    if isinstance(record, WsFrame):
        out.console.print(frame_text(record))
    elif isinstance(record, WsMessage):
        out.console.print(message_text(record))
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


def frame_text(f: WsFrame) -> Text:
    """The block drawn for one frame."""
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
    elif f.payload:
        _payload(text, f.payload, f.opcode != 2 and not f.rsv1)  # compressed bytes: always a hex dump
    for v in f.violations:
        _violation(text, v)
    text.rstrip()
    return text


def message_text(m: WsMessage) -> Text:
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
    if m.payload:
        _payload(text, m.payload, m.opcode == 1)
    for v in m.violations:
        _violation(text, v)
    text.rstrip()
    return text


def _payload(text: Text, payload: bytes, prefer_text: bool) -> None:
    """Append the payload: indented safe text when it is UTF-8 (and not binary), else a hex dump."""
    shown: str | None = None
    if prefer_text:
        try:
            shown = payload.decode("utf-8")
        except UnicodeDecodeError:
            shown = None
    if shown is not None:
        more = len(shown) - TEXT_LIMIT
        body = safe_text(shown[:TEXT_LIMIT], keep_newlines=True)
        for line in body.split("\n"):
            text.append(_INDENT + "│ " + line + "\n")
        if more > 0:
            text.append(_INDENT + f"… {more} more characters\n", style="dim")
        return
    for line in hexdump(payload, limit=HEX_LIMIT).split("\n"):
        text.append(_INDENT + line + "\n", style="cyan")


def _violation(text: Text, v: Violation) -> None:
    text.append(_INDENT + f"✗ {v.code} [{v.rfc}]: {safe_text(v.message)}\n", style="bold red")
