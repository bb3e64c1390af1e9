"""The quiet relay (``--only none``): two transports joined by protocols, no decoding, no task per chunk.

When nothing is shown, every chunk costs only what the event loop already did to read it: each side's
transport gets a :class:`_BufferedPipe` protocol (the loop reads, or decrypts, straight into its buffer,
or, on uvloop's SSL transport, hands it each read's records joined) that writes the bytes into the other
transport and counts them. There is no :class:`asyncio.StreamReader` buffer in between, no ``await`` per
chunk and no codec, which is what made the stream-based relay about 3x mitmdump instead of 5x on a TLS
download (the loop's SSL transports, uvloop's with ``[fast]``, do the TLS itself on large reads).

Backpressure is the transports' own: when one side's write buffer passes its high-water mark the loop
calls ``pause_writing`` on that side's protocol, which pauses reading from the *other* side until the
buffer drained below the low-water mark (``resume_writing``). A flooding peer therefore costs at most one
write buffer (``4 * CHUNK``) per direction, the same bound as the stream relay.
"""

from __future__ import annotations

import asyncio
from asyncio import StreamReader, StreamWriter
from typing import Any

from wiretool.session import Chunk, Sink

C2S, S2C = "c2s", "s2c"


class _Pipe(asyncio.Protocol):
    """The protocol of one side: what it receives goes to ``peer``; its write pressure pauses ``peer``.

    (What is used is :class:`_BufferedPipe`; this is its reading-agnostic part, and the plain-protocol form
    it measured 30-40% faster than on a TLS download.)"""

    def __init__(self, relay: QuietPipe, dir: str) -> None:
        self.relay = relay
        self.dir = dir
        """The direction of the bytes this side *receives* (``c2s`` on the client's transport)."""
        self.transport: Any = None
        self.peer: Any = None

    def data_received(self, data: bytes) -> None:
        self.relay.received(self.dir, data)

    def eof_received(self) -> bool:
        self.relay.eof(self.dir)
        # keep our writing side open, the other leg may still be talking (half-close); TLS cannot half-close
        return self.transport.get_extra_info("sslcontext") is None

    def connection_lost(self, exc: Exception | None) -> None:
        self.relay.lost(self.dir, exc)

    def pause_writing(self) -> None:  # our write buffer is full: stop reading what fills it
        if self.peer is not None and not self.peer.is_closing():
            self.peer.pause_reading()

    def resume_writing(self) -> None:
        if self.peer is not None and not self.peer.is_closing():
            self.peer.resume_reading()


class _BufferedPipe(asyncio.BufferedProtocol, _Pipe):
    """:class:`_Pipe` reading into one buffer of its own where the loop takes it as a buffered protocol
    (asyncio's transports, uvloop's plain TCP): it reads or decrypts straight into it, one copy hands the bytes on.

    uvloop's SSL transport takes it as a plain protocol (an :class:`asyncio.Protocol` instance is one for its
    ``_set_app_protocol``) and calls ``data_received`` with each read's records joined. That is kept on
    purpose: a pipe that is only a BufferedProtocol, which that transport would fill, cost more CPU per byte
    on the h2 TLS download (one fresh ~256 KiB bytes per read: 26,000 page faults per 100 MB; handed on in
    64 KiB pieces still 10-25% more), and handing the buffer on uncopied measured no better (docs/proxy.md)."""

    def __init__(self, relay: QuietPipe, dir: str) -> None:
        _Pipe.__init__(self, relay, dir)
        self._buf = bytearray(BUFFER)
        self._view = memoryview(self._buf)

    def get_buffer(self, sizehint: int) -> memoryview:
        if sizehint > len(self._buf):
            self._buf = bytearray(min(sizehint, 4 * BUFFER))
            self._view = memoryview(self._buf)
        return self._view

    def buffer_updated(self, nbytes: int) -> None:
        self.relay.received(self.dir, bytes(self._view[:nbytes]))  # the buffer is ours again at once

    eof_received = _Pipe.eof_received  # (BufferedProtocol's own, a no-op, comes first in the MRO)


BUFFER = 512 * 1024
"""The read buffer of a side of the quiet relay (uvloop asks for what its TLS layer holds, up to ~256 KiB)."""


class QuietPipe:
    """Relay ``client`` and ``upstream`` without decoding; :meth:`run` returns when both legs ended.

    ``counts[dir]`` are the bytes relayed each way; ``error`` the first failure (a reset, a peer gone), in
    the words the stream relay uses. Every chunk still goes to ``sink.chunk`` (the capture, the idle timer).
    """

    def __init__(self, client: tuple[StreamReader, StreamWriter], upstream: tuple[StreamReader, StreamWriter],
                 sink: Sink, conn_id: int, on_error: Any, on_eof: Any) -> None:
        self.sink = sink
        self.conn_id = conn_id
        self.counts = {C2S: 0, S2C: 0}
        self.on_error = on_error
        self.on_eof = on_eof
        self._readers = {C2S: client[0], S2C: upstream[0]}
        self._src = {C2S: client[1].transport, S2C: upstream[1].transport}
        self._dst = {C2S: upstream[1].transport, S2C: client[1].transport}
        self._open = {C2S: True, S2C: True}  # the leg still brings bytes
        self._done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def run(self, first_c2s: bytes) -> None:
        pipes = {d: _BufferedPipe(self, d) for d in (C2S, S2C)}
        for d, pipe in pipes.items():
            pipe.transport = self._src[d]
            pipe.peer = self._dst[d]
        leftovers = {}
        for d, reader in self._readers.items():  # bytes the StreamReader took before the switch
            buf = getattr(reader, "_buffer", None)
            leftovers[d] = bytes(buf) if buf else b""
            if buf:
                buf.clear()
        for d in (C2S, S2C):
            self._src[d].set_protocol(pipes[d])
        if first_c2s:
            self.received(C2S, first_c2s)
        for d in (C2S, S2C):
            if leftovers[d]:
                self.received(d, leftovers[d])
        for d in (C2S, S2C):
            reader = self._readers[d]
            if reader.at_eof() or getattr(reader, "_eof", False):
                self.eof(d)
            elif reader.exception() is not None:
                self.lost(d, reader.exception())  # type: ignore[arg-type]
            elif self._src[d].is_closing():
                self.lost(d, None)
            else:
                try:
                    self._src[d].resume_reading()  # the StreamReader may have paused it
                except (AttributeError, RuntimeError):
                    pass
        await self._done

    def received(self, dir: str, data: bytes) -> None:
        self.counts[dir] += len(data)
        self.sink.chunk(Chunk(dir, self.sink.now(), data, self.conn_id))
        dst = self._dst[dir]
        if dst.is_closing():
            return
        try:
            dst.write(data)
        except (ConnectionError, RuntimeError, OSError) as exc:
            self._fail(dir, exc, reading=False)

    def eof(self, dir: str) -> None:
        if not self._open[dir]:
            return
        self._open[dir] = False
        self.on_eof(dir)
        dst = self._dst[dir]
        try:  # pass the half-close on
            if dst.can_write_eof():
                dst.write_eof()
            else:
                dst.close()
        except (OSError, RuntimeError):
            pass
        self._check()

    def lost(self, dir: str, exc: BaseException | None) -> None:
        if exc is not None:
            self._fail(dir, exc, reading=True)
            return
        self.eof(dir)

    def _fail(self, dir: str, exc: BaseException, *, reading: bool) -> None:
        self.on_error(dir, exc, reading)
        for d in (C2S, S2C):
            self._open[d] = False
            self._src[d].abort()
        self._check()

    def _check(self) -> None:
        if not any(self._open.values()) and not self._done.done():
            self._done.set_result(None)
