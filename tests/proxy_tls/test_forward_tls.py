"""Forward mode with TLS interception, both legs TLS, against local TLS servers: curl (h2 and HTTP/1.1),
the websockets client through CONNECT, an event stream from hypercorn; the records are those of reverse mode."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
import sys
from pathlib import Path

from conftest import ServeProcess
from fwdhelp import ForwardProxy, curl, of, server_cert

LIVE_ORIGIN = Path(__file__).resolve().parent.parent / "browser" / "live_origin.py"


def test_curl_h2_through_connect_is_intercepted_and_shown_as_h2_frames(tmp_path: Path) -> None:
    server = ServeProcess("h2", "--self-signed")
    proxy = ForwardProxy(tmp_path / "ca", "--cacert", str(server.cacert))
    try:
        done = curl("--proxy", proxy.url, "--cacert", proxy.ca, "--http2", f"{server.url}/bytes/5")
        assert done.returncode == 0, done.stderr
        assert len(done.stdout) == 5
    finally:
        records = proxy.stop()
        server.stop()
    assert "Traceback" not in proxy.err
    assert "created the proxy CA" in proxy.err and proxy.ca in proxy.err
    opened = of(records, "proxy", "open")[0]
    assert opened["tls"] is True and opened["upstream_tls"] is True and opened["alpn"] == "h2"
    assert opened["upstream"] == server.url.removeprefix("https://")
    heads = [f for f in of(records, "h2", "frame") if f["frame_type"] == "HEADERS"]
    assert [h["dir"] for h in heads] == ["c2s", "s2c"]
    assert (":path", "/bytes/5") in [tuple(h) for h in heads[0]["headers"]]
    end = of(records, "proxy", "end")[0]
    assert (end["protocol"], end["status"], end["error"]) == ("h2", 200, None)
    assert all(r["conn"] == 1 for r in records if "conn" in r)


def test_alpn_follows_the_server_an_http1_server_gives_http1_to_the_client(tmp_path: Path) -> None:
    certs = server_cert(tmp_path)
    live = subprocess.Popen([sys.executable, str(LIVE_ORIGIN), str(certs.cert), str(certs.key)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert live.stdout is not None
    port = int(live.stdout.readline())
    proxy = ForwardProxy(tmp_path / "ca", "--cacert", str(certs.ca))
    try:
        # curl offers h2 and http/1.1; hypercorn here offers http/1.1 only, so the client must get http/1.1
        done = curl("--proxy", proxy.url, "--cacert", proxy.ca, "-N", "--http2",
                    f"https://127.0.0.1:{port}/events?end")
        assert b"data: tick 3" in done.stdout, done.stderr
    finally:
        records = proxy.stop()
        live.terminate()
        live.wait(10)
    assert "Traceback" not in proxy.err
    assert of(records, "proxy", "open")[0]["alpn"] == "http/1.1"
    assert [e["data"] for e in of(records, "sse", "event")] == ["tick 1", "tick 2", "tick 3"]
    assert {e["dir"] for e in of(records, "sse", "event")} == {"s2c"}


def test_the_websockets_client_through_connect_wss_and_ws(tmp_path: Path) -> None:
    from websockets.asyncio.client import connect

    tls_server = ServeProcess("ws", "--self-signed")
    plain_server = ServeProcess("ws")
    proxy = ForwardProxy(tmp_path / "ca", "--cacert", str(tls_server.cacert))
    ctx = ssl.create_default_context(cafile=proxy.ca)

    async def main() -> list[str]:
        got = []
        async with connect(tls_server.url + "/", proxy=proxy.url, ssl=ctx, compression=None) as ws:
            await ws.send("secret hello")
            got.append(await ws.recv())
        async with connect(plain_server.url + "/", proxy=proxy.url, compression=None) as ws:
            await ws.send("plain hello")
            got.append(await ws.recv())
        return got

    try:
        assert asyncio.run(main()) == ["secret hello", "plain hello"]
    finally:
        records = proxy.stop()
        tls_server.stop()
        plain_server.stop()
    assert "Traceback" not in proxy.err
    texts = [(f["conn"], f["dir"], f["payload_text"], f["masked"]) for f in of(records, "ws", "frame")
             if f["opcode_name"] == "TEXT"]
    assert texts == [(1, "c2s", "secret hello", True), (1, "s2c", "secret hello", False),
                     (2, "c2s", "plain hello", True), (2, "s2c", "plain hello", False)]
    opens = of(records, "proxy", "open")
    assert [o["tls"] for o in opens] == [True, False]
    assert [e["protocol"] for e in of(records, "proxy", "end")] == ["ws", "ws"]
