"""Build any WebSocket frame, valid or deliberately broken (for ``frame craft`` and for tests).

Nothing here checks the rules of RFC 6455: a reserved opcode, RSV bits, a fragmented PING, a length
encoded in 64 bits for three bytes, or a length field that lies about the payload are all allowed. Only
what cannot be put into the header at all (an opcode above 15, a length too big for its field, a mask
key that is not 4 bytes) raises ``ValueError``.
"""

from __future__ import annotations

import os
from typing import Any

from wiretool.codec.wsmask import apply_mask

_LIMITS = {7: 127, 16: 0xFFFF, 64: 0xFFFFFFFFFFFFFFFF}


def _minimal_bits(length: int) -> int:
    return 7 if length < 126 else 16 if length < 65536 else 64


def build_frame(opcode: int, payload: bytes = b"", *, fin: bool = True, rsv1: bool = False, rsv2: bool = False,
                rsv3: bool = False, mask: bool | None = None, mask_key: bytes | None = None,
                length_bits: int | None = None, length: int | None = None) -> bytes:
    """The bytes of one frame.

    ``mask`` None means "masked if a ``mask_key`` is given"; ``mask=True`` without a key picks a random one
    (as a client must). ``length_bits`` forces the length encoding (7, 16 or 64; minimal by default) and
    ``length`` writes a length field that differs from the payload's real size. A 7-bit field may hold
    126 or 127 only when asked for explicitly (the decoder will then read an extended length that is not
    there).
    """
    if not 0 <= opcode <= 15:
        raise ValueError(f"opcode must be 0-15, got {opcode}")
    payload = bytes(payload)
    value = len(payload) if length is None else length
    if value < 0:
        raise ValueError("length must not be negative")
    bits = _minimal_bits(value) if length_bits is None else length_bits
    if bits not in _LIMITS:
        raise ValueError(f"length_bits must be 7, 16 or 64, got {bits}")
    if value > _LIMITS[bits] or (bits == 7 and value > 125 and length is None):
        raise ValueError(f"length {value} does not fit a {bits}-bit length field")
    if mask_key is not None:
        mask_key = bytes(mask_key)
        if len(mask_key) != 4:
            raise ValueError("mask key must be 4 bytes")
    if mask is None:
        mask = mask_key is not None
    if mask and mask_key is None:
        mask_key = os.urandom(4)

    b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | (0x20 if rsv2 else 0) | (0x10 if rsv3 else 0) | opcode
    mbit = 0x80 if mask else 0
    if bits == 7:
        head = bytes((b0, mbit | value))
    elif bits == 16:
        head = bytes((b0, mbit | 126)) + value.to_bytes(2, "big")
    else:
        head = bytes((b0, mbit | 127)) + value.to_bytes(8, "big")
    if mask:
        assert mask_key is not None
        return head + mask_key + apply_mask(payload, mask_key)
    return head + payload


def fragment_frames(opcode: int, payload: bytes, size: int, **kw: Any) -> list[bytes]:
    """Split ``payload`` into frames of at most ``size`` bytes: the first carries ``opcode``, the rest CONT.

    FIN is set on the last frame only (unless ``fin=False`` is passed: then on none), RSV1 on the first
    only (RFC 7692 §6.1), other keyword arguments (mask, rsv2, length_bits...) apply to every frame.
    """
    if size <= 0:
        raise ValueError("fragment size must be positive")
    payload = bytes(payload)
    chunks = [payload[i : i + size] for i in range(0, len(payload), size)] or [b""]
    fin = kw.pop("fin", True)
    rsv1 = kw.pop("rsv1", False)
    frames = []
    last = len(chunks) - 1
    for i, chunk in enumerate(chunks):
        frames.append(build_frame(opcode if i == 0 else 0, chunk, fin=fin and i == last,
                                  rsv1=rsv1 and i == 0, **kw))
    return frames
