"""``replay --check``: compare what a server answered with what was recorded, and say where they first differ.

Both sides are lists of :class:`Answer` built by the same decoder from the bytes of a session (the
recording's and the replay's), so a difference is a difference on the wire, not in the decoding.
Volatile text is masked with ``--ignore REGEX``; payloads that parse as JSON compare as JSON (key order
free), minus the fields named by ``--ignore-path $.a.b``. The first difference is reported with the
answers before it as context, because a regression test that says only "differs" is of no help.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

VOLATILE_HEADERS = frozenset({
    "date", "set-cookie", "sec-websocket-accept", "expires", "last-modified", "etag", "age", "server",
    "content-length", "x-request-id", "x-trace-id", "traceparent", "alt-svc", "keep-alive",
})
"""Response headers left out of the comparison: they change from run to run by nature."""

IGNORED = "<ignored>"
_MISSING = object()


@dataclass(frozen=True)
class Answer:
    """One thing the server said: ``what`` names it for people (``message 2 (TEXT)``), ``value`` is compared."""

    what: str
    value: Any


@dataclass
class Rules:
    """How to normalise values before comparing them."""

    ignore: list[re.Pattern[str]] = field(default_factory=list)
    ignore_paths: list[list[str | int]] = field(default_factory=list)
    volatile_headers: frozenset[str] = VOLATILE_HEADERS

    @classmethod
    def make(cls, ignore: Sequence[str] = (), ignore_paths: Sequence[str] = ()) -> Rules:
        """Compile the user's patterns; raises ValueError naming the one that is not valid."""
        pats = []
        for text in ignore:
            try:
                pats.append(re.compile(text))
            except re.error as exc:
                raise ValueError(f"--ignore {text!r} is not a valid regex: {exc}") from None
        return cls(ignore=pats, ignore_paths=[parse_path(p) for p in ignore_paths])


@dataclass
class Difference:
    """The first place where the replay's answers leave the recording's."""

    index: int
    what: str
    path: str
    recorded: Any
    replayed: Any
    context: list[str]
    replayed_what: str | None = None
    """Set when the replay's answer at this place is another kind of thing (a missing or extra message)."""

    def lines(self) -> list[str]:
        """A readable diff: where, what was recorded, what came back, and what matched just before."""
        out = [f"first difference at answer {self.index + 1}: {self.what}" + (f", at {self.path}" if self.path else "")]
        for line in self.context:
            out.append(f"  = {line}")
        if self.replayed_what is not None:
            out.append(f"  - recorded: {self.what}: {_show(self.recorded)}")
            out.append(f"  + replayed: {self.replayed_what}: {_show(self.replayed)}")
            return out
        out.append(f"  - recorded: {_show(self.recorded)}")
        out.append(f"  + replayed: {_show(self.replayed)}")
        if isinstance(self.recorded, str) and isinstance(self.replayed, str):
            caret = _caret(self.recorded, self.replayed)
            if caret:
                out.extend(f"    {c}" for c in caret)
        return out

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "what": self.what, "replayed_what": self.replayed_what, "path": self.path or None,
                "recorded": _jsonable(self.recorded), "replayed": _jsonable(self.replayed), "context": self.context}


@dataclass
class CheckResult:
    """The outcome of ``--check``: how many answers were compared and the first difference, if any."""

    compared: int
    difference: Difference | None = None

    @property
    def ok(self) -> bool:
        return self.difference is None


def parse_path(text: str) -> list[str | int]:
    """``$.a.b[0].c`` or ``$.items[*].id`` into ``["a", "b", 0, "c"]`` (``"*"`` matches every key or index)."""
    s = text.strip()
    if s.startswith("$"):
        s = s[1:]
    parts: list[str | int] = []
    for m in re.finditer(r"\.([^.\[\]]+)|\[(\d+|\*)\]|\[['\"]([^'\"]+)['\"]\]", s):
        key, idx, quoted = m.groups()
        if idx is not None:
            parts.append("*" if idx == "*" else int(idx))
        else:
            parts.append(key if key is not None else quoted)
    if not parts and s:
        raise ValueError(f"--ignore-path {text!r}: expected a path like $.a.b or $.items[*].id")
    return parts


def normalise(value: Any, rules: Rules) -> Any:
    """Apply the rules: JSON text becomes JSON (minus ignored paths), strings get --ignore masks."""
    if isinstance(value, str):
        parsed = _as_json(value)
        if parsed is not _MISSING:
            for path in rules.ignore_paths:
                parsed = _drop(parsed, path)
            return _mask_tree(parsed, rules)
        return _mask(value, rules)
    if isinstance(value, dict):
        return {k: normalise(v, rules) for k, v in value.items()}
    if isinstance(value, list):
        return [normalise(v, rules) for v in value]
    return value


def compare(recorded: Sequence[Answer], replayed: Sequence[Answer], rules: Rules | None = None,
            context: int = 2) -> CheckResult:
    """Compare two answer lists in order; stop at the first difference."""
    rules = rules or Rules()
    n = max(len(recorded), len(replayed))
    for i in range(n):
        a = recorded[i] if i < len(recorded) else None
        b = replayed[i] if i < len(replayed) else None
        ctx = [f"{x.what}: {_show(x.value, 60)}" for x in recorded[max(0, i - context):i]]
        if a is None or b is None:
            what = (a or b).what  # type: ignore[union-attr]
            return CheckResult(i, Difference(i, what, "", a.value if a else "(nothing)",
                                             b.value if b else "(nothing)", ctx))
        if a.what != b.what:
            return CheckResult(i, Difference(i, a.what, "", a.value, b.value, ctx, replayed_what=b.what))
        na, nb = normalise(a.value, rules), normalise(b.value, rules)
        if na != nb:
            path, va, vb = _first_diff(na, nb, "$")
            if path == "$":
                path = ""
            return CheckResult(i, Difference(i, a.what, path, va, vb, ctx))
    return CheckResult(n)


# -- helpers ------------------------------------------------------------------------------------------
def _as_json(text: str) -> Any:
    t = text.strip()
    if not t or t[0] not in "{[":
        return _MISSING
    try:
        return json.loads(t)
    except ValueError:
        return _MISSING


def _mask(text: str, rules: Rules) -> str:
    for pat in rules.ignore:
        text = pat.sub(IGNORED, text)
    return text


def _mask_tree(value: Any, rules: Rules) -> Any:
    if isinstance(value, str):
        return _mask(value, rules)
    if isinstance(value, dict):
        return {k: _mask_tree(v, rules) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_tree(v, rules) for v in value]
    return value


def _drop(value: Any, path: list[str | int]) -> Any:
    """``value`` without what ``path`` names (missing parts are fine: nothing to drop)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        if head == "*":
            keys = list(value)
        else:
            keys = [head] if head in value else []
        out = dict(value)
        for k in keys:
            if rest:
                out[k] = _drop(out[k], rest)
            else:
                del out[k]
        return out
    if isinstance(value, list):
        out_l = list(value)
        idxs = range(len(out_l)) if head == "*" else ([head] if isinstance(head, int) and head < len(out_l) else [])
        if not rest:
            return [v for i, v in enumerate(out_l) if i not in set(idxs)]
        for i in idxs:
            out_l[i] = _drop(out_l[i], rest)
        return out_l
    return value


def _first_diff(a: Any, b: Any, path: str) -> tuple[str, Any, Any]:
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            va, vb = a.get(k, _MISSING), b.get(k, _MISSING)
            if va != vb:
                sub = f"{path}.{k}" if re.fullmatch(r"[A-Za-z_][\w-]*", str(k)) else f"{path}[{json.dumps(k)}]"
                if va is _MISSING or vb is _MISSING:
                    return sub, "(absent)" if va is _MISSING else va, "(absent)" if vb is _MISSING else vb
                return _first_diff(va, vb, sub)
    if isinstance(a, list) and isinstance(b, list):
        for i in range(max(len(a), len(b))):
            va = a[i] if i < len(a) else _MISSING
            vb = b[i] if i < len(b) else _MISSING
            if va != vb:
                if va is _MISSING or vb is _MISSING:
                    return f"{path}[{i}]", "(absent)" if va is _MISSING else va, "(absent)" if vb is _MISSING else vb
                return _first_diff(va, vb, f"{path}[{i}]")
    return path, a, b


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    return value


def _show(value: Any, limit: int = 300) -> str:
    from wiretool.output.sanitize import safe_text

    if isinstance(value, (dict, list)):
        text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, bytes):
        text = "0x" + value.hex()
    else:
        text = str(value)
    text = safe_text(text)
    return text if len(text) <= limit else text[:limit] + "..."


def _caret(a: str, b: str, width: int = 30) -> list[str]:
    """Two aligned excerpts around the first differing character, and a caret under it."""
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    if i == 0 and len(a) < width and len(b) < width:
        return []
    start = max(0, i - width // 2)
    from wiretool.output.sanitize import safe_text

    ea = safe_text(a[start:start + width])
    eb = safe_text(b[start:start + width])
    pad = len(safe_text(a[start:i]))
    return [f"recorded …{ea}", f"replayed …{eb}", " " * (10 + pad) + "^ (character " + str(i + 1) + ")"]
