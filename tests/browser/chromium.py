"""Headless Chromium driven over the DevTools protocol: load a page through a proxy, wait, take a screenshot.

Chromium is started with ``--proxy-server`` (see :data:`BYPASS` and :data:`RESOLVE`) and ``--ignore-certificate-errors-spki-list`` naming the proxy CA's key, so it
accepts the leaves wiretool signs (the chain the proxy sends holds the CA). The DevTools client is the
websockets library's sync client over loopback; Chromium's profile lives in a temporary directory.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

BYPASS = "<-loopback>;*.com;*.net;*.org;*.io"
"""Proxy 127.0.0.1 (Chromium bypasses loopback unless told ``<-loopback>``); Chromium's own background
requests (updates, sign-in, hints) go direct instead, where :data:`RESOLVE` makes them fail at once."""
RESOLVE = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"
"""Every name but 127.0.0.1 is unresolvable: nothing the browser does leaves the machine."""


def origin_certs(tmp_path: Path) -> tuple[Path, Path]:
    """A test CA and a 127.0.0.1 leaf for an origin server the browser reaches through the forward proxy:
    the CA file (for the proxy's ``--cacert``) and the key + chain file (the server's cert and key)."""
    import trustme

    ca = trustme.CA()
    server_ca, chain = tmp_path / "server-ca.pem", tmp_path / "server.pem"
    ca.cert_pem.write_to_path(str(server_ca))
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(chain))
    return server_ca, chain


class Chromium:
    """One headless Chromium process and a DevTools connection to its first page."""

    def __init__(self, *, proxy: str, spki: str, profile: Path, args: tuple[str, ...] = ()) -> None:
        self.proc = subprocess.Popen(
            ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
             "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--metrics-recording-only",
             f"--user-data-dir={profile}", f"--proxy-server={proxy}", f"--proxy-bypass-list={BYPASS}", f"--host-resolver-rules={RESOLVE}",
             f"--ignore-certificate-errors-spki-list={spki}", "--remote-debugging-port=0",
             "--window-size=900,500", *args, "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        assert self.proc.stderr is not None
        deadline = time.monotonic() + 30
        port = None
        while port is None and time.monotonic() < deadline:
            line = self.proc.stderr.readline()
            if not line and self.proc.poll() is not None:
                raise RuntimeError(f"chromium exited with {self.proc.returncode}")
            found = re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)
            if found:
                port = int(found.group(1))
        if port is None:
            raise RuntimeError("chromium did not open its DevTools port")
        pages = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10).read())
        target = next(p for p in pages if p.get("type") == "page")
        from websockets.sync.client import connect

        self._stack = contextlib.ExitStack()
        self.ws = self._stack.enter_context(connect(target["webSocketDebuggerUrl"], max_size=64 * 1024 * 1024,
                                                    proxy=None))
        self._id = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """One DevTools command and its result (events that arrive meanwhile are dropped)."""
        self._id += 1
        self.ws.send(json.dumps({"id": self._id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=30))
            if msg.get("id") == self._id:
                if "error" in msg:
                    raise RuntimeError(f"{method}: {msg['error']}")
                return msg.get("result", {})

    def load_until_title(self, url: str, title: str, timeout: float = 30) -> str:
        """Navigate to ``url`` and wait until ``document.title`` is ``title`` (the page sets it when done)."""
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + timeout
        seen = ""
        while time.monotonic() < deadline:
            seen = self.call("Runtime.evaluate", expression="document.title")["result"].get("value", "")
            if seen == title:
                break
            time.sleep(0.2)
        return seen

    def text(self) -> str:
        return self.call("Runtime.evaluate", expression="document.body.innerText")["result"].get("value", "")

    def screenshot(self, path: Path) -> None:
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))

    def close(self) -> None:
        try:
            self._stack.close()
        finally:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
