"""The STOMP view: STOMP 1.0-1.2 frames over WebSocket (subprotocols ``v12.stomp``, ``v11.stomp``, ``v10.stomp``).

A frame is a command line, header lines, a blank line, a body and a NUL (STOMP 1.2 "Augmented BNF"); a
lone EOL is a heart-beat. One WebSocket message may hold several frames, or part of one: the start of an
unfinished frame is kept per direction in ``ViewContext.state`` (at most :data:`MAX_PARTIAL` bytes). A
``content-length`` is checked against the body, header escapes are decoded (1.1/1.2), a RECEIPT is matched
to the frame that asked for it and a MESSAGE to its SUBSCRIBE. Secret headers (passcode...) are redacted.
"""

from __future__ import annotations

import re
from typing import Any

from wiretool.secrets import REDACTED, is_secret
from wiretool.views.base import Line, Payload, ViewContext, ViewResult
from wiretool.views.subproto import BY_SUBPROTOCOL, Bounded, preview, state, subprotocol_is

MAX_PARTIAL = 256 * 1024
"""Bytes of an unfinished frame kept per direction; past that the frame is named and dropped."""
MAX_FRAMES = 100
"""Frames of one message put in the fields (the rest are counted)."""
MAX_READ = 2000
"""Frames of one message read at all: past that the rest is skipped (bounded work whatever a peer packs in)."""
MAX_HEADERS = 50

CLIENT = ("CONNECT", "STOMP", "SEND", "SUBSCRIBE", "UNSUBSCRIBE", "BEGIN", "COMMIT", "ABORT", "ACK", "NACK",
          "DISCONNECT")
SERVER = ("CONNECTED", "MESSAGE", "RECEIPT", "ERROR")
REQUIRED = {"SEND": ("destination",), "SUBSCRIBE": ("destination", "id"), "UNSUBSCRIBE": ("id",),
            "MESSAGE": ("destination", "message-id", "subscription"), "RECEIPT": ("receipt-id",),
            "BEGIN": ("transaction",), "COMMIT": ("transaction",), "ABORT": ("transaction",),
            "ACK": ("id",), "NACK": ("id",), "CONNECTED": ("version",)}
SECRET_HEADERS = frozenset({"passcode", "password", "login-token", "token"})
_EOLS = re.compile(rb"[\r\n]+")
_COMMAND = re.compile(rb"(?:\r?\n)*([A-Z]{1,20})\r?\n")
_ESCAPES = {"\\n": "\n", "\\c": ":", "\\\\": "\\", "\\r": "\r"}
_ESCAPE = re.compile(r"\\.?")


class _Incomplete(Exception):
    """The frame has not all arrived (``need`` bytes in all, when the content-length says so)."""

    def __init__(self, need: int = 0) -> None:
        self.need = need


def _unescape(value: str, complaints: list[str]) -> str:
    """STOMP 1.2 header escapes decoded; an undefined one is named (and kept as it is)."""
    def one(m: re.Match[str]) -> str:
        if m.group(0) in _ESCAPES:
            return _ESCAPES[m.group(0)]
        complaints.append(f"undefined escape {m.group(0)!r} in a header (STOMP 1.2: a fatal protocol error)")
        return m.group(0)

    return _ESCAPE.sub(one, value) if "\\" in value else value


def _blank_line(data: bytes, start: int) -> tuple[int, int] | None:
    """(end of the header block, start of the body): the first empty line from ``start`` (the command
    line's LF), found with ``bytes.find`` within this frame (a regex search is slow over megabytes)."""
    nul = data.find(b"\x00", start)  # a header cannot hold NUL: the blank line comes before the first one
    end = len(data) if nul < 0 else nul
    lf = data.find(b"\n\n", start, end)
    crlf = data.find(b"\n\r\n", start, end if lf < 0 else lf + 1)
    if crlf >= 0 and (lf < 0 or crlf < lf):
        return crlf, crlf + 3
    return (lf, lf + 2) if lf >= 0 else None


def _frame(data: bytes, pos: int, version: str) -> tuple[dict[str, Any], int]:
    """The frame starting at ``pos`` (heart-beat EOLs skipped) and the offset after it; :class:`_Incomplete`."""
    m = _COMMAND.match(data, pos)
    if m is None:
        start = data[pos:pos + 24]
        if b"\n" not in start and len(start) < 22 and start.rstrip(b"\r").isalpha() and start.isupper():
            raise _Incomplete()  # the start of a command line
        line = start.split(b"\n", 1)[0].decode("utf-8", "replace").strip()
        raise ValueError(f"not a STOMP command line: {preview(line, 40)!r}")
    command = m.group(1).decode()
    blank = _blank_line(data, m.end() - 1)
    if blank is None:
        raise _Incomplete()
    block_end, body_at = blank
    complaints: list[str] = []
    headers: dict[str, str] = {}
    escapes = version != "1.0" and command not in ("CONNECT", "CONNECTED", "STOMP")
    block = data[m.end():block_end]
    count = block.count(b"\n") + 1
    for raw in block.split(b"\n", MAX_HEADERS * 4)[:MAX_HEADERS * 4]:  # bounded work: later lines only counted
        text = raw.decode("utf-8", "replace").removesuffix("\r")
        if not text:
            continue
        name, colon, value = text.partition(":")
        if not colon:
            complaints.append(f"a header line with no colon: {preview(text, 40)!r}")
            continue
        if escapes:
            name, value = _unescape(name, complaints), _unescape(value, complaints)
        if name not in headers and len(headers) < MAX_HEADERS:  # STOMP 1.2: the first one counts
            headers[name] = REDACTED if (name.lower() in SECRET_HEADERS or is_secret(name)) else preview(value)
    length = headers.get("content-length")
    if length is not None and length.isdigit() and len(length) < 12:
        end = body_at + int(length)
        if len(data) < end + 1:
            raise _Incomplete(end + 1 - pos)
        if data[end:end + 1] != b"\x00":
            complaints.append(f"content-length {length} lies: the byte after that body is not the NUL")
            nul = data.find(b"\x00", body_at)
            if nul < 0:
                raise _Incomplete()
            end = nul
    else:
        if length is not None:
            complaints.append(f"content-length {length!r} is not a number of octets")
        end = data.find(b"\x00", body_at)
        if end < 0:
            raise _Incomplete()
    body = data[body_at:end]
    fields: dict[str, Any] = {"command": command, "headers": headers, "body_length": len(body)}
    if count > MAX_HEADERS:
        fields["headers_shown"] = MAX_HEADERS
    if body:
        try:
            fields["body"] = preview(body.decode("utf-8"))
        except UnicodeDecodeError:
            fields["body_hex"] = body[:64].hex()
    if command not in CLIENT and command not in SERVER:
        complaints.append(f"unknown command {command} (STOMP 1.2 §Frames)")
    missing = [h for h in REQUIRED.get(command, ()) if h not in headers]
    if missing:
        complaints.append(f"{command} without its required {', '.join(missing)} header(s)")
    if complaints:
        fields["complaints"] = complaints
    return fields, end + 1


class StompView:
    """STOMP frames, whole or split across WebSocket messages."""

    name = "stomp"
    summary = "STOMP 1.0-1.2 frames, heart-beats, content-length checked; receipts and subscriptions matched"
    subprotocols: tuple[str, ...] = ("v12.stomp", "v11.stomp", "v10.stomp", "stomp")

    def render_priority(self, payload: Payload, context: ViewContext) -> float:
        if subprotocol_is(context, self.subprotocols):
            return BY_SUBPROTOCOL
        head, tail = payload[:12], payload[-3:]
        if isinstance(head, str):
            head, tail = head.encode("utf-8", "surrogateescape"), tail.encode("utf-8", "surrogateescape")
        m = _COMMAND.match(head)  # a frame's first line names a command: recognisable without the subprotocol
        return 1.2 if m and m.group(1).decode() in CLIENT + SERVER and b"\x00" in tail else 0.0

    def decode(self, payload: Payload, context: ViewContext) -> ViewResult:
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else bytes(payload)
        mine = state(context, self.name)
        side = mine.setdefault(context.dir or "-", {"buf": bytearray(), "need": 0})
        waiting: Bounded = mine.setdefault("receipts", Bounded())
        subs: Bounded = mine.setdefault("subscriptions", Bounded())
        buf: bytearray = side["buf"]
        lines: list[Line] = []
        if buf:
            buf += data
            if len(buf) > MAX_PARTIAL:
                size = len(buf)
                buf.clear()
                side["need"] = 0
                text = f"a frame of more than {MAX_PARTIAL} bytes not ended: the view drops its {size} bytes"
                return ViewResult(self.name, ((text, "yellow"),), fields={"command": "partial",
                                                                         "complaints": [text]})
            if (side["need"] and len(buf) < side["need"]) or (not side["need"] and b"\x00" not in data):
                text = f"partial frame: {len(buf)} bytes so far, continued in the next message"
                return ViewResult(self.name, ((text, "dim"),), fields={"command": "partial", "have": len(buf)})
            data = bytes(buf)
            buf.clear()
            side["need"] = 0
        frames: list[dict[str, Any]] = []
        complaints: list[str] = []
        heartbeats = read = 0
        pos = 0
        while pos < len(data):
            eols = _EOLS.match(data, pos)
            if eols is not None:  # heart-beats (one regex for a run of them, however long)
                heartbeats += eols.group().count(b"\n")
                pos = eols.end()
                continue
            if read >= MAX_READ:
                complaints.append(f"more than {MAX_READ} frames in one message: the rest ({len(data) - pos} bytes) "
                                  "is not read")
                break
            read += 1
            try:
                frame, pos = _frame(data, pos, mine.get("version", "1.2"))
            except _Incomplete as exc:
                if len(data) - pos > MAX_PARTIAL:
                    complaints.append(f"a frame of more than {MAX_PARTIAL} bytes not ended: dropped")
                else:
                    buf += data[pos:]
                    side["need"] = exc.need
                    lines.append((f"partial frame: {len(data) - pos} bytes, continued in the next message", "dim"))
                break
            except ValueError as exc:
                complaints.append(f"{exc}: the rest of this message ({len(data) - pos} bytes) is not read")
                break
            self._match(frame, mine, waiting, subs, context)
            if len(frames) < MAX_FRAMES:
                frames.append(frame)
                lines.extend(self._lines(frame))
        if len(frames) == 1 and not heartbeats:
            fields: dict[str, Any] = frames[0]
        elif not frames:
            fields = {"command": "heartbeat" if heartbeats else "partial"}
            if heartbeats:
                fields["heartbeats"] = heartbeats
                lines.insert(0, ("heart-beat" + (f" x{heartbeats}" if heartbeats > 1 else ""), "dim"))
        else:
            fields = {"command": "frames", "count": read, "frames": frames, "heartbeats": heartbeats}
        if complaints:
            fields["complaints"] = fields.get("complaints", []) + complaints
            lines += [(c, "yellow") for c in complaints]
        return ViewResult(self.name, tuple(lines), fields=fields)

    def _match(self, frame: dict[str, Any], mine: dict[str, Any], waiting: Bounded, subs: Bounded,
               context: ViewContext) -> None:
        """Remember what later frames answer (receipts, subscriptions) and name what this one answers."""
        command, headers = frame["command"], frame["headers"]
        if command == "CONNECTED" and headers.get("version") in ("1.0", "1.1", "1.2"):
            mine["version"] = headers["version"]
        if "receipt" in headers and command in CLIENT:
            waiting[headers["receipt"]] = (context.t, command)
        if command == "SUBSCRIBE" and "id" in headers:
            subs[headers["id"]] = headers.get("destination", "")
        elif command == "UNSUBSCRIBE":
            subs.pop(headers.get("id"), None)
        elif command == "MESSAGE" and headers.get("subscription") in subs:
            frame["subscribed_to"] = subs[headers["subscription"]]
        elif command in ("RECEIPT", "ERROR") and headers.get("receipt-id") in waiting:
            asked = waiting.pop(headers["receipt-id"])
            frame["receipt_for"], frame["rtt_ms"] = asked[1], round((context.t - asked[0]) * 1000, 3)

    def _lines(self, frame: dict[str, Any]) -> list[Line]:
        headers = frame["headers"]
        command = frame["command"]
        head = command
        for key in ("destination", "id", "subscription", "receipt", "receipt-id", "version", "message"):
            if key in headers:
                head += f" {key}:{preview(headers[key], 60)}"
        if "receipt_for" in frame:
            head += f" (for {frame['receipt_for']}, {frame['rtt_ms']:g} ms)"
        out: list[Line] = [(head, "red" if command == "ERROR" else "bold")]
        if "body" in frame:
            out.append((preview(frame["body"], 160), ""))
        elif "body_hex" in frame:
            out.append((f"{frame['body_length']} bytes: {frame['body_hex']}", "cyan"))
        out += [(c, "yellow") for c in frame.get("complaints", ())]
        return out


VIEW = StompView()
