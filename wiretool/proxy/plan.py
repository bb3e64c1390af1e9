"""From the command line's values to a running proxy: the plan (addresses, TLS contexts), then the run.

Kept out of ``cli/proxy.py`` so the command stays options only; every bad value is one :class:`UsageError`.
"""

from __future__ import annotations

import functools
import ipaddress
import ssl
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from wiretool.errors import UsageError
from wiretool.proxy.relay import RelayOptions
from wiretool.proxy.session import ProxyPlan
from wiretool.proxy.sniff import SniffOptions

if TYPE_CHECKING:
    from wiretool.cli.net_options import NetOptions
    from wiretool.output.env import Environment


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT``, ``[v6]:PORT`` or ``:PORT`` (loopback) → (host, port)."""
    host, sep, port = value.rpartition(":")
    if not sep or not port.isascii() or not port.isdigit() or int(port) > 65535:
        raise UsageError(f"--listen {value!r}: expected HOST:PORT (e.g. 127.0.0.1:8080)")
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port)


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_upstream(url: str) -> tuple[str, int, bool]:
    """``http://HOST[:PORT]`` or ``https://HOST[:PORT]`` → (host, port, tls)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UsageError(f"--upstream {url!r}: {exc}") from None
    if parts.scheme not in ("http", "https", "ws", "wss") or not parts.hostname:
        raise UsageError(f"--upstream {url!r}: expected http://HOST:PORT or https://HOST:PORT")
    tls = parts.scheme in ("https", "wss")
    return parts.hostname, port or (443 if tls else 80), tls


def make_plan(*, listen: str, upstream: str | None, listen_tls: bool, self_signed: bool, only: tuple[str, ...],
              show: str, max_size: int, net: NetOptions) -> ProxyPlan:
    """Check the options together and build the plan (TLS contexts made here, so errors come before listening)."""
    host, port = parse_listen(listen)
    plan = ProxyPlan(host=host, port=port, connect_timeout=net.connect_timeout)
    if "none" in only and len(only) > 1:
        raise UsageError("--only none relays without decoding: it cannot be combined with other --only values")
    plan.relay = RelayOptions(sniff="none" not in only, sniffing=SniffOptions(
        show_bytes=show == "bytes", max_size=max_size, show_secrets=net.show_secrets))
    if self_signed and not listen_tls:
        raise UsageError("--self-signed needs --tls")
    if listen_tls:
        alpn = ("h2", "http/1.1")
        if self_signed:
            from wiretool.serve.certs import self_signed as make_self_signed

            made = make_self_signed(alpn=alpn)
            plan.listen_context, plan.cacert = made.context, str(made.ca_file)
        elif net.cert:
            from wiretool.serve.certs import server_context

            try:
                plan.listen_context = server_context(net.cert, net.key, alpn=alpn)
            except (OSError, ssl.SSLError) as exc:
                raise UsageError(f"cannot load --cert/--key: {exc}") from None
        else:
            raise UsageError("--tls needs --cert (and --key) or --self-signed")
    elif net.key and not net.cert:
        raise UsageError("--key needs --cert")
    if upstream is not None:
        plan.upstream_host, plan.upstream_port, plan.upstream_tls = parse_upstream(upstream)
        if plan.upstream_tls:
            from wiretool.transport.tls import client_context

            client_cert = None if listen_tls else net.cert
            client_key = None if listen_tls else net.key
            client_context(insecure=net.insecure, cacert=net.cacert, cert=client_cert, key=client_key)  # checks now

            @functools.lru_cache(maxsize=8)
            def contexts(alpn: tuple[str, ...]) -> ssl.SSLContext:
                return client_context(insecure=net.insecure, cacert=net.cacert, cert=client_cert, key=client_key,
                                      alpn=alpn)

            plan.upstream_context = contexts
    return plan


def run_proxy(plan: ProxyPlan, env: Environment, *, only: tuple[str, ...], host_glob: str | None, show: str,
              count: int | None, expect: str | None, net: NetOptions, upstream: str | None,
              no_intercept: tuple[str, ...] = ()) -> int:
    """Listen, relay until the run ends, and return the exit status."""
    import re

    from wiretool.output.sink import Output
    from wiretool.proxy.goals import ProxyGoals
    from wiretool.proxy.session import ProxySession
    from wiretool.proxy.view import ProxyView
    from wiretool.run.core import Limits, run, run_sync

    if expect is not None:
        try:
            re.compile(expect)
        except re.error as exc:
            raise UsageError(f"--expect {expect!r} is not a valid regular expression: {exc}") from None
    forward = None
    if upstream is None:
        if plan.listen_context is not None:
            raise UsageError("--tls is for reverse mode: a forward proxy's clients speak plain HTTP to it "
                             "(their TLS goes through CONNECT)")
        from wiretool.proxy.forward_session import forward_mode

        forward = forward_mode(net, no_intercept=no_intercept, connect_timeout=plan.connect_timeout, env=env)
    elif no_intercept:
        raise UsageError("--no-intercept is for forward mode (no --upstream)")
    if not is_loopback(plan.host):
        env.stderr.write(f"wiretool: warning: listening on {plan.host}, not loopback: anyone who can reach it "
                         "can use this proxy\n")
        env.stderr.flush()
    out = Output(env, proto="proxy")
    view = ProxyView(out, only=tuple(o for o in only if o != "none"), host=host_glob, show=show)
    session = ProxySession(plan, forward=forward)
    goals = ProxyGoals(count=count, expect=expect, passes=view.selected, violations=lambda: session.violations)
    capture = None
    if net.record:
        from wiretool.capture.file import CaptureWriter

        listen_url = f"{'https' if plan.listen_context else 'http'}://{plan.host}:{plan.port}"
        capture = CaptureWriter(net.record, proto="proxy", url=upstream or listen_url,
                                show_secrets=net.show_secrets, extra={"listen": listen_url})
    limits = Limits(timeout=net.timeout, idle_timeout=net.idle_timeout, stop_grace=3.0)

    return run_sync(run(session, out, limits=limits, goals=goals, capture=capture, show=view))
