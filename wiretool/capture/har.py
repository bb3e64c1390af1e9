"""A capture as HAR 1.2 (``capture export --har``, ``--har FILE``), for Chrome DevTools, HTTP Toolkit, Proxyman.

Every request and response the bytes hold is one entry (HTTP/1.1 and HTTP/2 alike, rebuilt by
:mod:`wiretool.capture.exchanges`); a WebSocket session is one entry for its upgrade with its data messages in
Chrome's ``_webSocketMessages`` (``type`` send/receive, ``time`` in epoch seconds, ``opcode``, ``data``: text,
or base64 for a binary message), and an SSE response carries its events in ``_eventSourceMessages``
(``time``, ``eventName``, ``eventId``, ``data``). Header values are redacted as everywhere else unless
``show_secrets``; the bytes a capture kept are already redacted as it was recorded.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from wiretool import __version__
from wiretool.secrets import redact, redact_url

if TYPE_CHECKING:
    from wiretool.capture.exchanges import Exchange
    from wiretool.capture.file import Capture


def write_har(cap: Capture, path: str | Path, *, show_secrets: bool = False) -> None:
    """Write ``cap`` as a HAR 1.2 file at ``path``."""
    text = json.dumps(har(cap, show_secrets=show_secrets), ensure_ascii=False, indent=1)
    Path(path).write_text(text + "\n", encoding="utf-8")


def har(cap: Capture, *, show_secrets: bool = False) -> dict[str, Any]:
    """The HAR object of ``cap``: ``{"log": {"version": "1.2", "creator", "pages", "entries"}}``."""
    start = _start(cap)
    entries: list[dict[str, Any]] = []
    for sub in cap.split() if len(cap.connections) > 1 else [cap]:
        if sub.proto == "ws":
            entries += _ws_entries(sub, start, show_secrets)
        else:
            entries += _http_entries(sub, start, show_secrets)
    entries.sort(key=lambda e: e["startedDateTime"])
    return {"log": {"version": "1.2", "creator": {"name": "wiretool", "version": __version__},
                    "pages": [], "entries": entries}}


def _start(cap: Capture) -> float:
    try:
        return _dt.datetime.fromisoformat(str(cap.header.get("start", ""))).timestamp()
    except ValueError:
        return 0.0


def _iso(when: float) -> str:
    return _dt.datetime.fromtimestamp(when, _dt.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _ms(seconds: float) -> float:
    return round(max(seconds, 0.0) * 1000, 3)


def _headers(pairs: Any, show_secrets: bool) -> list[dict[str, str]]:
    return [{"name": str(n), "value": redact(str(n), str(v), show_secrets)} for n, v in pairs]


def _cookies() -> list[dict[str, str]]:
    return []  # their values are secrets (Cookie, Set-Cookie): the headers say they were there


def _server_ip(cap: Capture) -> dict[str, Any]:
    c = next(iter(cap.connections.values()), None)
    out: dict[str, Any] = {}
    if c is not None and c.server is not None:
        out["serverIPAddress"] = c.server[0]
        out["connection"] = str(c.server[1])
    return out


def _entry(*, started: float, url: str, method: str, http_version: str, req_headers: Any, req_body: bytes,
           status: int, reason: str, resp_version: str, resp_headers: Any, body: bytes, wait: float,
           receive: float, show_secrets: bool) -> dict[str, Any]:
    """One entry with every field HAR 1.2 requires."""
    mime = next((str(v) for n, v in resp_headers if str(n).lower() == "content-type"), "")
    content: dict[str, Any] = {"size": len(body), "mimeType": mime}
    if body:
        try:
            content["text"] = body.decode("utf-8")
        except UnicodeDecodeError:
            content["text"], content["encoding"] = base64.b64encode(body).decode("ascii"), "base64"
    request: dict[str, Any] = {
        "method": method, "url": redact_url(url, show_secrets), "httpVersion": http_version,
        "cookies": _cookies(), "headers": _headers(req_headers, show_secrets),
        "queryString": [{"name": n, "value": v} for n, v in parse_qsl(urlsplit(url).query, keep_blank_values=True)],
        "headersSize": -1, "bodySize": len(req_body),
    }
    if req_body:
        ctype = next((str(v) for n, v in req_headers if str(n).lower() == "content-type"), "")
        request["postData"] = {"mimeType": ctype, "params": [], "text": req_body.decode("utf-8", errors="replace")}
    return {
        "startedDateTime": _iso(started), "time": _ms(wait + receive),
        "request": request,
        "response": {"status": status, "statusText": reason, "httpVersion": resp_version, "cookies": _cookies(),
                     "headers": _headers(resp_headers, show_secrets), "content": content,
                     "redirectURL": next((str(v) for n, v in resp_headers if str(n).lower() == "location"), ""),
                     "headersSize": -1, "bodySize": len(body)},
        "cache": {}, "timings": {"send": 0, "wait": _ms(wait), "receive": _ms(receive)},
    }


def _http_entries(cap: Capture, start: float, show_secrets: bool) -> list[dict[str, Any]]:
    from wiretool.capture.exchanges import exchanges

    first_t = {c.conn: c.t for c in reversed(cap.chunks)}
    parts = urlsplit(str(cap.header.get("url", "")))
    origin = f"{parts.scheme}://{parts.netloc}" if parts.netloc else ""
    out = []
    for ex in exchanges(cap.chunks):
        if ex.request is None:
            continue
        t0 = first_t.get(ex.conn, 0.0)
        out.append(_http_entry(cap, ex, origin, parts.scheme or "http", start, t0, show_secrets))
    return out


def _http_entry(cap: Capture, ex: Exchange, origin: str, scheme: str, start: float, t0: float,
                show_secrets: bool) -> dict[str, Any]:
    req, resp = ex.request, ex.response
    assert req is not None
    method, target = req.method, req.target
    headers = list(req.headers)
    if ex.http2:
        authority = next((v for n, v in headers if n == ":authority"), "")
        url = f"{scheme}://{authority}{target}" if authority else origin + target
        headers = [(n, v) for n, v in headers if n != ":authority"]
        version = "HTTP/2"
    else:
        url = target if "://" in target else origin + target
        version = req.start_line.rsplit(" ", 1)[-1] if " " in req.start_line else "HTTP/1.1"
    body = b"".join(data for _, data in ex.body)
    end_t = ex.body[-1][0] if ex.body else ex.response_t
    status, reason, resp_version, resp_headers = 0, "", version, []
    if resp is not None:
        status = resp.status or 0
        bits = resp.start_line.split(" ", 2)
        reason = bits[2] if len(bits) > 2 else ""
        resp_version, resp_headers = bits[0], list(resp.headers)
    entry = _entry(started=start + t0, url=url, method=method, http_version=version, req_headers=headers,
                   req_body=bytes(ex.request_body), status=status, reason=reason, resp_version=resp_version,
                   resp_headers=resp_headers, body=body, wait=ex.response_t - t0, receive=end_t - ex.response_t,
                   show_secrets=show_secrets)
    entry.update(_server_ip(cap))
    ctype = next((str(v) for n, v in resp_headers if str(n).lower() == "content-type"), "")
    if ctype.lower().startswith("text/event-stream"):
        entry["_resourceType"] = "eventsource"
        entry["_eventSourceMessages"] = _events(ex, start)
    return entry


def _events(ex: Exchange, start: float) -> list[dict[str, Any]]:
    from wiretool.codec.sse import Event, SseParser

    parser = SseParser()
    out = []
    for t, data in ex.body:
        for item in parser.feed(data):
            if type(item) is Event:
                out.append({"time": round(start + t, 6), "eventName": item.event, "eventId": item.id or "",
                            "data": item.data})
    if ex.ended:
        t = ex.body[-1][0] if ex.body else ex.response_t
        out += [{"time": round(start + t, 6), "eventName": i.event, "eventId": i.id or "", "data": i.data}
                for i in parser.end() if type(i) is Event]
    return out


def _ws_entries(cap: Capture, start: float, show_secrets: bool) -> list[dict[str, Any]]:
    from wiretool.capture.decode_ws import decode_ws
    from wiretool.records.ws import WsMessage
    from wiretool.records.ws_session import WsHandshake

    request: WsHandshake | None = None
    response: WsHandshake | None = None
    messages: list[dict[str, Any]] = []
    t0 = cap.chunks[0].t if cap.chunks else 0.0
    for rec in decode_ws(cap, show_secrets=show_secrets):
        if type(rec) is WsHandshake:
            if rec.dir == "send":
                request = rec
            else:
                response = rec
        elif type(rec) is WsMessage and rec.opcode in (1, 2):
            if rec.opcode == 1:
                data = rec.payload.decode("utf-8", errors="replace")
            else:
                data = base64.b64encode(rec.payload).decode("ascii")
            messages.append({"type": "send" if rec.dir == "send" else "receive", "time": round(start + rec.t, 6),
                             "opcode": rec.opcode, "data": data})
    if request is None:
        return []
    line = request.request_line.split(" ")
    target = line[1] if len(line) > 1 else "/"
    parts = urlsplit(str(cap.header.get("url", "")))
    url = target if "://" in target else f"{parts.scheme or 'ws'}://{parts.netloc}{target}"
    end_t = cap.chunks[-1].t if cap.chunks else t0
    resp_t = response.t if response is not None else t0
    entry = _entry(started=start + t0, url=url, method=line[0] or "GET",
                   http_version=line[2] if len(line) > 2 else "HTTP/1.1", req_headers=request.headers, req_body=b"",
                   status=(response.status or 0) if response else 0, reason=response.reason if response else "",
                   resp_version="HTTP/1.1", resp_headers=response.headers if response else [], body=b"",
                   wait=resp_t - t0, receive=end_t - resp_t, show_secrets=True)  # decode_ws redacted them
    entry.update(_server_ip(cap))
    entry["_resourceType"] = "websocket"
    entry["_webSocketMessages"] = messages
    return entry and [entry]
