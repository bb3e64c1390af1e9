"""What a proxy run waits for (``--count``, ``--expect``) and how it ends: the proxy's part of the run layer.

A proxy has no end of its own: it relays until the run stops it. ``--count N`` ends it after N messages
(WebSocket messages, SSE events, gRPC messages, HTTP/1.1 responses, HTTP/2 responses), ``--expect
REGEX`` when a message from a server (``s2c``) matches. ``--timeout`` with neither is the length of the
run asked for, exit 0; with one unmet it is 6 (``--count``) or 7 (``--expect``). A protocol violation seen
on any connection makes an otherwise successful run exit 5, as the clients do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from wiretool.exitcodes import ExitCode
from wiretool.records.proxy import HttpResponse, OnConn, ProxyEnd
from wiretool.session import Outcome


def message_text(inner: Any) -> str | None:
    """The text ``--expect`` matches of a message record, or None when the record is not a message."""
    proto, typ = inner.proto, inner.type
    if proto == "ws" and typ == "message":
        text = getattr(inner, "text", None)
        return text if text is not None else (getattr(inner, "payload", b"") or b"").hex()
    if proto == "sse" and typ == "event":
        return inner.data
    if proto == "grpc" and typ == "message":
        return json.dumps(inner.to_json().get("fields"), ensure_ascii=False)
    if type(inner) is HttpResponse:
        return f"HTTP/{inner.version} {inner.status} {inner.reason}"
    if proto == "h2" and typ == "frame" and inner.headers:
        for name, value in inner.headers:
            if name == ":status":
                return value
    return None


class ProxyGoals:
    """See the module docstring; ``passes`` is the view's ``--only``/``--host`` filter: what is counted is what
    was asked for, whether ``--show`` draws it as frames or as messages."""

    def __init__(self, *, count: int | None = None, expect: str | None = None,
                 passes: Callable[[Any], bool] = lambda r: True,
                 violations: Callable[[], int] | None = None) -> None:
        self.count = count
        self._violations = violations
        """The session's own total, read at the end: connections that end after the run was asked to stop
        (their summaries are no longer seen by :meth:`on_record`) still count."""
        self.expect = re.compile(expect) if expect else None
        self.expect_text = expect
        self.passes = passes
        self.seen = 0
        self.violations = 0
        self.matched = False

    def on_record(self, record: Any) -> Outcome | None:
        if not isinstance(record, OnConn):
            return None
        inner = record.record
        if type(inner) is ProxyEnd:
            self.violations += inner.violations
            return None
        if not self.passes(record):
            return None
        text = message_text(inner)
        if text is None:
            return None
        if self.expect is not None and getattr(inner, "dir", "s2c") == "s2c" and self.expect.search(text):
            self.matched = True
            return Outcome(ExitCode.OK)
        self.seen += 1
        if self.count is not None and self.seen >= self.count and self.expect is None:
            return Outcome(ExitCode.OK)
        return None

    def on_timeout(self, timeout: float) -> Outcome:
        if self.expect is not None:
            return Outcome(ExitCode.EXPECTATION, f"--expect {self.expect_text!r}: no message from a server "
                           f"matched within --timeout {timeout:g}s")
        if self.count is not None:
            return Outcome(ExitCode.TIMEOUT, f"--timeout {timeout:g}s passed after {self.seen} of "
                           f"{self.count} messages")
        return Outcome(ExitCode.OK)

    def on_end(self, outcome: Outcome) -> Outcome:
        seen = max(self.violations, self._violations() if self._violations is not None else 0)
        if outcome.code == ExitCode.OK and seen:
            return Outcome(ExitCode.PROTOCOL, f"{seen} protocol violation(s) seen on the wire")
        return outcome
