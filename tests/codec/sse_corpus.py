"""The SSE conformance corpus: one place for every rule of the WHATWG event-stream algorithm as a case.

Used by tests/codec/test_sse_corpus.py (wiretool's parser at many chunkings) and by
benchmarks/sse_conformance.py (the same cases served over loopback to wiretool, httpx-sse and
aiohttp-sse-client, which prints the README's table). Expected values follow the HTML standard, section
"Server-sent events", 9.2.6 "Interpreting an event stream", as browsers implement it.

A case's ``events`` are ``(type, data, id)`` triples, where ``id`` is the last event ID in force; ``retry``
is the reconnection time the stream leaves in force (None: never validly set); ``comments`` (wiretool only,
peers drop comments) the comment texts; ``chunks`` an extra, explicit chunking that the case is about.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    """One conformance case: a body, what a browser dispatches from it, and the rule it checks."""

    name: str
    body: bytes
    events: tuple[tuple[str, str, str], ...]
    retry: int | None = None
    comments: tuple[str, ...] | None = None
    chunks: tuple[bytes, ...] | None = None

    def chunkings(self) -> list[tuple[str, list[bytes]]]:
        """The chunkings every case is fed at: whole, a byte at a time, halves, and the case's own split."""
        body = self.body
        out = [("whole", [body]), ("bytewise", [body[i:i + 1] for i in range(len(body))])]
        if len(body) > 1:
            mid = len(body) // 2
            out.append(("halves", [body[:mid], body[mid:]]))
            out.append(("threes", [body[i:i + 3] for i in range(0, len(body), 3)]))
        if self.chunks is not None:
            assert b"".join(self.chunks) == body, self.name
            out.append(("explicit", list(self.chunks)))
        return out


def _c(name: str, body: bytes | str, *events: tuple[str, str, str], retry: int | None = None,
       comments: tuple[str, ...] | None = None, chunks: tuple[bytes | str, ...] | None = None) -> Case:
    raw = body.encode() if isinstance(body, str) else body
    parts = None if chunks is None else tuple(c.encode() if isinstance(c, str) else c for c in chunks)
    return Case(name, raw, tuple(events), retry, comments, parts)


M = "message"

CASES: list[Case] = [
    # -- basics ------------------------------------------------------------------------------------------
    _c("one event", "data: hello\n\n", (M, "hello", "")),
    _c("data lines joined with LF", "data: a\ndata: b\n\n", (M, "a\nb", "")),
    _c("only the final LF removed", "data: a\ndata:\n\n", (M, "a\n", "")),
    _c("event type", "event: add\ndata: x\n\n", ("add", "x", "")),
    _c("empty event type is message", "event:\ndata: x\n\n", (M, "x", "")),
    _c("event type reset after dispatch", "event: add\ndata: a\n\ndata: b\n\n", ("add", "a", ""), (M, "b", "")),
    _c("event type without data is dropped", "event: add\n\ndata: b\n\n", (M, "b", "")),
    _c("last event field wins", "event: a\nevent: b\ndata: x\n\n", ("b", "x", "")),
    _c("extra blank lines dispatch nothing", "\n\n\ndata: a\n\n\n\n", (M, "a", "")),
    # -- BOM ---------------------------------------------------------------------------------------------
    _c("leading BOM stripped", "\ufeffdata: x\n\n", (M, "x", "")),
    _c("BOM split across chunks", "\ufeffdata: x\n\n", (M, "x", ""),
       chunks=(b"\xef", b"\xbb", b"\xbfdata: x\n\n")),
    _c("second BOM is not stripped", "\ufeff\ufeffdata: x\n\ndata: y\n\n", (M, "y", "")),
    _c("BOM later in the stream is data", "data: a\n\n\ufeffdata: b\n\n", (M, "a", "")),
    # -- line endings ------------------------------------------------------------------------------------
    _c("CR line endings", "data: a\rdata: b\r\r", (M, "a\nb", "")),
    _c("CRLF line endings", "data: a\r\ndata: b\r\n\r\n", (M, "a\nb", "")),
    _c("CR, LF and CRLF mixed", "data: a\r\ndata: b\ndata: c\r\rdata: d\n\r\n", (M, "a\nb\nc", ""), (M, "d", "")),
    _c("CRLF split across chunks", "data: a\r\ndata: b\r\n\r\n", (M, "a\nb", ""),
       chunks=("data: a\r", "\ndata: b\r", "\n\r", "\n")),
    _c("LF then CR is two line endings", "data: a\n\rdata: b\n\n", (M, "a", ""), (M, "b", "")),
    _c("U+2028 is not a line ending", "data: a\u2028b\n\n", (M, "a\u2028b", "")),
    _c("U+0085 is not a line ending", "data: a\u0085b\n\n", (M, "a\u0085b", "")),
    _c("form feed and VT are not line endings", "data: a\x0cb\x0bc\x1cd\n\n", (M, "a\x0cb\x0bc\x1cd", "")),
    # -- comments ----------------------------------------------------------------------------------------
    _c("comment lines ignored", ": hello\ndata: x\n: there\n\n", (M, "x", ""), comments=("hello", "there")),
    _c("comment with NUL", ":\x00nul\ndata: x\n\n", (M, "x", ""), comments=("\x00nul",)),
    _c("comments alone dispatch nothing", ": a\n:b\n\n", comments=("a", "b")),
    # -- field parsing -----------------------------------------------------------------------------------
    _c("no space after colon", "data:x\n\n", (M, "x", "")),
    _c("only one leading space removed", "data:  x\n\n", (M, " x", "")),
    _c("tab after colon kept", "data:\tx\n\n", (M, "\tx", "")),
    _c("colon in value kept", "data: a: b\n\n", (M, "a: b", "")),
    _c("line without colon is an empty field", "data\n\n", (M, "", "")),
    _c("two empty data fields", "data\ndata\n\n", (M, "\n", "")),
    _c("empty data value dispatches empty data", "data:\n\n", (M, "", "")),
    _c("field names are case-sensitive", "Data: x\n\n"),
    _c("space before colon makes another field", "data : x\n\n"),
    _c("leading space makes another field", " data: x\n\n"),
    _c("unknown fields ignored", "foo: bar\ndata: x\nbaz\n\n", (M, "x", "")),
    _c("NUL in data kept", "data: a\x00b\n\n", (M, "a\x00b", "")),
    # -- id ----------------------------------------------------------------------------------------------
    _c("id set", "id: 1\ndata: x\n\n", (M, "x", "1")),
    _c("id persists across events", "id: 1\ndata: a\n\ndata: b\n\n", (M, "a", "1"), (M, "b", "1")),
    _c("empty id resets", "id: 1\ndata: a\n\nid\ndata: b\n\nid:\ndata: c\n\n",
       (M, "a", "1"), (M, "b", ""), (M, "c", "")),
    _c("id with NUL ignored", "id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n", (M, "a", "1"), (M, "b", "1")),
    _c("id without data still sets last ID", "id: 5\n\ndata: x\n\n", (M, "x", "5")),
    _c("id keeps spaces after the first", "id:  7 \ndata: x\n\n", (M, "x", " 7 ")),
    # -- retry -------------------------------------------------------------------------------------------
    _c("retry valid", "retry: 2000\ndata: x\n\n", (M, "x", ""), retry=2000),
    _c("retry without data", "retry: 50\n\n", retry=50),
    _c("retry leading zeros", "retry: 02000\n\n", retry=2000),
    _c("retry negative ignored", "retry: -5\n\n"),
    _c("retry plus sign ignored", "retry: +5\n\n"),
    _c("retry underscore ignored", "retry: 1_000\n\n"),
    _c("retry Arabic-Indic digits ignored", "retry: \u0661\u0660\u0660\u0660\n\n"),
    _c("retry trailing junk ignored", "retry: 1000x\n\n"),
    _c("retry extra space ignored", "retry:  1000\n\n"),
    _c("retry empty ignored", "retry\n\n"),
    _c("bogus retry keeps the valid one", "retry: 300\n\nretry: 2.5\n\n", retry=300),
    # -- end of stream and encoding ----------------------------------------------------------------------
    _c("final event without blank line dropped", "data: a\n\ndata: b\n", (M, "a", "")),
    _c("final line without line ending dropped", "data: a\n\ndata: b", (M, "a", "")),
    _c("invalid UTF-8 replaced", b"data: a\xffb\n\n", (M, "a\ufffdb", "")),
    _c("truncated UTF-8 before LF replaced", b"data: \xe2\x82\n\n", (M, "\ufffd", "")),
    _c("multibyte characters split across chunks", "data: é€😀\n\n", (M, "é€😀", ""),
       chunks=(b"data: \xc3", b"\xa9\xe2\x82", b"\xac\xf0\x9f\x98", b"\x80\n\n")),
]
