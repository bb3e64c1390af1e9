"""``wiretool frame decode --capture FILE``: a capture's bytes re-decoded (:mod:`wiretool.capture.decode`), shown.

A truncated last line (a killed writer) is reported as a warning and skipped. The exit status is 5 when
the bytes hold any protocol violation, else 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from wiretool.exitcodes import ExitCode

if TYPE_CHECKING:
    from wiretool.capture.file import Capture
    from wiretool.output.sink import Output


def decode_capture(path: str, out: Output, *, hpack_entries: bool = False, show_secrets: bool = False,
                   view: Any = None, views: bool = True) -> int:
    """Emit every record the capture's bytes decode to, then a summary; 5 if any violation, else 0.

    A ws capture's messages get their payload view as a live run's do (``view`` forced, or picked from the
    capture's URL, the negotiated subprotocol and the first packets; ``views=False``: none); so do an sse
    capture's events under a forced ``view``."""
    from wiretool.capture.decode import decode_conns
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
        records = decode_conns(cap, hpack_entries=hpack_entries, show_secrets=show_secrets)
    except UsageError as exc:
        raise UsageError(f"{path}: {exc.message}") from None
    viewing = None
    if views and (cap.proto == "ws" or (cap.proto == "sse" and view is not None)):
        from wiretool.run.viewing import Viewing

        viewing = Viewing(proto=cap.proto, url=str(cap.header.get("url", "")), forced=view, pretty=not out.env.json)
    counts: dict[str, int] = {"frames": 0, "messages": 0, "events": 0, "violations": 0}
    kinds = {"frame": "frames", "message": "messages", "event": "events"}
    warned = 0
    emit = out.emit
    if cap.proto == "proxy":  # records of many connections: the proxy's view draws them (conn, colours)
        from wiretool.proxy.view import ProxyView

        emit = ProxyView(out, show="all")
    with out.batched():  # the capture is already whole: no need to flush every line
        shown_conn: int | None = None
        for conn, rec in records:
            kind = kinds.get(rec.type)
            if kind:
                counts[kind] += 1
            elif type(rec) is Note and rec.level == "warn":  # e.g. a recording cut short: said as the file's are
                warned += 1
                out.env.stderr.write(f"wiretool: warning: {rec.text}\n")
            counts["violations"] += len(getattr(getattr(rec, "record", rec), "violations", ()) or ())
            shown = viewing(rec, conn or 0) if viewing is not None else rec
            if conn is None:
                emit(shown)
            elif out.env.json:  # a capture of several connections: each record says which
                if type(rec) is not Note:
                    out.write_json({**shown.to_json(), "conn": conn})
            else:
                if conn != shown_conn:
                    out.note(_conn_title(cap, conn))
                    shown_conn = conn
                emit(shown)
    code = ExitCode.PROTOCOL if counts["violations"] else ExitCode.OK
    if counts["violations"]:
        out.error(f"{counts['violations']} protocol violation(s) in the captured bytes", code)
    many = {"connections": len(cap.conns())} if len(cap.connections) > 1 else {}
    out.summary(int(code), proto=cap.proto, **many, chunks=len(cap.chunks), bytes=sum(len(c.data) for c in cap.chunks),
                warnings=len(cap.warnings) + warned, **counts)
    return int(code)


def _conn_title(cap: Capture, n: int) -> str:
    """``connection 2 (h2, 127.0.0.1:50312 -> 127.0.0.1:8080)``: the line before a connection's records."""
    c = cap.connections.get(cap.conns()[n - 1])
    if c is None:
        return f"connection {n}"
    ends = " -> ".join(f"{a[0]}:{a[1]}" for a in (c.client, c.server) if a is not None)
    return f"connection {n} ({c.proto}{', ' + ends if ends else ''})"
