"""WebSocket over HTTP/2 (RFC 8441): the DATA of an extended-CONNECT stream fed to the WebSocket codec. PURE.

A client that saw ``SETTINGS_ENABLE_CONNECT_PROTOCOL = 1`` from its server may open a WebSocket as one
stream: HEADERS ``:method CONNECT``, ``:protocol websocket`` (RFC 8441 §4); a ``:status`` 2xx answer opens
it, and from then on each direction's DATA payloads are that direction's WebSocket bytes (frames masked
by the client as in RFC 6455, permessage-deflate as the response's ``sec-websocket-extensions`` says).

:class:`H2Streams` is the ``grpc`` watcher of :class:`~wiretool.codec.h2frame.H2FrameView` (the hook that
sees every frame and DATA payload in wire order) extended to these streams: gRPC streams are followed as
before, and each WebSocket stream gets a :class:`~wiretool.codec.wsframe.WsFrameParser` per direction
whose records come out wrapped in :class:`~wiretool.records.h2ws.OnStream` (their stream id), right after
the DATA frame that completed them. Bounded: at most ``max_ws_streams`` streams are followed at once, and
each parser is bounded by ``max_message`` as the HTTP/1.1 WebSocket is.
"""

from __future__ import annotations

from wiretool.codec.grpcview import GrpcStreams
from wiretool.codec.wsframe import WsFrameParser
from wiretool.records import Record
from wiretool.records.h2 import H2Frame
from wiretool.records.h2ws import OnStream

DATA, HEADERS, RST_STREAM, CONTINUATION = 0x0, 0x1, 0x3, 0x9
MAX_WS_STREAMS = 1000


def is_websocket_connect(headers: list[tuple[str, str]]) -> bool:
    """An extended CONNECT for a WebSocket (RFC 8441 §4): ``:method CONNECT`` and ``:protocol websocket``."""
    pseudo = {n: v for n, v in headers if n.startswith(":")}
    return pseudo.get(":method") == "CONNECT" and pseudo.get(":protocol", "").lower() == "websocket"


def _deflate(headers: list[tuple[str, str]]) -> tuple[bool, bool, bool]:
    ext = ",".join(v for n, v in headers if n.lower() == "sec-websocket-extensions").lower()
    if "permessage-deflate" not in ext:
        return False, False, False
    return True, "server_no_context_takeover" in ext, "client_no_context_takeover" in ext


class H2Streams(GrpcStreams):
    """gRPC streams and RFC 8441 WebSocket streams of one HTTP/2 connection; see the module docstring.

    ``roles`` names the client's and the server's direction (``{"c2s": "client", "s2c": "server"}``):
    the client sends the CONNECT and masks its frames.
    """

    def __init__(self, *, roles: dict[str, str], max_message: int, max_ws_streams: int = MAX_WS_STREAMS,
                 **grpc: object) -> None:
        super().__init__(max_message=max_message, **grpc)  # type: ignore[arg-type]
        self.roles = roles
        self.max_ws_streams = max_ws_streams
        self._asked: dict[int, str] = {}  # stream → the client direction, CONNECT sent, no answer yet
        self._ws: dict[int, dict[str, WsFrameParser]] = {}

    def on_frame(self, rec: H2Frame, data: bytes | None = None) -> list[Record]:
        typ, sid = rec.type_code, rec.stream_id
        if typ == DATA and sid in self._ws:
            out = self._ws_feed(sid, rec.dir, data or b"", rec.t)
            if "END_STREAM" in rec.flags:
                out += self._ws_end(sid, rec.dir, rec.t)
            return out
        if typ in (HEADERS, CONTINUATION):
            if rec.headers is not None:  # a whole header block (its last frame)
                out = self._ws_headers(rec, sid)
                if out is not None:
                    return out
        elif typ == RST_STREAM and (sid in self._ws or sid in self._asked):
            self._asked.pop(sid, None)
            out = []
            for d in list(self._ws.get(sid, ())):
                out += self._ws_end(sid, d, rec.t)
            self._ws.pop(sid, None)
            return out
        return super().on_frame(rec, data)

    def finish(self, t: float = 0.0, direction: str | None = None) -> list[Record]:
        out = super().finish(t, direction)
        for sid in list(self._ws):
            for d in [d for d in list(self._ws[sid]) if direction in (None, d)]:
                out += self._ws_end(sid, d, t)
        return out

    # -- streams -------------------------------------------------------------------------------------
    def _ws_headers(self, rec: H2Frame, sid: int) -> list[Record] | None:
        """The records of a WebSocket stream's header block, or None: not one (gRPC's watcher has it)."""
        headers = rec.headers or []
        if self.roles.get(rec.dir) == "client" and is_websocket_connect(headers):
            if len(self._asked) + len(self._ws) < self.max_ws_streams:
                self._asked[sid] = rec.dir
            return []
        if sid in self._asked and self.roles.get(rec.dir) == "server":
            client = self._asked.pop(sid)
            status = next((v for n, v in headers if n == ":status"), "")
            if status.startswith("2") and "END_STREAM" not in rec.flags:
                deflate, server_nct, client_nct = _deflate(headers)
                self._ws[sid] = {
                    client: WsFrameParser(sender="client", dir=client, rsv1_allowed=deflate, deflate=deflate,
                                          no_context_takeover=client_nct, messages=True,
                                          max_inflated=self.max_message),
                    rec.dir: WsFrameParser(sender="server", dir=rec.dir, rsv1_allowed=deflate, deflate=deflate,
                                           no_context_takeover=server_nct, messages=True,
                                           max_inflated=self.max_message),
                }
            return []
        if sid in self._ws:  # trailers of a WebSocket stream: nothing to decode
            return []
        return None

    def _ws_feed(self, sid: int, dir: str, data: bytes, t: float) -> list[Record]:
        parser = self._ws[sid].get(dir)
        if parser is None or not data:
            return []
        records = parser.feed(data, t)
        held = parser.frame_in_progress()
        if held is not None and held[1] > self.max_message + 14:  # a frame bigger than we hold: stop here
            self._ws[sid].pop(dir, None)
        return [OnStream(sid, r) for r in records]  # type: ignore[misc]

    def _ws_end(self, sid: int, dir: str, t: float) -> list[Record]:
        streams = self._ws.get(sid)
        parser = streams.pop(dir, None) if streams is not None else None
        if streams is not None and not streams:
            self._ws.pop(sid, None)
        if parser is None:
            return []
        return [OnStream(sid, r) for r in parser.finish(t)]  # type: ignore[misc]
