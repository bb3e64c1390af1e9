"""HPACK for the frame view: one :class:`HpackReader` per direction, fed complete header blocks in wire order.

A decoder of our own (RFC 7541), not ``hpack.Decoder``: decoding header-heavy captures was mostly the hpack
package's per-header overhead (memoryview slices, debug logging, namedtuples, a generic integer decoder), and
a debugger needs what it does not offer. So here:

- header lists as text (never raising on bad UTF-8), secrets redacted, the dynamic table's size and entries,
  a bounded decoded size (an HPACK bomb stops at ``max_header_list_size``) and bounded integers;
- a cache of whole blocks: a block that left the dynamic table unchanged decodes the same way again while the
  table stays as it is (a generation counter says so), and repeated requests and responses are mostly such
  blocks; a bounded memo of Huffman strings, since the same encoded values recur across blocks that do
  change the table;
- a *lost* table (:meth:`HpackReader.lose_table`): after a gap in a capture, or when it starts mid-connection,
  the entries the peer added before are unknown. Blocks are then decoded with what is known (the static
  table, literals, entries added since) and a reference to an unknown entry is named as such
  (:data:`LOST_NAME`), never guessed.

Huffman decoding itself is hpack's (``hpack.huffman_table.decode_huffman``); tests check the whole against
``hpack.Decoder`` on random header lists, dynamic table included.
"""

from __future__ import annotations

from hpack.exceptions import HPACKDecodingError
from hpack.huffman_table import decode_huffman
from hpack.table import HeaderTable

from wiretool.secrets import SECRET_HEADERS_B as SECRET_HEADERS

_CACHE_MAX = 256
_HUFF_MAX = 4096
_HUFF_LONGEST = 256
"""Huffman strings longer than this are not memoised (big cookies and tokens rarely repeat byte for byte)."""
_INT_MAX_BYTES = 5
"""Continuation bytes allowed in one integer: 2**35, far beyond any table index or string length."""
STATIC: tuple[tuple[bytes, bytes], ...] = tuple(HeaderTable.STATIC_TABLE)
_NSTATIC = len(STATIC)
LOST_NAME = "<lost: dynamic table entry {} (added before what the capture holds)>"
"""How a reference to an entry the capture lost is shown (its index as the block gave it)."""

Headers = list[tuple[str, str]]


class HpackError(Exception):
    """The block could not be decoded; the reader's table is no longer trustworthy."""


class HpackReader:
    """Decode the header blocks of one direction (RFC 7541), keeping its dynamic table."""

    def __init__(self, *, max_header_list_size: int, show_secrets: bool = False) -> None:
        self.max_header_list_size = max_header_list_size
        self.show_secrets = show_secrets
        self.max_allowed_table_size = 4096
        self.maxsize = 4096
        self._dyn: list[tuple[bytes, bytes]] = []
        """The dynamic table, oldest first (so adding is an append; index 62 is the last element)."""
        self._size = 0
        self._gen = 0
        self.lost = False
        """Entries older than the ones in ``_dyn`` existed but are unknown (see :meth:`lose_table`)."""
        self.lost_refs = 0
        """References to unknown entries decoded so far (what the frame view says once)."""
        self._cache: dict[bytes, tuple[int, int, Headers]] = {}
        self._huff: dict[bytes, bytes] = {}

    @property
    def table_size(self) -> int:
        """Current size of the dynamic table in the RFC's accounting (32 bytes per entry overhead)."""
        return self._size

    def allow_table_size(self, size: int) -> None:
        """The other side's SETTINGS_HEADER_TABLE_SIZE; only ever raised, since blocks in flight used the old one."""
        if size > self.max_allowed_table_size:
            self.max_allowed_table_size = size
            self._gen += 1

    def lose_table(self) -> None:
        """The stream lost bytes (a gap) or began unseen: what the table held is unknown from here on."""
        self._dyn.clear()
        self._size = 0
        self.lost = True
        self._gen += 1

    def decode(self, block: bytes) -> Headers:
        """The block's header list as text; raises :class:`HpackError` on anything a decoder must refuse."""
        hit = self._cache.get(block)
        if hit is not None and hit[0] == self._gen and hit[1] == self.max_allowed_table_size:
            return hit[2]
        gen, allowed = self._gen, self.max_allowed_table_size
        try:
            raw = self._decode(block)
        except IndexError:
            raise HpackError("Truncated header block") from None
        except HPACKDecodingError as exc:  # from the Huffman decoder: an invalid or badly padded string
            raise HpackError(str(exc)) from None
        headers = self.text(raw)
        if self._gen == gen:
            if len(self._cache) >= _CACHE_MAX:
                self._cache.clear()
            self._cache[block] = (gen, allowed, headers)
        return headers

    def entries(self) -> Headers:
        """The dynamic table, newest first (index 62 onwards)."""
        return self.text(self._dyn[::-1])

    def text(self, raw: list[tuple[bytes, bytes]]) -> Headers:
        """Header pairs as text: invalid UTF-8 as backslash escapes, secrets as ``<redacted>``."""
        out = []
        hide = not self.show_secrets
        for name, value in raw:
            shown = name.decode("utf-8", "backslashreplace")
            if hide and name.lower() in SECRET_HEADERS:
                out.append((shown, "<redacted>"))
            else:
                out.append((shown, value.decode("utf-8", "backslashreplace")))
        return out

    # -- inside --------------------------------------------------------------------------------------------
    def _decode(self, data: bytes) -> list[tuple[bytes, bytes]]:
        headers: list[tuple[bytes, bytes]] = []
        append = headers.append
        n = len(data)
        pos = 0
        inflated = 0
        limit = self.max_header_list_size
        while pos < n:
            b = data[pos]
            if b & 0x80:  # indexed field
                index = b & 0x7F
                pos += 1
                if index == 0x7F:
                    index, pos = _integer(data, pos, index)
                header = self._get(index)
            elif b & 0x40 or not b & 0x20:  # a literal, with incremental indexing (0x40) or without
                indexing = bool(b & 0x40)
                index = b & (0x3F if indexing else 0x0F)
                pos += 1
                if index:
                    if index == (0x3F if indexing else 0x0F):
                        index, pos = _integer(data, pos, index)
                    name = self._get(index)[0]
                else:
                    name, pos = self._string(data, pos)
                value, pos = self._string(data, pos)
                header = (name, value)
                if indexing:
                    self._add(name, value)
            else:  # dynamic table size update (0x20)
                if headers:
                    raise HpackError("Table size update not at the start of the block")
                size = b & 0x1F
                pos += 1
                if size == 0x1F:
                    size, pos = _integer(data, pos, size)
                if size > self.max_allowed_table_size:
                    raise HpackError("Encoder exceeded max allowable table size")
                self._resize(size)
                continue
            append(header)
            inflated += len(header[0]) + len(header[1]) + 32
            if inflated > limit:
                raise HpackError(f"A header list larger than {limit} has been received")
        if self.maxsize > self.max_allowed_table_size:
            raise HpackError("Encoder did not shrink table size to within the max")
        return headers

    def _get(self, index: int) -> tuple[bytes, bytes]:
        if 0 < index <= _NSTATIC:
            return STATIC[index - 1]
        dyn = self._dyn
        i = index - _NSTATIC
        if 0 < i <= len(dyn):
            return dyn[-i]
        if index and self.lost:
            self.lost_refs += 1
            return LOST_NAME.format(index).encode(), b"<lost>"
        raise HpackError(f"Invalid table index {index}")

    def _string(self, data: bytes, pos: int) -> tuple[bytes, int]:
        b = data[pos]
        length = b & 0x7F
        pos += 1
        if length == 0x7F:
            length, pos = _integer(data, pos, length)
        end = pos + length
        if end > len(data):
            raise HpackError("Truncated header block")
        raw = data[pos:end]
        if not b & 0x80:
            return raw, end
        memo = self._huff
        text = memo.get(raw)
        if text is None:
            text = decode_huffman(raw)
            if length <= _HUFF_LONGEST:
                if len(memo) >= _HUFF_MAX:
                    memo.clear()
                memo[raw] = text
        return text, end

    def _add(self, name: bytes, value: bytes) -> None:
        size = len(name) + len(value) + 32
        self._gen += 1
        dyn = self._dyn
        if size > self.maxsize:  # RFC 7541 §4.4: an entry larger than the table empties it
            dyn.clear()
            self._size = 0
            return
        dyn.append((name, value))
        self._size += size
        self._evict()

    def _resize(self, size: int) -> None:
        self._gen += 1
        self.maxsize = size
        self._evict()

    def _evict(self) -> None:
        dyn = self._dyn
        cur, cap, drop = self._size, self.maxsize, 0
        while cur > cap and drop < len(dyn):
            name, value = dyn[drop]
            cur -= len(name) + len(value) + 32
            drop += 1
        if drop:
            del dyn[:drop]
        self._size = cur


def _integer(data: bytes, pos: int, value: int) -> tuple[int, int]:
    """The rest of an integer whose prefix was all ones (``value``), from ``pos``: ``(integer, next pos)``."""
    shift = 0
    for _ in range(_INT_MAX_BYTES):
        b = data[pos]
        pos += 1
        value += (b & 0x7F) << shift
        if not b & 0x80:
            return value, pos
        shift += 7
    raise HpackError("an HPACK integer longer than 5 continuation bytes")
