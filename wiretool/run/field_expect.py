"""The field form of ``--expect``: a condition on the decoded view of a message, not on its text.

``$.PATH=VALUE``   the field at PATH equals VALUE (a string field compared as it is, any other as its JSON)
``$.PATH~REGEX``   the field at PATH, as that text, matches REGEX (``re.search``)
``$.PATH``         the field at PATH exists

PATH is ``.key`` and ``[index]`` steps from ``$``, the root of the view's ``fields`` (the ``view.fields``
object of the NDJSON record): ``$.event=chat message``, ``$.args[0].user=ann``, ``$.type=next``. A message
that no view decoded but whose text is JSON is matched against that document. Anything else given to
``--expect`` is a regex on the message text, as before (a regex cannot usefully start with ``$.``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from wiretool.errors import UsageError

_STEP = re.compile(r"\.([^.\[\]=~]+)|\[(\d+)\]")
_MISSING = object()


def is_field_form(text: str) -> bool:
    """Whether an ``--expect`` argument is the field form (it starts with ``$.`` or ``$[``)."""
    return text.startswith(("$.", "$["))


@dataclass(frozen=True)
class FieldExpect:
    """One parsed field condition; :meth:`matches` never raises."""

    source: str
    path: tuple[str | int, ...]
    op: str
    """``=``, ``~`` or ``?`` (exists)."""
    value: str = ""
    regex: re.Pattern[str] | None = None

    @property
    def pattern(self) -> str:
        """The argument as given (goals name an unmatched expectation by it)."""
        return self.source

    def matches(self, document: Any) -> bool:
        found = _walk(document, self.path)
        if found is _MISSING:
            return False
        if self.op == "?":
            return True
        text = found if isinstance(found, str) else json.dumps(found, ensure_ascii=False)
        if self.op == "=":
            return text == self.value
        assert self.regex is not None
        return self.regex.search(text) is not None


def parse(text: str) -> FieldExpect:
    """``$.a.b[0]=v`` into a :class:`FieldExpect`; a usage error (exit 2) naming what is wrong."""
    path: list[str | int] = []
    pos = 1
    while pos < len(text) and text[pos] not in "=~":
        m = _STEP.match(text, pos)
        if m is None:
            raise UsageError(f"--expect {text!r}: a field path is $ then .key or [index] steps "
                             f"(bad step at character {pos + 1})")
        path.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if pos >= len(text):
        return FieldExpect(text, tuple(path), "?")
    op, value = text[pos], text[pos + 1:]
    if op == "~":
        try:
            return FieldExpect(text, tuple(path), "~", value, re.compile(value))
        except re.error as exc:
            raise UsageError(f"--expect {text!r}: {value!r} is not a valid regex: {exc}") from None
    return FieldExpect(text, tuple(path), "=", value)


def _walk(document: Any, path: tuple[str | int, ...]) -> Any:
    node = document
    for step in path:
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return _MISSING
            node = node[step]
        elif isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and step.isdigit() and int(step) < len(node):
            node = node[int(step)]
        else:
            return _MISSING
    return node


def document_of(fields: Any, payload: bytes, opcode: int) -> Any:
    """What a field condition looks at: the view's fields, else the message's JSON text, else nothing."""
    if fields is not None:
        return fields
    if opcode == 1 and payload[:1] in (b"{", b"["):
        try:
            return json.loads(payload)
        except ValueError:
            return _MISSING
    return _MISSING
