"""Read the bytes a command should decode: hex or base64 on the command line, from ``--file PATH``, or ``-`` (stdin).

People paste bytes from everywhere: Wireshark (``81:05:48``), C strings (``\\x81\\x05``), Python reprs
(``0x81 0x05``), logs with spaces and line breaks. The hex reader accepts all of those; anything it still
cannot read is a usage error (exit 2) with a one-line message saying where the problem is.
"""

from __future__ import annotations

import binascii
import os
import re
from typing import IO

from wiretool.codec.hexbytes import HexError
from wiretool.codec.hexbytes import parse_hex as hex_bytes
from wiretool.errors import UsageError

ENCODINGS = ("hex", "base64", "raw")

_B64_SPACE = re.compile(r"\s+")


def parse_hex(text: str) -> bytes:
    """Hex as :func:`wiretool.codec.hexbytes.parse_hex` reads it; anything else is a usage error."""
    try:
        return hex_bytes(text)
    except HexError as exc:
        raise UsageError(f"invalid hex input: {exc}") from None


def parse_base64(text: str) -> bytes:
    """Standard or URL-safe base64; whitespace ignored, missing padding tolerated."""
    compact = _B64_SPACE.sub("", text)
    if "-" in compact or "_" in compact:
        compact = compact.replace("-", "+").replace("_", "/")
    compact += "=" * (-len(compact) % 4)
    import base64  # here, not at the top: hex is the common input, and base64 costs every start-up 1 ms

    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UsageError(f"invalid base64 input: {exc}") from None


def decode_text(data: bytes | str, encoding: str) -> bytes:
    """Turn input text into bytes according to ``encoding`` (hex, base64, or raw: as is)."""
    if encoding == "raw":
        return data if isinstance(data, bytes) else os.fsencode(data)
    if isinstance(data, bytes):
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            raise UsageError(f"{encoding} input holds non-ASCII bytes (use --encoding raw for binary input)") from None
    else:
        text = data
    return parse_hex(text) if encoding == "hex" else parse_base64(text)


def _run_stdin() -> IO[str]:
    """The run's stdin: the one in the Environment given to ``main.run()`` (the process's outside a run)."""
    from wiretool.cli.options import base_env

    return base_env().stdin


def _read_stdin(stdin: IO[str] | None = None) -> bytes:
    stream = stdin if stdin is not None else _run_stdin()
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        return buffer.read()
    text = stream.read()  # a text stream without a binary buffer (tests): latin-1 keeps every code point < 256
    return text.encode("latin-1", "surrogateescape") if isinstance(text, str) else text


def read_input(args: tuple[str, ...] | list[str], *, file: str | None = None, encoding: str = "hex",
               stdin: IO[str] | None = None) -> bytes:
    """The input bytes from the arguments, ``--file PATH`` or ``-``; raises :class:`UsageError` when unreadable."""
    if encoding not in ENCODINGS:
        raise UsageError(f"unknown encoding {encoding!r}")
    args = list(args)
    if file is not None and args:
        raise UsageError("give the bytes either as arguments or with --file, not both")
    if file is None and args == ["-"]:
        file = "-"
        args = []
    if file is not None:
        if file == "-":
            raw = _read_stdin(stdin)
        else:
            try:
                with open(file, "rb") as fh:
                    raw = fh.read()
            except OSError as exc:
                raise UsageError(f"cannot read {file}: {exc.strerror or exc}") from None
        return decode_text(raw, encoding)
    if not args:
        raise UsageError("no input: give the bytes as hex arguments, --file PATH, or - to read stdin")
    if "-" in args:
        raise UsageError("'-' (stdin) cannot be mixed with other arguments")
    if encoding == "raw":
        return b"".join(os.fsencode(a) for a in args)
    return decode_text(" ".join(args) if encoding == "hex" else "".join(args), encoding)


def read_path(path: str) -> bytes:
    """The bytes of a file, or of stdin for ``-``; an unreadable file is a usage error (exit 2)."""
    if path == "-":
        stdin = _run_stdin()
        return stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read().encode()
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None


def read_data_option(value: str | None) -> bytes | None:
    """A request body as curl spells it: ``-d TEXT``, ``-d @FILE`` or ``-d -`` (stdin)."""
    if value is None:
        return None
    if value == "-" or value.startswith("@"):
        return read_path(value[1:] if value.startswith("@") else "-")
    return value.encode()
