"""Make untrusted text safe to show on a terminal.

Payloads come from servers we do not trust. A frame holding ``\\x1b]0;pwned\\x07`` must not retitle the
terminal, and one holding ``[bold]`` must not be read as rich markup. We escape C0/C1 controls, DEL and
the bidirectional overrides (which can reorder what the eye sees), and never pass text through markup.
"""

from __future__ import annotations

_NAMED = {0x09: "\\t", 0x0A: "\\n", 0x0D: "\\r"}


def _table(keep_newlines: bool) -> dict[int, str]:
    table: dict[int, str] = {}
    for cp in [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]:
        table[cp] = _NAMED.get(cp, f"\\x{cp:02x}")
    for cp in [*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C]:
        table[cp] = f"\\u{cp:04x}"
    if keep_newlines:
        del table[0x0A]
        del table[0x09]
    return table


_ONE_LINE = _table(keep_newlines=False)
_MULTI_LINE = _table(keep_newlines=True)


def safe_text(text: str, *, keep_newlines: bool = False) -> str:
    """Escape control characters so ``text`` prints as visible characters and nothing else.

    With ``keep_newlines`` LF and TAB are kept (multi-line payload views); CR never is, since it
    would let a payload overwrite what was printed before it on the same line.
    """
    return text.translate(_MULTI_LINE if keep_newlines else _ONE_LINE)


def hexdump(data: bytes, *, width: int = 16, limit: int | None = None) -> str:
    """A classic offset / hex / ASCII dump; non-printable bytes show as ``.``."""
    view = data if limit is None else data[:limit]
    lines = []
    for off in range(0, len(view), width):
        chunk = view[off : off + width]
        hexpart = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in chunk)
        lines.append(f"{off:08x}  {hexpart:<{width * 3 - 1}}  {text}")
    if limit is not None and len(data) > limit:
        lines.append(f"... {len(data) - limit} more bytes")
    return "\n".join(lines)
