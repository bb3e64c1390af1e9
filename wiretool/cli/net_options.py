"""The options every network command shares (shared/ARCHITECTURE.md), declared once so every command spells
them the same way, gathered into one :class:`NetOptions` argument by :func:`network_options`.

A module of its own, apart from :mod:`wiretool.cli.options`: only the network commands import it, so the
offline ones (``frame decode``, ``--version``) do not pay for creating :class:`NetOptions`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import click

from wiretool.cli.options import F


@dataclass
class NetOptions:
    """The options every network command shares, with the same names and meaning everywhere."""

    headers: list[tuple[str, str]] = field(default_factory=list)
    timeout: float | None = None
    connect_timeout: float | None = 10.0
    idle_timeout: float | None = None
    insecure: bool = False
    cacert: str | None = None
    cert: str | None = None
    key: str | None = None
    record: str | None = None
    show_secrets: bool = False
    record_pcapng: str | None = None
    """``--record-pcapng FILE``: the session's plaintext as synthetic TCP packets (:mod:`wiretool.capture.pcapng`)."""
    har: str | None = None
    """``--har FILE`` (``ws connect``, ``sse tail``, ``h2 get``): the session as HAR 1.2 (:mod:`wiretool.capture.har`)."""

    @property
    def recording(self) -> bool:
        """Any of ``--record``, ``--record-pcapng``, ``--har``: the session's bytes are tapped for a writer."""
        return bool(self.record or self.record_pcapng or self.har)


def parse_header(value: str) -> tuple[str, str]:
    """``NAME:VALUE`` (or ``NAME: VALUE``) into a pair; raises click.BadParameter on no colon."""
    name, sep, rest = value.partition(":")
    if not sep or not name.strip():
        raise click.BadParameter(f"expected NAME:VALUE, got {value!r}", param_hint="'-H/--header'")
    return name.strip(), rest.strip()


def _headers_cb(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> list[tuple[str, str]]:
    return [parse_header(v) for v in value]


_NET_FIELDS = ("headers", "timeout", "connect_timeout", "idle_timeout", "insecure", "cacert", "cert", "key",
               "record", "show_secrets", "record_pcapng")

_positive = click.FloatRange(min=0, min_open=True)


def network_options(f: F) -> F:
    """Add the shared network options; the command receives them as one ``net: NetOptions`` argument."""

    @functools.wraps(f)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        net = NetOptions(**{name: kwargs.pop(name) for name in _NET_FIELDS}, har=kwargs.pop("har", None))
        return f(*args, net=net, **kwargs)

    opts = [
        click.option("-H", "--header", "headers", multiple=True, callback=_headers_cb, metavar="NAME:VALUE",
                     help="Extra request header (repeatable)."),
        click.option("--timeout", type=_positive, default=None, metavar="S", help="Limit for the whole run (exit 6)."),
        click.option("--connect-timeout", type=_positive, default=10.0, show_default=True, metavar="S",
                     help="Limit for connecting, TLS and handshake (exit 6)."),
        click.option("--idle-timeout", type=_positive, default=None, metavar="S",
                     help="Give up when nothing is received for S seconds (exit 6)."),
        click.option("--insecure", "-k", is_flag=True, help="Do not verify the server's TLS certificate."),
        click.option("--cacert", type=click.Path(exists=True, dir_okay=False), help="CA bundle (PEM) to verify the server."),
        click.option("--cert", type=click.Path(exists=True, dir_okay=False), help="Client certificate (PEM)."),
        click.option("--key", type=click.Path(exists=True, dir_okay=False), help="Client private key (PEM)."),
        click.option("--record", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
                     help="Write a capture of the session to FILE."),
        click.option("--record-pcapng", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
                     help="Write the session's plaintext to FILE as pcapng (synthetic TCP) for tshark/Wireshark."),
        click.option("--show-secrets", is_flag=True,
                     help="Show Authorization, Cookie and similar headers unredacted."),
    ]
    for opt in reversed(opts):
        wrapper = opt(wrapper)
    return wrapper  # type: ignore[return-value]


def har_option(f: F) -> F:
    """``--har FILE`` (``ws connect``, ``sse tail``, ``h2 get``): lands in ``net.har`` (put it above
    :func:`network_options`)."""
    return click.option("--har", type=click.Path(dir_okay=False, writable=True), metavar="FILE",
                        help="Write the session to FILE as HAR 1.2 (WebSocket messages and SSE events included).")(f)
