"""``serve ws --mode script FILE``: the little language a script file speaks, one step per line.

::

    # comments and blank lines are ignored
    send hello            a text message
    send-hex 68 69        a binary message, given in hex
    ping [data]           a ping
    pong [data]           an unsolicited pong
    raw 81 05 68 65 6c 6c 6f   bytes written as-is (crafted or broken frames)
    recv                  wait for one data message from the client
    sleep 0.5             wait
    close [code [reason]] start the closing handshake
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wiretool.errors import UsageError

VERBS = ("send", "send-hex", "ping", "pong", "raw", "recv", "sleep", "close")


@dataclass(frozen=True)
class Step:
    """One line of a script: a verb and its argument (text, bytes, seconds or close code)."""

    verb: str
    text: str = ""
    data: bytes = b""
    seconds: float = 0.0
    code: int | None = None


def parse_script(text: str, *, source: str = "script") -> list[Step]:
    """Parse a script; raises UsageError naming the line of the first mistake."""
    steps = []
    for n, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        verb, _, arg = stripped.partition(" ")
        verb = verb.lower()
        arg = line.lstrip()[len(verb) + 1:] if " " in stripped else ""
        try:
            steps.append(_step(verb, arg))
        except (ValueError, UsageError) as exc:
            raise UsageError(f"{source}:{n}: {exc}") from None
    return steps


def _step(verb: str, arg: str) -> Step:
    if verb == "send":
        return Step("send", text=arg)
    if verb in ("send-hex", "raw"):
        from wiretool.transport.ws_input import parse_hex

        return Step(verb, data=parse_hex(arg))
    if verb in ("ping", "pong"):
        return Step(verb, data=arg.encode())
    if verb == "recv":
        return Step("recv")
    if verb == "sleep":
        return Step("sleep", seconds=float(arg))
    if verb == "close":
        code_text, _, reason = arg.strip().partition(" ")
        return Step("close", code=int(code_text) if code_text else 1000, text=reason)
    raise ValueError(f"unknown step {verb!r} (known: {', '.join(VERBS)})")


def load_script(path: str) -> list[Step]:
    """Read and parse a script file."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read script {path}: {exc}") from None
    return parse_script(text, source=path)
