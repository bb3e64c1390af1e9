"""The UTF-8 sequences of the 6.5-6.23 cases: Markus Kuhn's UTF-8 decoder stress test, grouped as Autobahn
numbers them, so ``probe ws`` case 6.12.3 sends what Autobahn's 6.12.3 sends.

Whether a sequence is valid is not written down by hand: it is what Python's strict UTF-8 decoder (RFC 3629:
no surrogates, nothing above U+10FFFF, no overlongs, no 5- and 6-byte forms) says, which is the rule a
WebSocket endpoint must apply (RFC 6455 §8.1).
"""

from __future__ import annotations

KAPPA = bytes.fromhex("ceba" "e1bdb9" "cf83" "cebc" "ceb5")
"""The Greek word "kosme" of the test file (11 bytes; its omicron with oxia is the 3-byte U+1F79)."""


def is_valid(data: bytes) -> bool:
    """Whether ``data`` is complete, valid UTF-8."""
    try:
        data.decode("utf-8", "strict")
    except UnicodeDecodeError:
        return False
    return True


def _lonely(lo: int, hi: int) -> bytes:
    return b"".join(bytes((i, 0x20)) for i in range(lo, hi))


_MISSING_LAST = [b"\xc0", b"\xe0\x80", b"\xf0\x80\x80", b"\xf8\x80\x80\x80", b"\xfc\x80\x80\x80\x80",
                 b"\xdf", b"\xef\xbf", b"\xf7\xbf\xbf", b"\xfb\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf"]


def _noncharacters() -> list[bytes]:
    out = [b"\xef\xbf\xbe", b"\xef\xbf\xbf"]
    for z1 in (0xF0, 0xF1, 0xF2, 0xF3, 0xF4):
        for z2 in (0x8F, 0x9F, 0xAF, 0xBF):
            if z1 == 0xF4 and z2 != 0x8F:
                continue  # beyond U+10FFFF
            for z3 in (0xBE, 0xBF):
                seq = bytes((z1, z2, 0xBF, z3))
                if seq not in (b"\xf0\x8f\xbf\xbe", b"\xf0\x8f\xbf\xbf"):  # overlong
                    out.append(seq)
    return out


GROUPS: list[tuple[str, list[bytes]]] = [
    ("Some valid UTF-8 sequences", [b"hello$world", b"hello\xc2\xa2world", b"hello\xe2\x82\xacworld",
                                    b"hello\xf0\xa4\xad\xa2world", KAPPA]),
    ("All prefixes of a valid UTF-8 string that contains multi-byte code points",
     [KAPPA[:i] for i in range(1, len(KAPPA) + 1)]),
    ("First possible sequence of a certain length", [b"\x00", b"\xc2\x80", b"\xe0\xa0\x80", b"\xf0\x90\x80\x80"]),
    ("First possible sequence length 5/6 (invalid codepoints)", [b"\xf8\x88\x80\x80\x80", b"\xfc\x84\x80\x80\x80\x80"]),
    ("Last possible sequence of a certain length", [b"\x7f", b"\xdf\xbf", b"\xef\xbf\xbf", b"\xf4\x8f\xbf\xbf"]),
    ("Last possible sequence length 4/5/6 (invalid codepoints)",
     [b"\xf7\xbf\xbf\xbf", b"\xfb\xbf\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf\xbf"]),
    ("Other boundary conditions", [b"\xed\x9f\xbf", b"\xee\x80\x80", b"\xef\xbf\xbd", b"\xf4\x8f\xbf\xbf",
                                   b"\xf4\x90\x80\x80"]),
    ("Unexpected continuation bytes", [b"\x80", b"\xbf", b"\x80\xbf", b"\x80\xbf\x80", b"\x80\xbf\x80\xbf",
                                       b"\x80\xbf\x80\xbf\x80", b"\x80\xbf\x80\xbf\x80\xbf",
                                       bytes(range(0x80, 0xBF))]),
    ("Lonely start characters", [_lonely(lo, hi) for lo, hi in
                                 ((0xC0, 0xDF), (0xE0, 0xEF), (0xF0, 0xF7), (0xF8, 0xFB), (0xFC, 0xFD))]),
    ("Sequences with last continuation byte missing", list(_MISSING_LAST)),
    ("Concatenation of incomplete sequences", [b"".join(_MISSING_LAST)]),
    ("Impossible bytes", [b"\xfe", b"\xff", b"\xfe\xfe\xff\xff"]),
    ("Examples of an overlong ASCII character", [b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf",
                                                 b"\xf8\x80\x80\x80\xaf", b"\xfc\x80\x80\x80\x80\xaf"]),
    ("Maximum overlong sequences", [b"\xc1\xbf", b"\xe0\x9f\xbf", b"\xf0\x8f\xbf\xbf", b"\xf8\x87\xbf\xbf\xbf",
                                    b"\xfc\x83\xbf\xbf\xbf\xbf"]),
    ("Overlong representation of the NUL character", [b"\xc0\x80", b"\xe0\x80\x80", b"\xf0\x80\x80\x80",
                                                      b"\xf8\x80\x80\x80\x80", b"\xfc\x80\x80\x80\x80\x80"]),
    ("Single UTF-16 surrogates", [b"\xed\xa0\x80", b"\xed\xad\xbf", b"\xed\xae\x80", b"\xed\xaf\xbf",
                                  b"\xed\xb0\x80", b"\xed\xbe\x80", b"\xed\xbf\xbf"]),
    ("Paired UTF-16 surrogates", [a + b for a in (b"\xed\xa0\x80", b"\xed\xad\xbf", b"\xed\xae\x80", b"\xed\xaf\xbf")
                                  for b in (b"\xed\xb0\x80", b"\xed\xbf\xbf")]),
    ("Non-character code points (valid UTF-8)", _noncharacters()),
    ("Unicode specials (i.e. replacement char)", [bytes((0xEF, 0xBF, b)) for b in range(0xB9, 0xC0)]),
]
"""Groups 6.5 to 6.23, in Autobahn's order; each sequence is one case (6.<group>.<index>)."""
FIRST_GROUP = 5
