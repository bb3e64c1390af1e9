"""``wiretool replay FILE [URL]``: options → :class:`~wiretool.replay.ws.ReplayOptions` → replay → exit code."""

from __future__ import annotations

import click

from wiretool.cli.net_options import NetOptions, network_options
from wiretool.cli.options import global_options, make_env


@click.command()
@click.argument("file", type=click.Path(dir_okay=False), metavar="FILE")
@click.argument("url", required=False)
@click.option("--check", is_flag=True, help="Compare the server's answers with the recorded ones (mismatch: exit 7).")
@click.option("--ignore", multiple=True, metavar="REGEX", help="With --check: mask text matching REGEX (repeatable).")
@click.option("--ignore-path", multiple=True, metavar="$.a.b",
              help="With --check: leave out this field of JSON payloads (repeatable; [*] for every item).")
@click.option("--exact", is_flag=True, help="ws: re-send every recorded frame byte for byte (fragmentation kept).")
@click.option("--same-mask", is_flag=True, help="ws, with --exact: keep the recorded masking keys.")
@click.option("--speed", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True, metavar="X",
              help="Play the recorded timing X times faster.")
@click.option("--no-delay", is_flag=True, help="Send without the recorded pauses (still in step with the server).")
@click.option("--conn", type=click.IntRange(min=0), default=None, metavar="N",
              help="A proxy capture: replay its connection N (the conn of its records).")
@global_options
@network_options
def replay(file: str, url: str | None, check: bool, ignore: tuple[str, ...], ignore_path: tuple[str, ...],
           exact: bool, same_mask: bool, speed: float, no_delay: bool, conn: int | None, net: NetOptions) -> int:
    """Re-run a recorded session (from --record) against URL or the recorded one.

    WebSocket: the recorded handshake headers and subprotocols, then the client's messages (fresh masks),
    or with --exact every frame as recorded. SSE and HTTP/2: the recorded requests again (HTTP/2 on one
    connection, concurrently). A capture of 'wiretool proxy' holds many connections: --conn N replays one.
    --record FILE writes a capture of the replay itself.

    \b
    Examples:
      wiretool ws connect ws://127.0.0.1:8765 --send hi --record s.wtcap
      wiretool replay s.wtcap --check
      wiretool replay s.wtcap ws://staging:8765 --check --ignore '\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z' --ignore-path $.id
      wiretool replay s.wtcap --exact --no-delay

    Exit status: 0 replayed (and, with --check, every answer matched: a one-line summary); 7 an answer
    differs (a diff shows the first difference); 2 unreadable capture; 3, 4, 6 as for the recording command.
    """
    from wiretool.capture.file import read_capture
    from wiretool.errors import UsageError
    from wiretool.output.sink import Output
    from wiretool.replay.compare import Rules
    from wiretool.replay.options import ReplayOptions
    from wiretool.replay.run import protocol, run_replay

    if (ignore or ignore_path) and not check:
        raise UsageError("--ignore and --ignore-path apply to --check only")
    try:
        rules = Rules.make(ignore, ignore_path)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    cap = read_capture(file, records=False)
    if cap.proto == "proxy":  # many connections: replay the one asked for, as its client would have
        from wiretool.proxy.decode import one_connection

        cap = one_connection(cap, conn)
    elif conn is not None:
        raise UsageError("--conn applies to a capture made by 'wiretool proxy'")
    protocol(cap.proto)
    opts = ReplayOptions(url=url, headers=net.headers, exact=exact, same_mask=same_mask, speed=speed,
                         no_delay=no_delay, timeout=net.timeout, connect_timeout=net.connect_timeout,
                         idle_timeout=net.idle_timeout,
                         insecure=net.insecure, cacert=net.cacert, cert=net.cert, key=net.key,
                         show_secrets=net.show_secrets)
    if same_mask and not exact:
        raise UsageError("--same-mask needs --exact (message mode builds new frames)")
    out = Output(make_env(), proto=cap.proto)
    return run_replay(cap, opts, out, check=check, rules=rules, record=net.record, record_pcapng=net.record_pcapng)
