"""``wiretool proxy``: options → :class:`~wiretool.proxy.session.ProxyPlan` → the run layer → exit code."""

from __future__ import annotations

import click

from wiretool.cli.lazy import LazyGroup
from wiretool.cli.net_options import NetOptions, network_options
from wiretool.cli.options import global_options, make_env


@click.group(cls=LazyGroup, invoke_without_command=True, context_settings={"max_content_width": 110}, lazy={
    "ca": ("wiretool.cli.proxy_ca:ca", "Print the forward-mode CA (path, SPKI hash, PEM); --export FILE."),
})
@click.option("--listen", default="127.0.0.1:8080", show_default=True, metavar="HOST:PORT",
              help="Address to accept clients on (port 0: any free port; the first line says which).")
@click.option("--upstream", metavar="URL", help="Reverse mode: relay every client to http://HOST:PORT or https://HOST:PORT.")
@click.option("--tls", "listen_tls", is_flag=True,
              help="Accept TLS clients (with --cert/--key, or --self-signed); ALPN h2 and http/1.1 offered.")
@click.option("--self-signed", is_flag=True, help="With --tls: a throwaway certificate; its CA path is printed.")
@click.option("--only", multiple=True, type=click.Choice(["ws", "sse", "h2", "grpc", "http", "tcp", "none"]),
              help="Show only these protocols' records (repeatable); 'none' relays without decoding.")
@click.option("--host", "host_glob", metavar="GLOB", help="Show only connections whose Host/:authority matches GLOB.")
@click.option("--show", type=click.Choice(["frames", "messages", "bytes"]), default="frames", show_default=True,
              help="frames: every frame; messages: messages, events and heads; bytes: frames plus hexdumps "
                   "of connections in no known protocol.")
@click.option("--count", type=click.IntRange(min=1), default=None, metavar="N",
              help="End after N messages (WS messages, SSE events, gRPC messages, HTTP responses).")
@click.option("--expect", metavar="REGEX", help="End with 0 when a message from a server matches REGEX (else 7).")
@click.option("--no-intercept", multiple=True, metavar="GLOB",
              help="Forward mode: pass TLS to matching hosts through as an opaque tunnel (repeatable).")
@click.option("--max-size", type=click.IntRange(min=1), default=16 * 1024 * 1024, show_default=True, metavar="BYTES",
              help="Largest message decoded (WS inflated, SSE event, gRPC message); bigger ones are named.")
@global_options
@network_options
@click.pass_context
def proxy(ctx: click.Context, listen: str, upstream: str | None, listen_tls: bool, self_signed: bool,
          only: tuple[str, ...], host_glob: str | None, show: str, count: int | None, expect: str | None, no_intercept: tuple[str, ...],
          max_size: int, net: NetOptions) -> int | None:
    """See what a client and a server say to each other: relay every byte, show every frame.

    Reverse mode (--upstream URL): each client that connects to --listen is relayed, byte for byte, to
    URL. Each connection is sniffed: HTTP/1.1 heads, WebSocket frames after an Upgrade (permessage-deflate
    inflated), SSE events as they arrive, HTTP/2 frames (prior knowledge, h2c, ALPN h2) with HPACK and gRPC
    messages, anything else as byte counts. Every record has conn (first = 1) and dir (c2s or s2c); each
    connection ends with a summary line. --cert/--key are the listener's with --tls, else the client
    certificate shown to an https:// upstream.

    Forward mode (no --upstream): point a browser or app at --listen as its HTTP proxy. Absolute-form
    requests are forwarded to their host; CONNECT tunnels that start TLS are intercepted with a local CA
    made on first use (trust it: `wiretool proxy ca`), the server verified as usual (--cacert, --insecure)
    and offered the client's ALPN; --no-intercept GLOB passes a host's TLS through untouched.

    \b
    Examples:
      wiretool proxy --listen 127.0.0.1:8080 --upstream http://127.0.0.1:9000
      wiretool proxy --upstream https://127.0.0.1:8443 --cacert ca.pem --only ws --show messages
      wiretool proxy --listen 127.0.0.1:0 --upstream http://127.0.0.1:9000 --json --record all.wtcap
      wiretool proxy --upstream http://127.0.0.1:9000 --expect '"ready"' --timeout 30
      wiretool proxy --listen 127.0.0.1:8080      # forward: curl --proxy http://127.0.0.1:8080 --cacert CA URL

    Exit status: 0 stopped as asked (--count, --expect, --timeout alone, Ctrl-C is 130); 2 usage; 3 cannot
    listen; 5 a protocol violation was seen on a connection; 6 --timeout before --count; 7 --expect unmet.
    """
    if ctx.invoked_subcommand is not None:  # `proxy ca`: the subcommand runs, not the proxy
        return None
    from wiretool.proxy.plan import make_plan, run_proxy

    plan = make_plan(listen=listen, upstream=upstream, listen_tls=listen_tls, self_signed=self_signed,
                     only=only, show=show, max_size=max_size, net=net)
    return run_proxy(plan, make_env(), only=only, host_glob=host_glob, show=show, count=count, expect=expect,
                     net=net, upstream=upstream, no_intercept=no_intercept)
