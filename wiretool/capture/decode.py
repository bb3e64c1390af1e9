"""A capture's bytes back into records, whatever its protocol: the same codecs run again on the same bytes.

Only the bytes are read (the records a capture holds are ignored): this is how a capture made by an older
wiretool is seen with today's decoders, and the proof that the bytes alone rebuild every record.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from wiretool.errors import UsageError

if TYPE_CHECKING:
    from wiretool.capture.file import Capture
    from wiretool.records import Record



def decode(cap: Capture, *, hpack_entries: bool = False, show_secrets: bool = False) -> Iterator[Record]:
    """The records of ``cap``'s bytes, in the order its chunks were written; UsageError for an unknown protocol."""
    from wiretool import protocols

    if cap.proto == "proxy":  # one capture of many connections, each in its own protocol: sniffed per connection
        from wiretool.proxy.decode import decode_proxy

        return decode_proxy(cap, hpack_entries=hpack_entries, show_secrets=show_secrets)
    fn = protocols.part(cap.proto, "capture_decoder") if isinstance(cap.proto, str) else None
    if fn is None:
        raise UsageError(f"cannot decode a {str(cap.proto)[:40]!r} capture")
    return fn(cap, hpack_entries=hpack_entries, show_secrets=show_secrets)
