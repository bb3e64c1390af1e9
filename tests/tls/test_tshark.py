"""The oracle: tshark, reading a tcpdump capture of the same session with the same key log, decrypts exactly
the plaintext wiretool decrypts from the relay's recording, and reads the same hello facts."""

from __future__ import annotations

import socket
import ssl
from pathlib import Path

import pytest

from tests.tls.peers import EchoServer, messages
from tests.tls.relay import Relay, decrypt
from tests.tls.tcpdump import Tcpdump, tshark_fields, tshark_tls_follow
from wiretool.serve.certs import self_signed
from wiretool.tls.suites import DECRYPTABLE


@pytest.mark.parametrize(("tls13", "ciphers"), [(True, None), (False, "ECDHE-ECDSA-AES256-GCM-SHA384"),
                                                (False, "ECDHE-ECDSA-CHACHA20-POLY1305")])
def test_tshark_decrypts_what_wiretool_decrypts(tmp_path: Path, tls13: bool, ciphers: str | None) -> None:
    certs = self_signed(directory=tmp_path)
    certs.context.set_alpn_protocols(["http/1.1"])
    if ciphers:
        certs.context.set_ciphers(ciphers)
    server = EchoServer(certs.context)
    dump = Tcpdump(tmp_path / "capture.pcap", server.port)  # the relay → server leg
    relay = Relay(("127.0.0.1", server.port))
    ctx = ssl.create_default_context(cafile=str(certs.ca_file))
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3 if tls13 else ssl.TLSVersion.TLSv1_2
    if ciphers:
        ctx.set_ciphers(ciphers)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    keylog = tmp_path / "keys.log"
    ctx.keylog_filename = str(keylog)
    raw = socket.create_connection(("127.0.0.1", relay.port), timeout=10)
    with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
        got, expected = bytearray(), 0
        for message in messages(3):
            tls.sendall(message)
            expected += len(message) + 5
            while len(got) < expected:
                got += tls.recv(65536)
        tls.unwrap().close()
    server.join()
    chunks = relay.wait()
    pcap = dump.stop()

    conn, c2s, s2c = decrypt(chunks, str(keylog))
    assert tshark_tls_follow(pcap, keylog, server.port) == {"c2s": c2s, "s2c": s2c}
    assert (c2s, s2c) == (bytes(server.received), bytes(server.sent))

    fields = ["tls.handshake.type", "tls.handshake.extensions_server_name", "tls.handshake.extensions_alpn_str",
              "tls.handshake.ciphersuite"]
    rows = tshark_fields(pcap, keylog, fields, "tls.handshake.type == 1 || tls.handshake.type == 2 || "
                         "tls.handshake.type == 8")  # 8: EncryptedExtensions, decrypted by tshark too (TLS 1.3)
    hello = next(r for r in rows if r[0].split(",")[0] == "1")
    assert hello[1] == conn.info.sni == "localhost"
    assert tuple(hello[2].split(",")) == conn.info.alpn_offered == ("h2", "http/1.1")
    chosen = next(r for r in rows if r[0].split(",")[0] == "2")
    assert DECRYPTABLE[int(chosen[3], 16)].name == conn.info.cipher_suite
    assert [r[2] for r in rows if r[2] and r is not hello] == [conn.info.alpn] == ["http/1.1"]
