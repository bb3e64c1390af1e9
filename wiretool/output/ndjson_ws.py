"""Fast NDJSON lines for WebSocket frame and message records.

Decoding a million frames must not be bound by ``json.dumps(record.to_json())``: a plain frame's line is
assembled from cached pieces of its header instead. The lines are the same objects ``to_json()`` gives
(tests/transport/test_ws_tap.py checks it on random frames). :class:`~wiretool.output.sink.Output` uses
:data:`WRITERS` for every ``--json`` run (``emit_many`` joins the lines of one socket read into one write).
"""

from __future__ import annotations

import json
from typing import Any

from wiretool.records.ws import OPCODE_NAMES, WsFrame, WsMessage

_BOOL = ("false", "true")
_encode_str = json.encoder.encode_basestring  # type: ignore[attr-defined]
dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


_DIR_JSON = {None: "null", "send": '"send"', "recv": '"recv"'}
_SEGMENTS: dict[bytes, tuple[str, str, int]] = {}
_TAIL = ',"close_code":null,"close_code_name":null,"close_reason":null,"violations":[],"truncated":false,"missing":0}\n'


def _segments(head: bytes) -> tuple[str, str, int]:
    """The parts of a frame's line that depend only on its header up to the length field (cached)."""
    key = bytes(head[:10]) if (head[1] & 0x7F) == 127 else bytes(head[:4]) if (head[1] & 0x7F) == 126 else bytes(head[:2])
    seg = _SEGMENTS.get(key)
    if seg is None:
        b0, b1 = head[0], head[1]
        op = b0 & 0x0F
        n = b1 & 0x7F
        if n < 126:
            bits, length, end = 7, n, 2
        elif n == 126:
            bits, length, end = 16, int.from_bytes(head[2:4], "big"), 4
        else:
            bits, length, end = 64, int.from_bytes(head[2:10], "big"), 10
        masked = (b1 >> 7) & 1
        name = OPCODE_NAMES.get(op) or f"RESERVED_{op}"
        seg_a = (f',"fin":{_BOOL[b0 >> 7]},"rsv1":{_BOOL[(b0 >> 6) & 1]},"rsv2":{_BOOL[(b0 >> 5) & 1]},'
                 f'"rsv3":{_BOOL[(b0 >> 4) & 1]},"opcode":{op},"opcode_name":"{name}","masked":{_BOOL[masked]},'
                 '"mask_key":')
        seg_b = f',"length":{length},"length_bits":{bits},"header_length":{end + 4 * masked},"payload_hex":"'
        seg = (seg_a, seg_b, end if masked else -1)
        if len(_SEGMENTS) > 4096:
            _SEGMENTS.clear()
        _SEGMENTS[key] = seg
    return seg


def frame_json_line(rec: Any, dir_json: str | None = None) -> str:
    """The NDJSON line of a frame record, as ``json.dumps(rec.to_json())`` would write it, but faster.

    A plain frame (whole, no violation, not CLOSE) is formatted from cached pieces of its header; any
    other frame goes through ``to_json()``. A test checks both give the same object.
    """
    head = rec.head
    if rec.violations or rec.missing or len(head) < 2 or (head[0] & 0x0F) == 8 or head[0] & 0x40:
        return dumps(rec.to_json()) + "\n"
    seg_a, seg_b, key_at = _segments(head)
    payload = rec.payload
    if len(payload) < 512:  # (inline: the small frame of a flood pays no call)
        text_open = _TEXT_NULL
        try:
            text = _encode_str(payload.decode("ascii") if payload.isascii() else payload.decode("utf-8"))
        except UnicodeDecodeError:
            text = "null"
    else:
        text_open, text = payload_text_json(payload)
    key = f'"{head[key_at:key_at + 4].hex()}"' if key_at >= 0 else "null"
    return "".join(('{"proto":"ws","type":"frame","t":', repr(rec.t), ',"dir":',
                    dir_json if dir_json is not None else _DIR_JSON.get(rec.dir) or dumps(rec.dir), ',"offset":', str(rec.offset), seg_a,
                    key, seg_b, payload.hex(), text_open, text, _TAIL if text_open is _TEXT_NULL else _TEXT_TAIL))


_TEXT_NULL = '","payload_text":'
_TEXT_OPEN = '","payload_text":"'
_TEXT_TAIL = '"' + _TAIL
_JSON_ESCAPED = tuple(bytes((c,)) for c in (*range(0x20), 0x22, 0x5C))
"""The bytes JSON must escape in a string: controls, quote, backslash."""


def payload_text_json(payload: bytes) -> tuple[str, str]:
    """``payload_text`` of a frame line as (what opens it, its body): ``null``, or the JSON string without its
    closing quote (the caller appends that with the rest of the line, so a 1 MiB text is not copied once more).

    Why not ``encode_basestring`` on every payload: it escapes at ~600 MB/s, and a 1 MiB frame's text was then
    the costliest part of its line. Valid UTF-8 needs escaping only for the bytes of :data:`_JSON_ESCAPED` (no
    byte of a multi-byte sequence is below 0x80), and looking for each of them is a ``memchr`` at memory speed
    (cheaper than one ``translate`` pass); a text without them is its decoded self. A text with them takes
    ``encode_basestring`` as before (same output; tests/output check it on random payloads). Worth its fixed
    cost (34 searches) from a few hundred bytes on: :func:`frame_json_line` calls it from 512."""
    try:
        text = payload.decode("ascii") if payload.isascii() else payload.decode("utf-8")
    except UnicodeDecodeError:
        return _TEXT_NULL, "null"
    for byte in _JSON_ESCAPED:
        if byte in payload:
            return _TEXT_NULL, _encode_str(text)
    return _TEXT_OPEN, text


def message_json_line(t: float, opcode: int, data: bytes, text: str | None, frames: int) -> str:
    """The NDJSON line of a received, uncompressed, complete message (``--show messages`` fast path).

    Same object as ``new_message(...).to_json()`` (a test checks it), without building the record.
    """
    if text is not None:
        body = f'"opcode_name":"TEXT","length":{len(data)},"text":{_encode_str(text)}'
    else:
        body = f'"opcode_name":"{OPCODE_NAMES.get(opcode, "BINARY")}","length":{len(data)},"hex":"{data.hex()}"'
    return (f'{{"proto":"ws","type":"message","t":{t!r},"dir":"recv",{body},"compressed":false,"inflated":false,'
            f'"frames":{frames},"complete":true,"violations":[]}}\n')


def message_record_line(rec: WsMessage) -> str:
    """The NDJSON line of a message record: the fast form for a plain one, ``to_json()`` for the rest."""
    op = rec.opcode
    if rec.violations or rec.compressed or not rec.complete or (op != 1 and op != 2):
        return dumps(rec.to_json()) + "\n"
    data = rec.payload
    if op == 1:
        try:
            body = f'"opcode_name":"TEXT","length":{len(data)},"text":{_encode_str(data.decode())}'
        except UnicodeDecodeError:
            return dumps(rec.to_json()) + "\n"
    else:
        body = f'"opcode_name":"BINARY","length":{len(data)},"hex":"{data.hex()}"'
    d = rec.dir
    dir_json = '"recv"' if d == "recv" else _DIR_JSON.get(d) or dumps(d)
    return (f'{{"proto":"ws","type":"message","t":{rec.t!r},"dir":{dir_json},{body},"compressed":false,'
            f'"inflated":false,"frames":{rec.frames},"complete":true,"violations":[]}}\n')


WRITERS: dict[type, Any] = {WsFrame: frame_json_line, WsMessage: message_record_line}
"""Record type → fast line writer, looked up by ``Output`` under ``--json``."""
