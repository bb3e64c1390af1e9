"""What the person (or the pipe) types into ``ws connect``: stdin lines, raw stdin bytes, slash commands.

stdin is read in a daemon thread, so a terminal, a pipe, a file or a test's StringIO all work the
same way and the event loop never blocks on a read; at exit the thread is simply abandoned.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import IO, Any

from wiretool.codec.hexbytes import HexError
from wiretool.codec.hexbytes import parse_hex as hex_bytes
from wiretool.errors import UsageError

HELP = """\
Lines you type are sent as text messages. Commands:
  /ping [data]             send a ping (the pong shows the round-trip time)
  /pong [data]             send an unsolicited pong
  /close [code [reason]]   start the closing handshake (default 1000)
  /binary HEX              send a binary message
  /raw HEX                 write bytes as they are (crafted or broken frames, e.g. from `frame craft`)
  /text TEXT               send TEXT even if it starts with a slash
  /help                    this help"""


@dataclass
class Command:
    """One parsed slash command."""

    name: str
    data: bytes = b""
    code: int | None = None
    reason: str = ""

    @staticmethod
    def help_text() -> str:
        return HELP


def parse_hex(text: str) -> bytes:
    """Hex as ``frame decode`` reads it (:func:`wiretool.codec.hexbytes.parse_hex`); else a usage error."""
    try:
        return hex_bytes(text)
    except HexError as exc:
        raise UsageError(f"not hex: {text.strip()!r} ({exc})") from None


def parse_command(line: str) -> Command:
    """``/ping hi`` → Command("ping", b"hi"); raises UsageError for unknown commands or bad arguments."""
    name, _, arg = line[1:].partition(" ")
    name = name.strip().lower()
    if name in ("ping", "pong"):
        return Command(name, arg.encode("utf-8", "surrogateescape"))
    if name in ("binary", "raw"):
        return Command(name, parse_hex(arg))
    if name == "text":
        return Command("text", arg.encode("utf-8", "surrogateescape"))
    if name == "help":
        return Command("help")
    if name == "close":
        code_text, _, reason = arg.strip().partition(" ")
        if not code_text:
            return Command("close", code=1000)
        if not code_text.isdigit():
            raise UsageError(f"/close: code must be a number, got {code_text!r}")
        # a close reason must be UTF-8 on the wire: bytes that were not are shown as U+FFFD
        return Command("close", code=int(code_text), reason=reason.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
    raise UsageError(f"unknown command /{name} (try /help)")


async def read_stdin(stream: IO[Any], *, binary: bool = False) -> AsyncIterator[str | bytes]:
    """Yield stdin lines (without the newline) or, with ``binary``, all of stdin as one bytes object."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str | bytes | None] = asyncio.Queue()

    def put(item: str | bytes | None) -> None:
        try:
            loop.call_soon_threadsafe(queue.put_nowait, item)
        except RuntimeError:
            pass  # the loop is gone: the run ended

    def reader() -> None:
        try:
            if binary:
                raw = getattr(stream, "buffer", None)
                data = raw.read() if raw is not None else stream.read().encode()
                if data:
                    put(data)
            elif getattr(stream, "buffer", None) is not None:  # bytes that are not UTF-8 must not end the input
                for raw_line in iter(stream.buffer.readline, b""):
                    put(raw_line.rstrip(b"\r\n").decode("utf-8", "surrogateescape"))
            else:
                for line in iter(stream.readline, ""):
                    put(line.rstrip("\r\n"))
        except (OSError, ValueError):
            pass
        put(None)

    threading.Thread(target=reader, name="wiretool-stdin", daemon=True).start()
    while True:
        item = await queue.get()
        if item is None:
            return
        yield item
