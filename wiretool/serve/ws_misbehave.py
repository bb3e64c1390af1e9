"""``serve ws --misbehave CASE``: a server that breaks one RFC 6455 rule, so client authors can check that
their client notices (the other side of ``probe ws``, as Autobahn's fuzzingserver is of its fuzzingclient).

Each case is a built-in script (serve/ws_script.py): after the opening handshake the server writes one
broken frame, crafted byte by byte, then waits for the client to fail the connection. The rule it breaks is
named with the violation code wiretool's own decoder reports (``ws connect`` exits 5 naming it).
"""

from __future__ import annotations

from dataclasses import dataclass

from wiretool.codec.wsbuild import build_frame


@dataclass(frozen=True)
class Misbehaviour:
    """One broken server: what it sends, the rule, and the violation code a client should report."""

    name: str
    description: str
    rule: str
    violation: str
    frames: bytes


def _close(code: int, reason: bytes = b"") -> bytes:
    return build_frame(8, code.to_bytes(2, "big") + reason)


CASES: dict[str, Misbehaviour] = {m.name: m for m in [
    Misbehaviour("masked-frame", "a text frame masked by the server", "RFC 6455 §5.1: a server MUST NOT mask",
                 "server-masked", build_frame(1, b"hello", mask_key=b"\x01\x02\x03\x04")),
    Misbehaviour("reserved-opcode", "a frame with the reserved opcode 3", "RFC 6455 §5.2: unknown opcodes fail",
                 "reserved-opcode", build_frame(3, b"x")),
    Misbehaviour("rsv-bits", "a text frame with RSV2 set", "RFC 6455 §5.2: RSV bits MUST be 0",
                 "rsv-without-extension", build_frame(1, b"hello", rsv2=True)),
    Misbehaviour("invalid-utf8", "a text message that is not UTF-8", "RFC 6455 §8.1: fail with 1007",
                 "invalid-utf8", build_frame(1, b"\xce\xba\xff")),
    Misbehaviour("fragmented-ping", "a ping without FIN", "RFC 6455 §5.5: control frames MUST NOT be fragmented",
                 "control-fragmented", build_frame(9, b"x", fin=False)),
    Misbehaviour("long-ping", "a ping with 126 bytes of payload", "RFC 6455 §5.5: control payloads <= 125 bytes",
                 "control-too-long", build_frame(9, b"x" * 126)),
    Misbehaviour("stray-continuation", "a continuation frame with no message to continue",
                 "RFC 6455 §5.4", "unexpected-continuation", build_frame(0, b"x")),
    Misbehaviour("interleaved-text", "a text frame inside an unfinished text message", "RFC 6455 §5.4",
                 "interleaved-data-frame", build_frame(1, b"one", fin=False) + build_frame(1, b"two")),
    Misbehaviour("bad-close-code", "a close with code 1005", "RFC 6455 §7.4.1: 1005 MUST NOT be sent",
                 "close-code-invalid", _close(1005)),
    Misbehaviour("close-1-byte", "a close frame with a 1-byte payload", "RFC 6455 §5.5.1",
                 "close-payload-1-byte", build_frame(8, b"\x03")),
    Misbehaviour("non-minimal-length", "a 5-byte frame with a 16-bit length",
                 "RFC 6455 §5.2: the minimal number of bytes MUST be used", "non-minimal-length",
                 build_frame(1, b"hello", length_bits=16)),
    Misbehaviour("frame-after-close", "a text frame after the server's own close", "RFC 6455 §5.5.1",
                 "frame-after-close", _close(1000) + build_frame(1, b"late")),
]}
"""Every misbehaviour, by name."""


def script_text(name: str) -> str:
    """The built-in script of one case (``raw`` the broken bytes, then give the client time to react)."""
    return f"# {CASES[name].description}\nraw {CASES[name].frames.hex()}\nsleep 2\n"
