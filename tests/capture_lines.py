"""Tests that look inside a capture file: its contents as format-1 line objects, whatever its format.

The compact format (2) is binary after its header line; tests written against the NDJSON lines of format 1
(tampering with a line, counting recorded bytes) read the same facts through :func:`lines`, or turn a fresh
capture into format 1 with :func:`to_format1` and go on tampering with its text (the format-1 reader's
hostile-input rules still hold for the captures older wiretools wrote).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from wiretool.capture.file import read_capture


def lines(path: Path) -> list[dict[str, Any]]:
    """The header, then one ``{"kind": "bytes", "dir", "t", "b64", "conn"?}`` per chunk and one
    ``{"kind": "record", "record"}`` per kept record, as format 1 would hold them."""
    cap = read_capture(path)
    out: list[dict[str, Any]] = [cap.header]
    for c in cap.chunks:
        line: dict[str, Any] = {"kind": "bytes", "dir": c.dir, "t": c.t, "b64": base64.b64encode(c.data).decode()}
        if c.conn:
            line["conn"] = c.conn
        out.append(line)
    out += [{"kind": "record", "record": r} for r in cap.records]
    return out


def text(path: Path) -> str:
    """The capture as format-1 NDJSON text (the header says format 1)."""
    objs = lines(path)
    objs[0] = {**objs[0], "format": 1}
    return "".join(json.dumps(o, separators=(",", ":"), ensure_ascii=False) + "\n" for o in objs)


def to_format1(path: Path) -> None:
    """Rewrite the capture at ``path`` in format 1, in place."""
    path.write_text(text(path), encoding="utf-8")
