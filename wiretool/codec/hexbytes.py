"""Hex text to bytes, the one lenient reader every option and command that takes hex uses.

People paste bytes from everywhere: Wireshark (``81:05:48``), C strings (``\\x81\\x05``), Python reprs
(``0x81 0x05``), lists (``81,05``), logs with spaces and line breaks. All of those read the same as
``8105``. Anything still not hex raises :class:`HexError` (a ``ValueError``) saying what is wrong; the
caller turns it into its own usage error, so ``frame decode``, ``frame craft``, ``ws connect --send-hex``,
``/binary`` and ``h2 grpc --data-hex`` accept exactly the same input.
"""

from __future__ import annotations

import re

_NOISE = re.compile(r"0[xX]|\\[xX]|[\s:,;_\-]")
_NOT_HEX = re.compile(r"[^0-9a-fA-F]")


class HexError(ValueError):
    """The text is not hex even after the separators and prefixes people paste are dropped."""


def parse_hex(text: str) -> bytes:
    """Hex digits with any spaces, colons, commas, semicolons, dashes, underscores, ``0x`` or ``\\x`` between."""
    digits = _NOISE.sub("", text)
    bad = _NOT_HEX.search(digits)
    if bad:
        raise HexError(f"unexpected character {bad.group()!r}")
    if len(digits) % 2:
        raise HexError(f"odd number of hex digits ({len(digits)})")
    return bytes.fromhex(digits)
