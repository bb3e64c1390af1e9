"""A watched connection (a proxy's c2s/s2c legs) pairs its two directions as a client's send/recv are paired:
the client's SETTINGS_HEADER_TABLE_SIZE lets the server's encoder grow its table (Chromium asks for 65536)."""

from __future__ import annotations

import h2.config
import h2.connection
import h2.settings

from wiretool.codec.h2frame import H2FrameView


def test_the_server_may_use_the_table_size_the_client_allowed() -> None:
    cli = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    cli.initiate_connection()
    cli.update_settings({h2.settings.SettingCodes.HEADER_TABLE_SIZE: 65536})
    srv = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False))
    srv.initiate_connection()
    preface = cli.data_to_send()
    srv.receive_data(preface)
    cli.send_headers(1, [(":method", "GET"), (":path", "/"), (":scheme", "https"), (":authority", "x")],
                     end_stream=True)
    c2s = cli.data_to_send()
    s2c = srv.data_to_send()
    srv.receive_data(c2s)
    srv.send_headers(1, [(":status", "200"), ("content-type", "text/plain")])
    s2c_headers = srv.data_to_send()
    assert s2c_headers[9:12] == b"\x3f\xe1\xff"  # the block starts with a table size update to 65536

    view = H2FrameView(preface={"c2s": "expect", "s2c": "none"}, roles={"c2s": "client", "s2c": "server"})
    up, down = view.codec("c2s"), view.codec("s2c")
    down.feed(s2c, 0.0)
    up.feed(preface + c2s, 0.0)
    (frame,) = [r.to_json() for r in down.feed(s2c_headers, 0.0)]
    assert frame["violations"] == []
    assert frame["headers"] == [[":status", "200"], ["content-type", "text/plain"]]
