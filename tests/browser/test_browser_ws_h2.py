"""A real browser's WebSocket over HTTP/2 (RFC 8441) through forward mode: headless Chromium loads a page from
hypercorn over TLS (ALPN h2) whose script opens a WebSocket to the same origin; Chromium sends it as an
extended CONNECT on the page's HTTP/2 connection, and wiretool shows its frames and messages (inflated:
Chromium negotiates permessage-deflate) with the stream they crossed in."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import free_port

from wiretool.proxy.ca import spki_hash

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "proxy_tls"))  # the forward-proxy helper the TLS tests use
sys.path.insert(0, str(HERE.parent / "proxy"))
from fwdhelp import ForwardProxy, of  # noqa: E402
from proxyhelp import Server  # noqa: E402


@pytest.mark.slow
def test_chromium_websocket_over_h2_through_forward_mode(tmp_path: Path) -> None:
    from chromium import Chromium, origin_certs

    server_ca, chain = origin_certs(tmp_path)
    port = free_port()
    origin = Server([sys.executable, "-m", "hypercorn", "--bind", f"127.0.0.1:{port}", "--certfile", str(chain),
                     "--keyfile", str(chain), "h2wspage:app"], port, cwd=HERE)
    proxy = ForwardProxy(tmp_path / "ca", "--cacert", str(server_ca))
    browser = None
    try:
        browser = Chromium(proxy=proxy.url, spki=spki_hash(Path(proxy.ca).read_bytes()), profile=tmp_path / "profile",
                           args=("--enable-features=WebSocketOverHttp2",))
        title = browser.load_until_title(f"https://127.0.0.1:{port}/", "done")
        text = browser.text()
    finally:
        if browser is not None:
            browser.close()
        records = proxy.stop()
        origin.stop()
    assert title == "done", text
    assert "WebSocket over HTTP/2: echo: hello over h2" in text
    assert "Traceback" not in proxy.err
    connects = [f for f in of(records, "h2", "frame", frame_type="HEADERS", dir="c2s")
                if [":protocol", "websocket"] in f.get("headers", [])]
    assert len(connects) == 1, connects
    sid, conn = connects[0]["stream_id"], connects[0]["conn"]
    messages = [(m["dir"], m["text"], m["stream_id"], m["conn"]) for m in of(records, "ws", "message")]
    assert ("c2s", "hello over h2", sid, conn) in messages and ("s2c", "echo: hello over h2", sid, conn) in messages
    frames = of(records, "ws", "frame")
    assert all(f["masked"] == (f["dir"] == "c2s") and not f["violations"] for f in frames), frames
    ends = {e["conn"]: e for e in of(records, "proxy", "end")}
    assert ends[conn]["protocol"] == "ws" and ends[conn]["close_code"] == 1000 and ends[conn]["error"] is None
