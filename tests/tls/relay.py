"""A loopback TCP relay that records what it forwards, both ways, in the order it read it: our own capture."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Relay:
    """Listens on 127.0.0.1 and forwards each connection to ``target``; ``chunks`` holds (dir, t, data) of
    all of them (tests with one connection), ``by_conn`` the same per connection."""

    target: tuple[str, int]
    chunks: list[tuple[str, float, bytes]] = field(default_factory=list)
    by_conn: list[list[tuple[str, float, bytes]]] = field(default_factory=list)  # per accepted connection

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._t0 = time.monotonic()
        self._threads: list[threading.Thread] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target, timeout=10)
            with self._lock:
                self.by_conn.append([])
                mine = self.by_conn[-1]
            for src, dst, name in ((client, upstream, "c2s"), (upstream, client, "s2c")):
                th = threading.Thread(target=self._pipe, args=(src, dst, name, mine), daemon=True)
                th.start()
                self._threads.append(th)

    def _pipe(self, src: socket.socket, dst: socket.socket, name: str,
              mine: list[tuple[str, float, bytes]]) -> None:
        try:
            while data := src.recv(65536):
                with self._lock:
                    chunk = (name, time.monotonic() - self._t0, data)
                    self.chunks.append(chunk)
                    mine.append(chunk)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock, how in ((dst, socket.SHUT_WR),):
                try:
                    sock.shutdown(how)
                except OSError:
                    pass

    def wait(self, timeout: float = 10) -> list[tuple[str, float, bytes]]:
        """Wait for both pipes to end (the peers closed); return the chunks."""
        deadline = time.monotonic() + timeout
        for th in self._threads:
            th.join(max(0.0, deadline - time.monotonic()))
        self._listener.close()
        with self._lock:
            return list(self.chunks)

    def stream(self, name: str) -> bytes:
        """Every byte one direction sent."""
        with self._lock:
            return b"".join(d for n, _, d in self.chunks if n == name)


def decrypt(chunks: list[tuple[str, float, bytes]], keylog_path: str):
    """Feed the chunks to a TlsConnection; return (conn, c2s plaintext, s2c plaintext)."""
    from wiretool.tls import KeyLog, TlsConnection

    conn = TlsConnection(KeyLog.read(keylog_path))
    plain: dict[str, bytearray] = {"c2s": bytearray(), "s2c": bytearray()}
    last = 0.0
    for name, t, data in chunks:
        for p in conn.feed(name, data, t):  # type: ignore[arg-type]
            plain[p.dir] += p.data
        last = t
    for p in conn.finish(last):
        plain[p.dir] += p.data
    return conn, bytes(plain["c2s"]), bytes(plain["s2c"])
