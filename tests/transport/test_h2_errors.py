"""h2's own exceptions, raised by the library on crafted server bytes, become one named line (issue 11 #3):
the error code by name, the rule, never a bare number, a state-machine name or h2's programmer's text."""

from __future__ import annotations

import h2.config
import h2.connection
import h2.exceptions
import pytest
from hpack import Encoder
from hyperframe.frame import (
    ContinuationFrame,
    DataFrame,
    GoAwayFrame,
    HeadersFrame,
    PushPromiseFrame,
    SettingsFrame,
    WindowUpdateFrame,
)

from wiretool.transport.h2_errors import describe

RESP = Encoder().encode([(":status", "200")])


def _client() -> h2.connection.H2Connection:
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding=None))
    conn.initiate_connection()
    conn.send_headers(1, [(":method", "GET"), (":scheme", "http"), (":authority", "x"), (":path", "/")])
    conn.receive_data(SettingsFrame(0).serialize())
    return conn


CASES = {  # what h2 4.x raises on each (its own text in the comment)
    # "Invalid stream ID for peer."
    "headers_on_an_odd_stream_we_did_not_open": (HeadersFrame(3, RESP, flags=["END_HEADERS"]).serialize(),
                                                 "PROTOCOL_ERROR", "§5.1.1"),
    # NoSuchStreamError, whose text is "3"
    "data_on_an_idle_stream": (DataFrame(3, b"x").serialize(), "PROTOCOL_ERROR", "§5.1"),
    "continuation_on_an_idle_stream": (ContinuationFrame(3, flags=["END_HEADERS"]).serialize(), "PROTOCOL_ERROR", "§5.1"),
    # "Attempted to push on closed stream."
    "push_promise_on_an_idle_stream": (PushPromiseFrame(3, promised_stream_id=2, data=RESP, flags=["END_HEADERS"])
                                       .serialize(), "PROTOCOL_ERROR", "§6.6"),
    # "Invalid input ConnectionInputs.RECV_HEADERS in state ConnectionState.CLOSED"
    "headers_after_goaway": (GoAwayFrame(0, last_stream_id=1).serialize()
                             + HeadersFrame(1, RESP, flags=["END_HEADERS"]).serialize(), "PROTOCOL_ERROR", "§5.1"),
    # "May not increment flow control window past 2147483647"
    "connection_window_overflow": (WindowUpdateFrame(0, window_increment=2**31 - 1).serialize(),
                                   "FLOW_CONTROL_ERROR", "§6.9.1"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_an_h2_exception_is_named(case: str) -> None:
    data, code, section = CASES[case]
    conn = _client()
    with pytest.raises(h2.exceptions.ProtocolError) as info:
        conn.receive_data(data)
    line = describe(info.value)
    assert line.startswith(f"HTTP/2 protocol error from the server ({code}): "), line
    assert f"RFC 9113 {section})" in line, line
    for raw in ("Invalid input", "for peer", "ConnectionState", "StreamState", "May not increment"):
        assert raw not in line, line
    assert not line.rstrip(".").split()[-1].isdigit(), line


def test_a_bare_number_from_h2_is_never_the_whole_story() -> None:
    line = describe(h2.exceptions.ProtocolError("1"))
    assert line == "HTTP/2 protocol error from the server (PROTOCOL_ERROR): ProtocolError (h2 said only '1')"
