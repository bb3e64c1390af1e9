"""The pretty SSE view: JSON data indented when long, raw bytes made visible on a terminal, no escapes leak."""

from __future__ import annotations

import io
import json

from wiretool.output.env import Environment
from wiretool.output.sink import Output
from wiretool.records.sse import SseChunk, SseComment, SseConnect, SseEvent


def _out(tty: bool = False) -> tuple[Output, io.StringIO]:
    stream = io.StringIO()
    return Output(Environment(stdout=stream, stdout_isatty=tty), proto="sse"), stream


def test_sse_view_long_json_is_indented_and_short_stays_on_one_line() -> None:
    out, stream = _out()
    out.emit(SseEvent(t=1.0, event="tick", data='{"a": 1}', id="7"))
    long = json.dumps({f"key_{i}": f"value {i}" for i in range(8)})
    out.emit(SseEvent(t=2.0, data=long))
    text = stream.getvalue()
    assert 'tick  id=7  {"a": 1}' in text
    assert '\n  {\n    "key_0": "value 0",' in text


def test_sse_view_raw_chunk_on_a_terminal_shows_cr_and_escapes() -> None:
    out, stream = _out(tty=True)
    out.emit(SseChunk(t=0.1, raw=b"data: a\r\x1b[31m\n"))
    assert stream.getvalue() == "data: a\\r\\x1b[31m\n"


def test_sse_view_raw_chunk_piped_without_a_byte_buffer_writes_text() -> None:
    out, stream = _out(tty=False)
    out.emit(SseChunk(t=0.1, raw=b"data: a\r\n"))
    assert stream.getvalue() == "data: a\r\n"


def test_sse_view_comment_and_refused_connect_show_headers() -> None:
    out, stream = _out()
    out.emit(SseComment(t=0.5, text="\x1b]0;x\x07"))
    out.emit(SseConnect(t=0.6, status=404, http_version="HTTP/1.1", content_type="text/html",
                        headers=(("server", "x"),)))
    text = stream.getvalue()
    assert ": \\x1b]0;x\\x07" in text
    assert "HTTP/1.1 404 Not Found  text/html" in text and "    server: x" in text
