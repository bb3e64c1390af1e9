"""Pretty view of the WebSocket session records: connect, handshake, ping RTT, close, server events.

``output/view_ws.py`` draws frames and messages and hands every other ``ws`` record to :func:`render`.
Every string that came from the peer goes through safe_text; secrets were redacted when the record
was made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wiretool.output.sanitize import safe_text
from wiretool.records import Record
from wiretool.records.ws_session import (
    WsAccept,
    WsClose,
    WsConnect,
    WsDisconnect,
    WsHandshake,
    WsProtocolError,
    WsRtt,
)

if TYPE_CHECKING:
    from rich.text import Text

    from wiretool.output.sink import Output

ARROW = {"send": "→", "recv": "←", "c2s": "→", "s2c": "←"}  # c2s/s2c: a proxy's legs


def _stamp(t: float) -> str:
    return f"[{t:8.3f}] "


def render(record: Record, out: Output) -> None:
    """Draw one session record; anything unknown goes to the common fallback view."""
    from rich.text import Text

    console = out.console
    if isinstance(record, WsHandshake):
        console.print(_handshake(record))
        return
    if isinstance(record, WsConnect):
        line = Text(_stamp(record.t), style="dim")
        line.append(f"connected to {safe_text(record.peer)}", style="cyan")
        if record.proxy:
            line.append(f" via proxy {safe_text(record.proxy)}", style="cyan")
        if record.tls_version:
            line.append(f"  TLS {record.tls_version} {record.tls_cipher or ''}".rstrip(), style="green")
            if record.alpn:
                line.append(f" ALPN {safe_text(record.alpn)}", style="green")
        console.print(line)
        return
    if isinstance(record, WsRtt):
        line = Text(_stamp(record.t), style="dim")
        line.append(f"pong {record.payload_hex or '(empty)'}: round trip {record.rtt_ms:.3f} ms", style="magenta")
        console.print(line)
        return
    if isinstance(record, WsClose):
        console.print(_close(record))
        return
    if isinstance(record, WsProtocolError):
        for v in record.violations:
            line = Text(_stamp(record.t), style="dim")
            line.append(f"{ARROW.get(record.dir, '')} VIOLATION {safe_text(v.code)} ({safe_text(v.rfc)}): "
                        f"{safe_text(v.message)}", style="bold red")
            if record.close_code:
                line.append(f"  closing with {record.close_code}", style="red")
            console.print(line)
        return
    if isinstance(record, WsAccept):
        console.print(Text(f"{_stamp(record.t)}conn {record.conn}: accepted {safe_text(record.peer)}", style="cyan"))
        return
    if isinstance(record, WsDisconnect):
        console.print(Text(f"{_stamp(record.t)}conn {record.conn}: disconnected {safe_text(record.peer)} "
                           f"({record.frames_in} frames in, {record.frames_out} out)", style="cyan"))
        return
    from wiretool.output.view_common import render as common

    common(record, out)


def _handshake(record: WsHandshake) -> Text:
    from rich.text import Text

    text = Text(_stamp(record.t), style="dim")
    arrow = ARROW.get(record.dir, "")
    if record.request_line is not None:
        text.append(f"{arrow} {safe_text(record.request_line)}\n", style="bold blue")
    else:
        ok = record.status == 101 and not record.error
        text.append(f"{arrow} HTTP/1.1 {record.status} {safe_text(record.reason or '')}\n",
                    style="bold green" if ok else "bold red")
    for name, value in record.headers:
        text.append(f"    {safe_text(name)}: ", style="bold")
        text.append(f"{safe_text(value)}\n")
    if record.dir in ("recv", "s2c") and record.status is not None:
        if record.accept_received is not None or record.status == 101:
            verdict = "OK" if record.accept_ok else "MISMATCH"
            text.append(f"    accept check: expected {record.accept_expected}, got "
                        f"{safe_text(record.accept_received or '(missing)')}: {verdict}\n",
                        style="green" if record.accept_ok else "bold red")
        if record.subprotocol:
            text.append(f"    subprotocol: {safe_text(record.subprotocol)}\n", style="green")
        for ext in record.extensions:
            text.append(f"    extension: {safe_text(ext)}\n", style="green")
    if record.error:
        text.append(f"    handshake failed: {safe_text(record.error)}\n", style="bold red")
    if record.body_length:
        text.append(f"    body ({record.body_length} bytes", style="dim")
        text.append(", first KiB" if record.body_length > 1024 else "", style="dim")
        text.append("):\n", style="dim")
        if record.body_text is not None:
            for line in record.body_text.splitlines():
                text.append(f"      {safe_text(line)}\n")
        else:
            text.append(f"      {record.body_hex}\n")
    text.rstrip()
    return text


def _close(record: WsClose) -> Text:
    from rich.text import Text

    text = Text(_stamp(record.t), style="dim")
    style = "green" if record.clean and record.code in (1000, 1001) else "yellow" if record.clean else "bold red"
    text.append(f"closed: {record.code} {record.code_name or ''}", style=style)
    if record.reason:
        text.append(f" {safe_text(record.reason)!r}", style=style)
    if record.clean:
        text.append(f"  close handshake complete (started by {record.initiator or '?'})", style="dim")
    else:
        text.append("  no close handshake: connection closed abnormally", style="bold red")
    return text
