"""``wiretool frame decode --pcap FILE``: a tcpdump/Wireshark capture decoded as live sessions, shown.

Only wiring: :class:`wiretool.pcap.decode.PcapDecoder` yields each connection's records; they go to the
output with their ``conn`` (and, under ``--json``, ``dir`` as seen on the wire: ``c2s``/``s2c``). The exit
status is 5 when the bytes hold any protocol violation, else 0; a damaged file is a warning (what precedes
the damage is shown), a file that is no pcap at all is exit 2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from wiretool.exitcodes import ExitCode

if TYPE_CHECKING:
    from wiretool.output.sink import Output


def decode_pcap(path: str, out: Output, *, keylog: str | None = None, hpack_entries: bool = False,
                show_secrets: bool = False) -> int:
    """Emit every connection's records, then a summary; 5 if any violation, else 0."""
    from wiretool.output.view_pcap import ConnEmitter
    from wiretool.pcap.decode import PcapDecoder

    log = None
    if keylog:
        from wiretool.tls import KeyLog

        log = KeyLog.read(keylog)
        for problem in log.problems[:3]:
            _warn(out, f"key log {keylog} {problem}")
    emitter = ConnEmitter(out)
    out.proto = "tcp"

    def warn(text: str) -> None:
        emitter.warnings += 1
        _warn(out, text)

    decoder = PcapDecoder(emitter.emit, keylog=log, hpack_entries=hpack_entries, show_secrets=show_secrets,
                          warn=warn)
    with out.batched():
        stats = decoder.run(path)
    code = ExitCode.PROTOCOL if emitter.counts["violations"] else ExitCode.OK
    if emitter.counts["violations"]:
        out.error(f"{emitter.counts['violations']} protocol violation(s) in the captured bytes", code)
    out.summary(int(code), format=stats.format, packets=stats.packets, tcp_packets=stats.tcp_packets,
                connections=stats.connections, bytes=stats.bytes, gaps=stats.gaps,
                warnings=emitter.warnings, **emitter.counts)
    return int(code)


def _warn(out: Output, text: str) -> None:
    from wiretool.output.sanitize import safe_text

    out.note(text, level="warn")
    out.env.stderr.write(f"wiretool: warning: {safe_text(text)}\n")
    out.env.stderr.flush()
