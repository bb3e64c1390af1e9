"""TLS decryption from key log secrets: pure (no sockets), for pcap and capture decoding.

Use::

    keylog = KeyLog.read(path)            # or KeyLog.parse(text) for a pcapng Decryption Secrets Block
    conn = TlsConnection(keylog)          # one per TCP connection
    for plain in conn.feed("c2s", data, t):   # feed both directions in capture order
        ...                                # plain.dir, plain.t, plain.data: decrypted application data
    conn.gap("s2c", length, t)            # a hole in TCP reassembly: resynchronise on the next record
    conn.finish(t)
    conn.info                              # version, cipher_suite, sni, alpn_offered, alpn, status
    conn.notes                             # what went wrong or is worth telling, each with dir and t
    read_client_hello(first_c2s_bytes)     # SNI, ALPN offered, ... without keys (None if not a ClientHello)
"""

from __future__ import annotations

from wiretool.tls.connection import Plain, TlsConnection, TlsInfo, TlsNote
from wiretool.tls.framing import MAX_FRAGMENT, looks_like_tls
from wiretool.tls.hello import ClientHello, read_client_hello
from wiretool.tls.keylog import KeyLog, KeyLogProblem

__all__ = ["MAX_FRAGMENT", "ClientHello", "KeyLog", "KeyLogProblem", "Plain", "TlsConnection", "TlsInfo",
           "TlsNote", "looks_like_tls", "read_client_hello"]
