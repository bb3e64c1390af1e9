"""A real browser through forward mode: headless Chromium loads an https page (HTTP/2) whose script fetches
over HTTP/2, opens a WebSocket and an EventSource on a second origin (HTTP/1.1), all through
``wiretool proxy`` with TLS intercepted; wiretool's NDJSON must hold those frames and events, and a
screenshot of the page shows it ran (its path is printed: ``pytest -s`` shows it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ServeProcess

from wiretool.proxy.ca import spki_hash

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "proxy_tls"))  # the forward-proxy helper the TLS tests use
from fwdhelp import ForwardProxy, of  # noqa: E402


@pytest.mark.slow
def test_chromium_page_with_fetch_h2_websocket_and_eventsource_through_forward_mode(tmp_path: Path) -> None:
    from chromium import Chromium, origin_certs

    server_ca, chain = origin_certs(tmp_path)
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(HERE / "page.html", site / "index.html")
    shutil.copy(HERE / "data.json", site / "data.json")

    page_origin = ServeProcess("h2", "--cert", str(chain), "--key", str(chain), "--dir", str(site))
    live = subprocess.Popen([sys.executable, str(HERE / "live_origin.py"), str(chain), str(chain)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert live.stdout is not None
    live_port = int(live.stdout.readline())
    proxy = ForwardProxy(tmp_path / "ca", "--cacert", str(server_ca))
    browser = None
    shot = Path(os.environ.get("WIRETOOL_SCREENSHOT", tmp_path / "chromium-through-wiretool-proxy.png"))
    try:
        browser = Chromium(proxy=proxy.url, spki=spki_hash(Path(proxy.ca).read_bytes()), profile=tmp_path / "profile")
        title = browser.load_until_title(f"{page_origin.url}/index.html?live=127.0.0.1:{live_port}", "done")
        text = browser.text()
        browser.screenshot(shot)
        print(f"\nscreenshot: {shot}")
        assert title == "done", text
    finally:
        if browser is not None:
            browser.close()
        records = proxy.stop()
        page_origin.stop()
        live.terminate()
        live.wait(10)
    assert "fetch over HTTP/2: hello over h2" in text
    assert "WebSocket: echo: hello from chromium" in text
    assert "EventSource: tick 1, tick 2, tick 3" in text
    assert shot.read_bytes().startswith(b"\x89PNG")
    assert "Traceback" not in proxy.err

    page_port = page_origin.url.rsplit(":", 1)[1]
    opens = {o["conn"]: o for o in of(records, "proxy", "open")}
    h2_conns = {c for c, o in opens.items() if o["upstream"] == f"127.0.0.1:{page_port}"}
    assert h2_conns and all(opens[c]["alpn"] == "h2" and opens[c]["tls"] for c in h2_conns)
    # the fetch, as HTTP/2 frames with HPACK decoded: the request's HEADERS and the response's
    heads = [f for f in of(records, "h2", "frame", frame_type="HEADERS") if f["conn"] in h2_conns]
    paths = [dict(map(tuple, f.get("headers", []))).get(":path") for f in heads if f["dir"] == "c2s"]
    assert f"/index.html?live=127.0.0.1:{live_port}" in paths and "/data.json" in paths
    assert [":status", "200"] in [h for f in heads if f["dir"] == "s2c" for h in f.get("headers", [])]
    # the WebSocket: the browser's masked frame and the server's answer, inflated where compressed
    ws_texts = [(m["dir"], m.get("text")) for m in of(records, "ws", "message")]
    assert ("c2s", "hello from chromium") in ws_texts and ("s2c", "echo: hello from chromium") in ws_texts
    assert all(f["masked"] == (f["dir"] == "c2s") for f in of(records, "ws", "frame"))
    # the EventSource: every event as it arrived
    assert [e["data"] for e in of(records, "sse", "event")] == ["tick 1", "tick 2", "tick 3"]
    ends = of(records, "proxy", "end")
    assert {"h2", "ws", "sse"} <= {e["protocol"] for e in ends}
    assert [e["error"] for e in ends if e["protocol"] == "ws"] == [None]  # the page closed it with 1000
    assert [e["close_code"] for e in ends if e["protocol"] == "ws"] == [1000]
