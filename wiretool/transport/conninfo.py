"""What a capture keeps of a connection that no byte says: its addresses and ports, TLS version, ALPN, SNI.

A transport calls :func:`describe` once the connection is up; the run's sink passes it to the capture
writer (``CaptureWriter.connection``), which the pcapng export needs for real addresses and ports. A sink
without ``connection`` (a test's, a replay's) is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def describe(sink: Any, conn: int, get_extra_info: Callable[[str], Any], *, proto: str,
             sni: str | None = None, **meta: Any) -> None:
    """Tell ``sink`` (if it listens) what connection ``conn`` is, from the transport's ``get_extra_info``."""
    tell = getattr(sink, "connection", None)
    if tell is None:
        return
    # asyncio transports name them sockname/peername; httpcore's streams client_addr/server_addr
    client = _address(get_extra_info("sockname")) or _address(get_extra_info("client_addr"))
    server = _address(get_extra_info("peername")) or _address(get_extra_info("server_addr"))
    ssl_obj = get_extra_info("ssl_object")
    info: dict[str, Any] = {"tls": ssl_obj is not None}
    if ssl_obj is not None:
        info["tls_version"] = ssl_obj.version()
        info["alpn"] = ssl_obj.selected_alpn_protocol()
        if sni:
            info["sni"] = sni
    tell(conn, proto=proto, client=client, server=server, **info, **meta)


def _address(value: Any) -> tuple[str, int] | None:
    """``(host, port)`` of a socket address (IPv4 or IPv6 tuple), or None."""
    if isinstance(value, tuple) and len(value) >= 2 and isinstance(value[0], str) and isinstance(value[1], int):
        return value[0], value[1]
    return None
