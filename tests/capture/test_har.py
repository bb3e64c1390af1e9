"""HAR 1.2 out (``--har FILE`` on ws connect, sse tail, h2 get; ``capture export --har``): every field the
HAR 1.2 spec requires, WebSocket messages in Chrome's ``_webSocketMessages`` and SSE events in
``_eventSourceMessages``, the same data as the live ``--json``, secrets redacted unless asked."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

from conftest import ServeProcess, run_wiretool

# HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/): the fields each object must have.
REQUIRED: dict[str, tuple[str, ...]] = {
    "log": ("version", "creator", "entries"),
    "creator": ("name", "version"),
    "entry": ("startedDateTime", "time", "request", "response", "cache", "timings"),
    "request": ("method", "url", "httpVersion", "cookies", "headers", "queryString", "headersSize", "bodySize"),
    "response": ("status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL",
                 "headersSize", "bodySize"),
    "content": ("size", "mimeType"),
    "timings": ("send", "wait", "receive"),
    "pair": ("name", "value"),
    "postData": ("mimeType", "params", "text"),
}


def check_har(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Assert ``doc`` has the shape HAR 1.2 requires (field names and JSON types); return its entries."""
    def has(obj: Any, kind: str) -> None:
        assert isinstance(obj, dict), kind
        missing = [k for k in REQUIRED[kind] if k not in obj]
        assert not missing, f"{kind} lacks {missing}"

    has(doc["log"], "log")
    log = doc["log"]
    assert log["version"] == "1.2"
    has(log["creator"], "creator")
    assert isinstance(log["entries"], list)
    for e in log["entries"]:
        has(e, "entry")
        dt.datetime.fromisoformat(e["startedDateTime"].replace("Z", "+00:00"))  # ISO 8601
        assert isinstance(e["time"], (int, float)) and e["time"] >= 0
        for part in ("request", "response"):
            has(e[part], part)
            for key in ("cookies", "headers") + (("queryString",) if part == "request" else ()):
                assert isinstance(e[part][key], list)
                for pair in e[part][key]:
                    has(pair, "pair")
                    assert isinstance(pair["name"], str) and isinstance(pair["value"], str)
            assert isinstance(e[part]["headersSize"], int) and isinstance(e[part]["bodySize"], int)
        if "postData" in e["request"]:
            has(e["request"]["postData"], "postData")
        assert isinstance(e["response"]["status"], int)
        has(e["response"]["content"], "content")
        has(e["timings"], "timings")
        assert all(isinstance(e["timings"][k], (int, float)) for k in REQUIRED["timings"])
        assert isinstance(e["cache"], dict)
    return log["entries"]


def test_ws_connect_har_holds_the_messages_as_chrome_writes_them(tmp_path: Path) -> None:
    server = ServeProcess("ws", "--show", "none")
    try:
        har, cap, again = tmp_path / "ws.har", tmp_path / "ws.wtcap", tmp_path / "export.har"
        res = run_wiretool(["ws", "connect", server.url, "--send", "hello", "--send-hex", "00ff10", "--count", "2",
                            "-H", "Authorization: Bearer s3cret", "--har", str(har), "--record", str(cap), "--json"])
        assert res.exit_code == 0, res.stderr
    finally:
        server.stop()
    (entry,) = check_har(json.loads(har.read_text()))
    assert entry["_resourceType"] == "websocket" and entry["response"]["status"] == 101
    assert entry["request"]["url"] == server.url + "/"
    assert {"name": "Authorization", "value": "<redacted>"} in entry["request"]["headers"]
    assert "s3cret" not in har.read_text()
    live = [r for r in res.json_lines() if r["type"] == "frame" and r["opcode"] in (1, 2)]  # one frame each
    msgs = entry["_webSocketMessages"]
    assert [(m["type"], m["opcode"]) for m in msgs] == [
        ("send" if r["dir"] == "send" else "receive", r["opcode"]) for r in live] and len(live) == 4
    for m, r in zip(msgs, live, strict=True):
        data = m["data"] if m["opcode"] == 1 else base64.b64decode(m["data"]).hex()
        assert data == (r["payload_text"] if m["opcode"] == 1 else r["payload_hex"])
        assert isinstance(m["time"], float) and m["time"] > 1e9  # epoch seconds, as Chrome writes it
    exported = run_wiretool(["capture", "export", str(cap), "--har", str(again)])
    assert exported.exit_code == 0, exported.stderr
    assert json.loads(again.read_text())["log"]["entries"] == [entry]  # the capture round-trips to the same HAR


def test_sse_tail_har_holds_the_events(tmp_path: Path) -> None:
    server = ServeProcess("sse", "--interval", "0.01")
    try:
        har = tmp_path / "sse.har"
        res = run_wiretool(["sse", "tail", f"{server.url}/events?count=3", "--no-reconnect", "--har", str(har),
                            "--json"])
        assert res.exit_code == 0, res.stderr
    finally:
        server.stop()
    (entry,) = check_har(json.loads(har.read_text()))
    assert entry["_resourceType"] == "eventsource" and entry["response"]["status"] == 200
    assert entry["response"]["content"]["mimeType"].startswith("text/event-stream")
    live = [r for r in res.json_lines() if r["type"] == "event"]
    assert [(m["eventName"], m["eventId"], m["data"]) for m in entry["_eventSourceMessages"]] == [
        (r["event"], r["id"], r["data"]) for r in live] and len(live) == 3


def test_h2_get_har_has_one_entry_per_request_with_its_body(tmp_path: Path) -> None:
    server = ServeProcess("h2")
    try:
        har = tmp_path / "h2.har"
        res = run_wiretool(["h2", "get", f"{server.url}/", f"{server.url}/trailers?x=1", "--har", str(har),
                            "--json"])
        assert res.exit_code == 0, res.stderr
    finally:
        server.stop()
    entries = check_har(json.loads(har.read_text()))
    assert [(e["request"]["url"], e["response"]["status"], e["request"]["httpVersion"]) for e in entries] == [
        (f"{server.url}/", 200, "HTTP/2"), (f"{server.url}/trailers?x=1", 200, "HTTP/2")]
    assert entries[1]["request"]["queryString"] == [{"name": "x", "value": "1"}]
    assert entries[1]["response"]["content"]["text"] == "this response has trailers\n"


def test_export_without_an_output_or_of_a_broken_capture_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.wtcap"
    bad.write_bytes(b'{"capture":"wiretool","format":2,"proto":"ws","url":"ws://x/"}\n\x7f')
    for args in (["capture", "export", str(bad)], ["capture", "export", str(bad), "--har", str(tmp_path / "o")]):
        res = run_wiretool(args)
        assert res.exit_code == 2 and len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.stderr


def test_exports_redact_as_the_capture_does_unless_show_secrets(tmp_path: Path) -> None:
    server = ServeProcess("h2")
    try:
        kept = tmp_path / "kept.wtcap"
        res = run_wiretool(["h2", "get", f"{server.url}/", "-H", "Authorization: Bearer s3cret-h2",
                            "--record", str(kept), "--show-secrets"])
        assert res.exit_code == 0, res.stderr
    finally:
        server.stop()
    for flag, seen in (([], False), (["--show-secrets"], True)):
        har, pcap = tmp_path / f"o{len(flag)}.har", tmp_path / f"o{len(flag)}.pcapng"
        out = run_wiretool(["capture", "export", str(kept), "--har", str(har), "--pcapng", str(pcap), *flag])
        assert out.exit_code == 0, out.stderr
        assert ("s3cret-h2" in har.read_text()) is seen
        if not seen:  # kept, the value is Huffman-coded in the HPACK bytes (not greppable); redacted, it is "*"s
            assert b"********" in pcap.read_bytes()  # the Huffman string overwritten by as many "*", in place
        headers = check_har(json.loads(har.read_text()))[0]["request"]["headers"]
        value = next(h["value"] for h in headers if h["name"].lower() == "authorization")
        assert value == ("Bearer s3cret-h2" if seen else "<redacted>")
