"""The raw view: text as it is when it is text (or valid UTF-8), else a hex dump. Never fails."""

from __future__ import annotations

from wiretool.views.base import Payload, ViewContext, ViewResult


class RawView:
    """The fallback every payload can be shown with, and what a failing view falls back to."""

    name = "raw"
    subprotocols: tuple[str, ...] = ()
    pretty_only = True
    """No ``fields``: nothing for an NDJSON run, which then skips it."""
    summary = "the payload as text, or a hex dump (no decoding)"

    def render_priority(self, payload: Payload, context: ViewContext) -> float:
        return 0.01

    def decode(self, payload: Payload, context: ViewContext) -> ViewResult:
        if isinstance(payload, str):
            return ViewResult(self.name, tuple((line, "") for line in payload.split("\n")))
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            from wiretool.output.sanitize import hexdump

            return ViewResult(self.name, tuple((line, "cyan") for line in hexdump(payload).split("\n")))
        return ViewResult(self.name, tuple((line, "") for line in text.split("\n")))


VIEW = RawView()
