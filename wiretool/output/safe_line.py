"""One way to build a line of pretty output from strings a peer may have chosen: every piece is escaped.

The h2 and gRPC views build their lines only with :class:`SafeLine`, never with ``rich.text.Text``
directly, so no field (a header value, a pushed request's ``:method``, a grpc-message, a debug payload)
can reach the terminal without :func:`~wiretool.output.sanitize.safe_text` (issue 12 #15): escaping is
by construction, not by remembering it at each call. Escaping our own text too is harmless (it has no
control characters), and ``safe_text`` leaves already escaped text as it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wiretool.output.sanitize import safe_text

if TYPE_CHECKING:
    from rich.text import Text

INDENT = "          "


class SafeLine:
    """A rich ``Text`` that only grows by escaped pieces; :attr:`text` is what a renderer prints."""

    __slots__ = ("text",)

    def __init__(self, piece: object = "", style: str = "") -> None:
        from rich.text import Text

        self.text: Text = Text()
        if piece != "":
            self.add(piece, style)

    def add(self, piece: object, style: str = "") -> SafeLine:
        """Append ``piece`` (any value, shown as ``str``) on the current line, escaped."""
        self.text.append(safe_text(str(piece)), style=style)
        return self

    def under(self, piece: object, style: str = "", indent: str = INDENT) -> SafeLine:
        """Start a new indented line holding ``piece``, escaped (a LF in it shows as ``\\n``)."""
        self.text.append("\n" + indent)
        self.text.append(safe_text(str(piece)), style=style)
        return self

    def block(self, block: str, style: str = "", indent: str = INDENT) -> SafeLine:
        """A multi-line piece (a body, a hex dump): one indented line per line, each escaped (TAB kept)."""
        for part in block.split("\n"):
            self.text.append("\n" + indent)
            self.text.append(safe_text(part, keep_newlines=True), style=style)
        return self
