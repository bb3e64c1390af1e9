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

DECODERS = {"ws": "wiretool.capture.decode_ws:decode_ws", "h2": "wiretool.capture.decode_h2:decode_h2",
            "sse": "wiretool.capture.decode_sse:decode_sse"}
"""Protocol → its capture decoder, ``decode(cap, hpack_entries, show_secrets) -> Iterator[Record]``."""


def decode(cap: Capture, *, hpack_entries: bool = False, show_secrets: bool = False) -> Iterator[Record]:
    """The records of ``cap``'s bytes, in the order its chunks were written; UsageError for an unknown protocol."""
    import importlib

    target = DECODERS.get(cap.proto)
    if target is None:
        raise UsageError(f"cannot decode a {cap.proto!r} capture")
    module, name = target.split(":")
    fn = getattr(importlib.import_module(module), name)
    if cap.proto == "ws":
        return fn(cap, show_secrets)
    return fn(cap, hpack_entries, show_secrets)
