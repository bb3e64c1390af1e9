"""``ws connect`` against hostile servers on 127.0.0.1 stays bounded in memory and ends with the right code."""

from __future__ import annotations

import json
import socket

from conftest import hostile_ws_server, run_measured, ws_switching


def test_huge_frame_then_endless_bytes_keeps_memory_bounded() -> None:
    """A 2**62-byte frame header then 256 MiB of payload: close 1009, exit 5, and the view stops buffering."""
    def script(conn: socket.socket, request: bytes) -> None:
        conn.sendall(ws_switching(request) + b"\x82\x7f" + (2**62).to_bytes(8, "big"))
        chunk = b"\0" * 65536
        for _ in range(4096):  # 256 MiB at most
            conn.sendall(chunk)

    url, thread = hostile_ws_server(script)
    rc, out, err, rss_kb = run_measured(["ws", "connect", url, "--max-size", "64k", "--timeout", "20"])
    thread.join(20)
    assert rc == 5, (out, err)
    assert "message larger than --max-size" in err
    assert "frame the server had sent before our close frame" in out  # the rest of that frame, not new data
    assert rss_kb < 150_000, f"peak RSS {rss_kb} kB: the tap buffered what the peer streamed"


def test_fragmented_flood_past_max_size_keeps_memory_bounded() -> None:
    """A text message that never ends (CONT frames forever): exit 5 at --max-size, memory stays near it."""
    def script(conn: socket.socket, request: bytes) -> None:
        frame = b"\x7e\xff\xff" + b"a" * 65535
        conn.sendall(ws_switching(request) + b"\x01" + frame)
        for _ in range(4096):
            conn.sendall(b"\x00" + frame)

    url, thread = hostile_ws_server(script)
    rc, out, err, rss_kb = run_measured(["ws", "connect", url, "--max-size", "1MiB", "--timeout", "20", "--json"])
    thread.join(20)
    assert rc == 5, (out, err)
    records = [json.loads(line) for line in out.splitlines()]  # valid NDJSON, every line
    assert records[-2]["type"] == "error" and records[-1]["type"] == "summary"
    assert rss_kb < 150_000, f"peak RSS {rss_kb} kB"


def test_deflate_bomb_is_not_inflated_past_max_size() -> None:
    """One compressed frame that inflates to 200 MiB, --max-size 16MiB: exit 5 and the view inflates no further."""
    import zlib

    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = (comp.compress(b"\0" * (200 * 2**20)) + comp.flush(zlib.Z_SYNC_FLUSH))[:-4]

    def script(conn: socket.socket, request: bytes) -> None:
        head = ws_switching(request).replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n")
        conn.sendall(head + b"\xc2\x7f" + len(data).to_bytes(8, "big") + data)
        conn.recv(1024)

    url, thread = hostile_ws_server(script)
    rc, out, err, rss_kb = run_measured(["ws", "connect", url, "--compression", "deflate", "--timeout", "20",
                                         "--json"])
    thread.join(20)
    assert rc == 5, (out, err)
    assert rss_kb < 250_000, f"peak RSS {rss_kb} kB: the tap inflated the whole bomb"
