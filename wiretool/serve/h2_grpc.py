"""``serve h2``'s gRPC route: a tiny ``wiretool.Echo`` service, so ``h2 grpc`` can be tried with no grpcio.

Any request whose content-type is ``application/grpc`` lands here instead of the HTTP routes:

- ``/wiretool.Echo/Echo``: each request message back, in order (inflated if the request was compressed),
  then ``grpc-status: 0``; unary, server-, client- and bidi-streaming all look the same from here;
- ``/wiretool.Echo/Fail``: a Trailers-Only answer, NOT_FOUND with a percent-encoded ``grpc-message``;
- anything else: Trailers-Only UNIMPLEMENTED, as a gRPC server answers an unknown method.
"""

from __future__ import annotations

from typing import Any, Protocol

import h2.connection

from wiretool.codec.grpc import GrpcMessageAssembler, frame_message

SERVICE = "wiretool.Echo"
FAIL_MESSAGE = "nothing to echo here ✓"


def percent_encode(text: str) -> str:
    """``grpc-message`` encoding: bytes outside printable ASCII, and ``%``, as ``%XX`` (PROTOCOL-HTTP2.md)."""
    return "".join(chr(b) if 0x20 <= b <= 0x7E and b != 0x25 else f"%{b:02X}" for b in text.encode())


class GrpcPeer(Protocol):
    """What the Echo service needs of the HTTP/2 server connection it answers on (``serve/h2.py``'s protocol).

    A protocol rather than an import: ``serve/h2.py`` calls this module, so this module does not import it.
    """

    conn: h2.connection.H2Connection

    def flush(self) -> None:
        """Write the frames h2 queued."""
        ...

    async def send_body(self, sid: int, body: bytes, *, end: bool) -> None:
        """Send ``body`` on stream ``sid`` as flow control allows."""
        ...


async def answer(server: GrpcPeer, req: Any, *, server_name: str) -> int:
    """Answer one gRPC call on ``req.stream_id``; return the HTTP status sent (always 200)."""
    sid = req.stream_id
    service, _, method = req.headers.get(":path", "").strip("/").rpartition("/")
    head = [(":status", "200"), ("content-type", "application/grpc"), ("server", server_name)]
    conn = server.conn
    if service != SERVICE or method not in ("Echo", "Fail"):
        conn.send_headers(sid, [*head, ("grpc-status", "12"),
                                ("grpc-message", percent_encode(f"unknown method /{service}/{method}"))], end_stream=True)
    elif method == "Fail":
        conn.send_headers(sid, [*head, ("grpc-status", "5"), ("grpc-message", percent_encode(FAIL_MESSAGE))],
                          end_stream=True)
    else:
        asm = GrpcMessageAssembler(stream_id=sid, dir="send", encoding=req.headers.get("grpc-encoding"),
                                   decode_fields=False)
        messages = asm.feed(bytes(req.body)) + asm.finish()
        broken = next((m for m in messages if m.violations), None)
        if broken is not None:
            conn.send_headers(sid, [*head, ("grpc-status", "13"),
                                    ("grpc-message", percent_encode(broken.violations[0].message))], end_stream=True)
        else:
            body = b"".join(frame_message(m.payload) for m in messages)
            conn.send_headers(sid, head)
            server.flush()
            if body:
                await server.send_body(sid, body, end=False)
            conn.send_headers(sid, [("grpc-status", "0")], end_stream=True)
    server.flush()
    return 200
