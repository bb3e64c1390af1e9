"""``wiretool capture export FILE --pcapng OUT | --har OUT``: a capture in the formats other tools open.

Only options are wired here: the pcapng is written by :mod:`wiretool.capture.pcapng` (through the capture
writer, so the bytes are redacted exactly as ``--record`` redacts them unless ``--show-secrets``), the HAR by
:mod:`wiretool.capture.har`.
"""

from __future__ import annotations

import click

from wiretool.cli.options import global_options, make_env


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--pcapng", "pcapng", type=click.Path(dir_okay=False, writable=True), metavar="OUT",
              help="Write the plaintext as synthetic TCP packets (pcapng) for tshark and Wireshark.")
@click.option("--har", "har", type=click.Path(dir_okay=False, writable=True), metavar="OUT",
              help="Write HAR 1.2 (WebSocket messages and SSE events included).")
@click.option("--show-secrets", is_flag=True, help="Keep Authorization, Cookie and similar headers unredacted.")
@global_options
def export(file: str, pcapng: str | None, har: str | None, show_secrets: bool) -> int:
    """Export a wiretool capture (from --record) as pcapng and/or HAR.

    \b
    Examples:
      wiretool capture export s.wtcap --pcapng s.pcapng    # then: wireshark s.pcapng
      wiretool capture export s.wtcap --har s.har          # Chrome DevTools: Network, Import HAR

    Exit status: 0 written; 2 no --pcapng/--har, or an unreadable capture.
    """
    from wiretool.capture.export import export_har, export_pcapng
    from wiretool.capture.file import read_capture
    from wiretool.errors import UsageError
    from wiretool.output.sink import Output

    if not pcapng and not har:
        raise UsageError("capture export needs --pcapng OUT or --har OUT (or both)")
    cap = read_capture(file, records=False)
    out = Output(make_env(), proto=cap.proto)
    for warning in cap.warnings:
        out.env.stderr.write(f"wiretool: warning: {warning}\n")
    counts: dict[str, int] = {}
    if pcapng:
        counts["packets"] = export_pcapng(cap, pcapng, show_secrets=show_secrets)
    if har:
        counts["entries"] = export_har(cap, har, show_secrets=show_secrets)
    out.summary(0, chunks=len(cap.chunks), warnings=len(cap.warnings), **counts)
    return 0
