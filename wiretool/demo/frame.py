"""Demo part "frame": craft WebSocket frames, decode them as ``wiretool frame decode`` does, then a broken one.

No server is needed for this part: the bytes are built with the same builder as ``frame craft`` and
decoded by the same function as ``frame decode``, so what the demo shows is what those commands print.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wiretool.exitcodes import ExitCode

if TYPE_CHECKING:
    from wiretool.output.sink import Output

TITLE = "frame: WebSocket frames crafted, then decoded"
PROTO = "ws"

EXPECTED_BROKEN = ["reserved-opcode", "rsv-without-extension", "non-minimal-length", "client-unmasked"]


async def run(out: Output) -> int:
    """Decode a valid client session (exit 0), then show a deliberately broken frame and its violations."""
    from wiretool.codec.wsclose import close_payload
    from wiretool.codec.wsframe import WsFrameParser, build_frame, fragment_frames
    from wiretool.run.decode import decode_ws

    key = bytes.fromhex("37fa213d")
    wire = (build_frame(1, b"Hello", mask_key=key)
            + b"".join(fragment_frames(1, "fragmented, with a ping in between ✓".encode(), 16, mask_key=key)[:1])
            + build_frame(9, b"are you there?", mask_key=key)
            + b"".join(fragment_frames(1, "fragmented, with a ping in between ✓".encode(), 16, mask_key=key)[1:])
            + build_frame(8, close_payload(1000, "bye"), mask_key=key))
    out.note(f"$ wiretool frame decode --from client {wire.hex()}")
    code = decode_ws(wire, out, sender="client")

    broken = build_frame(3, b"odd", rsv2=True, length_bits=16)
    out.note(f"$ wiretool frame decode --from client {broken.hex()}   # reserved opcode, RSV2, 16-bit length for 3 bytes, "
             "unmasked")
    parser = WsFrameParser(sender="client")
    records = parser.feed(broken, out.now()) + parser.finish(out.now())
    for record in records:
        out.emit(record)
    seen = [v.code for r in records for v in getattr(r, "violations", ())]
    ok = code == ExitCode.OK and seen == EXPECTED_BROKEN
    out.note("the broken frame exits 5 in `frame decode`: every violation is named with its RFC section"
             if ok else f"unexpected demo result: exit {code}, violations {seen}", level="info" if ok else "error")
    return ExitCode.OK if ok else ExitCode.INTERNAL
