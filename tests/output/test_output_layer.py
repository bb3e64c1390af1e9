"""The output layer: colour decisions, NDJSON lines, sanitising untrusted text, redaction."""

from __future__ import annotations

import io
import json

import pytest

from wiretool.output.env import Environment, decide_color
from wiretool.output.sanitize import hexdump, safe_text
from wiretool.output.sink import Output
from wiretool.records import Note
from wiretool.secrets import redact


class TTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("choice,stream,environ,expected", [
    ("always", io.StringIO(), {}, True),
    ("never", TTY(), {}, False),
    ("auto", TTY(), {}, True),
    ("auto", io.StringIO(), {}, False),
    ("auto", TTY(), {"NO_COLOR": "1"}, False),
    ("auto", io.StringIO(), {"FORCE_COLOR": "1"}, True),
    ("auto", TTY(), {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),
])
def test_color_decision(choice: str, stream: io.StringIO, environ: dict[str, str], expected: bool) -> None:
    assert decide_color(choice, stream, environ) is expected


def test_json_mode_writes_one_flushed_object_per_line_and_skips_notes() -> None:
    out_stream = io.StringIO()
    out = Output(Environment(stdout=out_stream, stderr=io.StringIO(), json=True), proto="ws")
    out.emit(Note(t=0.0, text="only for people"))
    out.summary(0, frames=2)
    lines = out_stream.getvalue().splitlines()
    assert len(lines) == 1
    assert json.loads(lines[0]) == {"proto": "ws", "type": "summary", "t": json.loads(lines[0])["t"],
                                    "exit_code": 0, "frames": 2}


def test_error_gives_an_ndjson_record_and_one_stderr_line() -> None:
    stdout, stderr = io.StringIO(), io.StringIO()
    out = Output(Environment(stdout=stdout, stderr=stderr, json=True), proto="sse")
    out.error("connection refused\x1b[2J", 3)
    rec = json.loads(stdout.getvalue())
    assert (rec["proto"], rec["type"], rec["exit_code"]) == ("sse", "error", 3)
    assert stderr.getvalue() == "wiretool: error: connection refused\\x1b[2J\n"


def test_pretty_note_is_never_read_as_markup_or_escape() -> None:
    stdout = io.StringIO()
    out = Output(Environment(stdout=stdout, stderr=io.StringIO(), color=True), proto="ws")
    out.note("[bold]x[/bold] \x1b]0;pwned\x07")
    text = stdout.getvalue()
    assert "[bold]x[/bold]" in text
    assert "\\x1b]0;pwned\\x07" in text
    assert "\x1b]0;" not in text


def test_safe_text_escapes_controls_and_bidi_but_keeps_text() -> None:
    assert safe_text("héllo ✓") == "héllo ✓"
    assert safe_text("a\x1b[31mb\r\n") == "a\\x1b[31mb\\r\\n"
    assert safe_text("x\u202ey") == "x\\u202ey"
    assert safe_text("a\nb\tc\rd", keep_newlines=True) == "a\nb\tc\\rd"
    assert safe_text("\x85\x9b") == "\\x85\\x9b"


def test_hexdump_shows_offsets_and_dots() -> None:
    dump = hexdump(b"AB\x00\x1b" * 5, limit=16)
    first, rest = dump.splitlines()[0], dump.splitlines()[-1]
    assert first.startswith("00000000  41 42 00 1b") and first.endswith("AB..AB..AB..AB..")
    assert rest == "... 4 more bytes"


def test_redaction() -> None:
    assert redact("Authorization", "Bearer x") == "<redacted>"
    assert redact("set-cookie", "a=b") == "<redacted>"
    assert redact("Authorization", "Bearer x", show_secrets=True) == "Bearer x"
    assert redact("X-Trace", "1") == "1"
