"""``wiretool frame decode --capture FILE``: a capture's bytes re-decoded (:mod:`wiretool.capture.decode`), shown.

A truncated last line (a killed writer) is reported as a warning and skipped. The exit status is 5 when
the bytes hold any protocol violation, else 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wiretool.exitcodes import ExitCode

if TYPE_CHECKING:
    from wiretool.output.sink import Output


def decode_capture(path: str, out: Output, *, hpack_entries: bool = False, show_secrets: bool = False) -> int:
    """Emit every record the capture's bytes decode to, then a summary; 5 if any violation, else 0."""
    from wiretool.capture.decode import decode
    from wiretool.capture.file import read_capture
    from wiretool.errors import UsageError
    from wiretool.records import Note

    cap = read_capture(path, records=False)  # only the bytes are decoded
    for warning in cap.warnings:
        out.note(warning, level="warn")
        out.env.stderr.write(f"wiretool: warning: {warning}\n")
        out.env.stderr.flush()
    out.proto = cap.proto
    try:
        records = decode(cap, hpack_entries=hpack_entries, show_secrets=show_secrets)
    except UsageError as exc:
        raise UsageError(f"{path}: {exc.message}") from None
    counts: dict[str, int] = {"frames": 0, "messages": 0, "events": 0, "violations": 0}
    kinds = {"frame": "frames", "message": "messages", "event": "events"}
    warned = 0
    emit = out.emit
    if cap.proto == "proxy":  # records of many connections: the proxy's view draws them (conn, colours)
        from wiretool.proxy.view import ProxyView

        emit = ProxyView(out, show="all")
    with out.batched():  # the capture is already whole: no need to flush every line
        for rec in records:
            kind = kinds.get(rec.type)
            if kind:
                counts[kind] += 1
            elif type(rec) is Note and rec.level == "warn":  # e.g. a recording cut short: said as the file's are
                warned += 1
                out.env.stderr.write(f"wiretool: warning: {rec.text}\n")
            counts["violations"] += len(getattr(getattr(rec, "record", rec), "violations", ()) or ())
            emit(rec)
    code = ExitCode.PROTOCOL if counts["violations"] else ExitCode.OK
    if counts["violations"]:
        out.error(f"{counts['violations']} protocol violation(s) in the captured bytes", code)
    out.summary(int(code), proto=cap.proto, chunks=len(cap.chunks), bytes=sum(len(c.data) for c in cap.chunks),
                warnings=len(cap.warnings) + warned, **counts)
    return int(code)
