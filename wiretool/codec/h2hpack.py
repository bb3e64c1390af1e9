"""HPACK for the frame view: one :class:`HpackReader` per direction, fed complete header blocks in wire order.

Wraps ``hpack.Decoder`` with what a debugger needs: header lists as text (never raising on bad UTF-8),
secrets redacted, the dynamic table's size and entries, a bounded decoded size (an HPACK bomb stops at
``max_header_list_size``), and a small cache: a block that left the dynamic table unchanged decodes the
same way again while the table stays as it is, and repeated requests and responses are mostly such
blocks, so they are decoded once.
"""

from __future__ import annotations

from hpack import Decoder

from wiretool.secrets import SECRET_HEADERS_B as SECRET_HEADERS

_CACHE_MAX = 256

Headers = list[tuple[str, str]]


class HpackError(Exception):
    """The block could not be decoded; the reader's table is no longer trustworthy."""


class HpackReader:
    """Decode the header blocks of one direction (RFC 7541), keeping its dynamic table."""

    def __init__(self, *, max_header_list_size: int, show_secrets: bool = False) -> None:
        self.decoder = Decoder(max_header_list_size=max_header_list_size)
        self.show_secrets = show_secrets
        self._cache: dict[bytes, tuple[tuple[object, ...], Headers]] = {}

    @property
    def table_size(self) -> int:
        """Current size of the dynamic table in the RFC's accounting (32 bytes per entry overhead)."""
        return self.decoder.header_table._current_size

    def allow_table_size(self, size: int) -> None:
        """The other side's SETTINGS_HEADER_TABLE_SIZE; only ever raised, since blocks in flight used the old one."""
        self.decoder.max_allowed_table_size = max(self.decoder.max_allowed_table_size, size)

    def decode(self, block: bytes) -> Headers:
        """The block's header list as text; raises :class:`HpackError` on anything hpack refuses."""
        before = self._state()
        hit = self._cache.get(block)
        if hit is not None and _same(hit[0], before):
            return hit[1]
        try:
            raw = self.decoder.decode(block, raw=True)
        except Exception as exc:  # hpack raises HPACKDecodingError subclasses, and worse on hostile input
            raise HpackError(str(exc)) from None
        headers = self.text(raw)
        if _same(self._state(), before):
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[block] = (before, headers)
        return headers

    def entries(self) -> Headers:
        """The dynamic table, newest first (index 62 onwards)."""
        return self.text(list(self.decoder.header_table.dynamic_entries))

    def text(self, raw: list[tuple[bytes, bytes]]) -> Headers:
        """Header pairs as text: invalid UTF-8 as backslash escapes, secrets as ``<redacted>``."""
        out = []
        for name, value in raw:
            shown = name.decode("utf-8", "backslashreplace")
            if not self.show_secrets and bytes(name).lower() in SECRET_HEADERS:
                out.append((shown, "<redacted>"))
            else:
                out.append((shown, value.decode("utf-8", "backslashreplace")))
        return out

    def _state(self) -> tuple[object, ...]:
        """What identifies the dynamic table: sizes, limits, and its newest entry (compared by identity)."""
        table = self.decoder.header_table
        entries = table.dynamic_entries
        return (len(entries), table._current_size, table._maxsize, self.decoder.max_allowed_table_size,
                entries[0] if entries else None)


def _same(a: tuple[object, ...], b: tuple[object, ...]) -> bool:
    return a[:4] == b[:4] and a[4] is b[4]
