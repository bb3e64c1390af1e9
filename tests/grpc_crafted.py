"""A crafted gRPC server for the tests: the h2 library over a plain socket, answering each call with
exactly the DATA frames, trailers or resets a test needs (what a well-behaved grpcio server never does).

The method name picks the answer: ``/crafted.S/Split`` sends one message one byte per DATA frame,
``Several`` three messages in one DATA frame, ``Gzip``/``Deflate`` a compressed message,
``Reset_<CODE>`` RST_STREAM with that error code, ``Http_<N>`` a non-200 response, ``NoStatus``
trailers without grpc-status, ``Huge`` a 4 GB length prefix, ``Percent`` a percent-encoded grpc-message,
``Ansi`` terminal escapes and rich markup in a message and in grpc-message, ``Osc`` OSC 0/52 and CSI 2J in
every field the server sets, ``Long`` a 16000-character grpc-message.
"""

from __future__ import annotations

import gzip
import socket
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

import h2.config
import h2.connection
import h2.events

HELLO = b"\x0a\x05world"  # HelloReply{message: "world"}


def framed(payload: bytes, flag: int = 0) -> bytes:
    return bytes([flag]) + len(payload).to_bytes(4, "big") + payload


def _answer(conn: h2.connection.H2Connection, sid: int, method: str) -> None:
    ok = [(":status", "200"), ("content-type", "application/grpc")]
    trailers = [("grpc-status", "0")]
    if method == "Split":
        conn.send_headers(sid, ok)
        for b in framed(HELLO):
            conn.send_data(sid, bytes([b]))
        conn.send_headers(sid, trailers, end_stream=True)
    elif method == "Several":
        conn.send_headers(sid, ok)
        conn.send_data(sid, framed(HELLO) * 3)
        conn.send_headers(sid, trailers, end_stream=True)
    elif method in ("Gzip", "Deflate"):
        packed = gzip.compress(HELLO) if method == "Gzip" else zlib.compress(HELLO)
        conn.send_headers(sid, [*ok, ("grpc-encoding", method.lower())])
        conn.send_data(sid, framed(packed, 1))
        conn.send_headers(sid, trailers, end_stream=True)
    elif method.startswith("Reset_"):
        from wiretool.codec.h2names import ERROR_NUMBERS

        conn.send_headers(sid, ok)
        conn.reset_stream(sid, ERROR_NUMBERS[method[6:]])
    elif method.startswith("Http_"):
        conn.send_headers(sid, [(":status", method[5:]), ("content-type", "text/plain")])
        conn.send_data(sid, b"nope", end_stream=True)
    elif method == "NoStatus":
        conn.send_headers(sid, ok)
        conn.send_data(sid, framed(HELLO))
        conn.send_headers(sid, [("x-other", "1")], end_stream=True)
    elif method == "Huge":
        conn.send_headers(sid, ok)
        conn.send_data(sid, b"\x00\xff\xff\xff\xff" + b"x" * 100)
        conn.send_headers(sid, trailers, end_stream=True)
    elif method == "Ansi":
        conn.send_headers(sid, ok)
        conn.send_data(sid, framed(b"\x0a\x13\x1b[31mred[bold]x\x1b[0m\x12\x0e[bold]y[/bold]"))
        conn.send_headers(sid, [("grpc-status", "7"), ("grpc-message", "%1B[2Jgone[/]")], end_stream=True)
    elif method == "Osc":  # OSC 0 (title), OSC 52 (clipboard), CSI 2J (clear) in every field a peer sets
        evil = "\x1b]0;pwned\x07\x1b]52;c;cHduZWQ=\x07\x1b[2J"
        conn.send_headers(sid, [*ok, ("x-evil", evil), ("grpc-encoding", "identity" + evil)])
        text = ("world" + evil).encode()
        conn.send_data(sid, framed(b"\x0a" + bytes([len(text)]) + text + b"\x12\x03" + evil[:3].encode()))
        conn.send_headers(sid, [("grpc-status", "13"), ("grpc-message", "%1B]0;pwned%07%1B]52;c;eA==%07%1B[2J"),
                                ("x-trailer", evil)], end_stream=True)
    elif method == "Long":  # a 16000-character grpc-message
        conn.send_headers(sid, [*ok, ("grpc-status", "13"), ("grpc-message", "long" * 4000)], end_stream=True)
    elif method == "Percent":
        conn.send_headers(sid, [*ok, ("grpc-status", "3"), ("grpc-message", "bad%20%E2%9C%93%0Anext")],
                          end_stream=True)
    else:
        conn.send_headers(sid, [*ok, ("grpc-status", "12"), ("grpc-message", "unknown crafted method")],
                          end_stream=True)


def _serve_one(sock: socket.socket) -> None:
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=False, header_encoding="utf-8"))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    paths: dict[int, str] = {}
    try:
        while True:
            data = sock.recv(65536)
            if not data:
                return
            for ev in conn.receive_data(data):
                if isinstance(ev, h2.events.RequestReceived):
                    paths[ev.stream_id] = dict(ev.headers)[":path"]
                elif isinstance(ev, h2.events.DataReceived):
                    conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                elif isinstance(ev, h2.events.StreamEnded):
                    _answer(conn, ev.stream_id, paths[ev.stream_id].rsplit("/", 1)[-1])
            sock.sendall(conn.data_to_send())
    except (OSError, h2.exceptions.ProtocolError):
        return
    finally:
        sock.close()


@contextmanager
def crafted_server() -> Iterator[int]:
    """Serve crafted gRPC answers on 127.0.0.1 (h2c prior knowledge); yield the port."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def accept() -> None:
        while True:
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=_serve_one, args=(sock,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield port
    finally:
        listener.close()
