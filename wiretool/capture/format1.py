"""Reading a format-1 capture: NDJSON text, the bytes base64 in ``bytes`` lines beside ``record`` lines.

wiretool wrote this format until the compact one (format 2, :mod:`wiretool.capture.blocks`); it still reads
it exactly as before (docs/capture-format.md, "Format 1"). Only the header line is shared with format 2.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from wiretool.errors import UsageError
from wiretool.session import Chunk

if TYPE_CHECKING:
    from wiretool.capture.reader import Capture


def read_lines(cap: Capture, text: str, name: str, *, records: bool) -> None:
    """Fill ``cap`` (its header already read and checked) from the lines of ``text`` after the header.

    ``records=False`` skips the record lines by their prefix without parsing them (replay and
    ``frame decode --capture`` read only the bytes), which makes reading a large capture several times faster.
    """
    from wiretool.capture.reader import DIRS, checked_t

    lines = text.split("\n")
    complete_last = text.endswith("\n")
    if not records:  # the header line stays: it is the first line, and it is never a record line
        last = lines[-1:]  # kept whatever it is, so that a truncated last line is still reported
        lines = [line for line in lines[:-1] if not line.startswith('{"kind":"record"')] + last
    items = iter(parse_lines(lines, complete_last, name))
    next(items, None)  # the header
    last_t = 0.0
    for obj, warning in items:
        if warning:
            cap.warnings.append(warning)
            continue
        kind = obj.get("kind")
        if kind == "bytes":
            b64 = obj.get("b64")
            try:
                if not isinstance(b64, str):
                    raise ValueError
                data = base64.b64decode(b64, validate=True)
            except ValueError:
                cap.warnings.append("a bytes line holds no valid base64; skipped")
                continue
            dir, t, conn = obj.get("dir", "recv"), obj.get("t", 0.0), obj.get("conn", 0)
            if not isinstance(dir, str) or dir not in DIRS:
                cap.warnings.append(f"a bytes line has an unknown dir {str(dir)[:20]!r}; skipped")
                continue
            if not _is_number(t) or not isinstance(conn, int) or isinstance(conn, bool) or not 0 <= conn < 1 << 31:
                cap.warnings.append("a bytes line holds an invalid t or conn; skipped")
                continue
            last_t = checked_t(cap, float(t), last_t, obj.get("t"))
            cap.chunks.append(Chunk(dir, last_t, data, conn))
        elif kind == "record":
            record = obj.get("record", {})
            if isinstance(record, dict):
                cap.records.append(record)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_lines(lines: list[str], complete_last: bool, name: str) -> Iterator[tuple[dict[str, Any], str]]:
    """Each JSON object line as ``(object, "")``, or ``({}, warning)`` for a last line cut short."""
    last = len(lines) - 1
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError) as exc:  # ValueError: bad JSON, or an integer of thousands of digits
            if i == last and not complete_last:
                yield {}, f"{name}: last line is truncated (the writer was stopped mid-line); ignored"
                continue
            why = "is nested too deeply" if isinstance(exc, RecursionError) else "is not valid JSON"
            if isinstance(exc, ValueError) and not isinstance(exc, json.JSONDecodeError):
                why = "holds a number too long to read"
            raise UsageError(f"unreadable capture {name}: line {i + 1} {why}") from None
        if isinstance(obj, dict):
            yield obj, ""
