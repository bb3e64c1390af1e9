"""The JSON-RPC view: JSON-RPC 2.0 requests, notifications, responses and batches, and the Chrome DevTools
Protocol, which is JSON-RPC without the ``jsonrpc`` member (``{"id", "method", "params"}``, events without id;
rpc-websockets' events ``{"notification", "params"}`` are shown as notifications too).

A response is matched to its request by id (a request sent one way is answered the other way) and shows
the method it answers and the round-trip time between the two records' ``t``; an error is named by its
code (JSON-RPC 2.0 §5.1, plus LSP's). Pending ids are bounded (:data:`~wiretool.views.subproto.MAX_ENTRIES`).
"""

from __future__ import annotations

from typing import Any

from wiretool.views.base import Line, Payload, ViewContext, ViewResult
from wiretool.views.subproto import (
    BY_SHAPE,
    BY_SUBPROTOCOL,
    NOT_JSON,
    Bounded,
    answering,
    compact,
    parse_json,
    preview,
    small,
    state,
    subprotocol_is,
)

ERROR_NAMES = {
    -32700: "Parse error",
    -32600: "Invalid Request",
    -32601: "Method not found",
    -32602: "Invalid params",
    -32603: "Internal error",
    -32002: "ServerNotInitialized",  # LSP
    -32001: "UnknownErrorCode",  # LSP
    -32800: "RequestCancelled",  # LSP
    -32801: "ContentModified",  # LSP
    -32802: "ServerCancelled",  # LSP
    -32803: "RequestFailed",  # LSP
}
MAX_BATCH = 100
"""Members of a batch put in the fields and lines (the rest are counted)."""


def error_name(code: Any) -> str:
    """The name JSON-RPC 2.0 (or LSP) gives an error code."""
    if isinstance(code, bool) or not isinstance(code, int):
        return "invalid code"
    if code in ERROR_NAMES:
        return ERROR_NAMES[code]
    if -32099 <= code <= -32000:
        return "Server error"
    if -32768 <= code <= -32000:
        return "reserved"
    return "application error"


def _looks_like(value: Any) -> bool:
    """A JSON-RPC 2.0 or CDP message: a ``jsonrpc`` of "2.0", or a method, or an id with result/error."""
    if not isinstance(value, dict):
        return False
    if value.get("jsonrpc") == "2.0":
        return True
    if isinstance(value.get("method"), str) and set(value) <= {"id", "method", "params", "sessionId"}:
        return True
    if isinstance(value.get("notification"), str) and set(value) <= {"notification", "params"}:
        return True  # rpc-websockets' events
    return "id" in value and ("result" in value) != ("error" in value) and set(value) <= {
        "id", "result", "error", "sessionId"}


def _id(value: Any) -> Any:
    """An id for the fields: a string or number as it is, anything else (invalid) as short JSON."""
    if isinstance(value, str):
        return preview(value, 64)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else compact(value, 64)


def _key(direction: str, value: Any) -> tuple[str, str]:
    """The pending-request key: 1 and "1" are different ids."""
    return direction, compact(value, 64)


class JsonRpcView:
    """JSON-RPC 2.0 and CDP messages, responses matched to their requests with the round-trip time."""

    name = "jsonrpc"
    summary = "JSON-RPC 2.0 and Chrome DevTools Protocol: responses matched to requests with the RTT, batches, errors by name"
    subprotocols: tuple[str, ...] = ("jsonrpc", "jsonrpc-2.0", "json-rpc", "jsonrpc2")

    def render_priority(self, payload: Payload, context: ViewContext) -> float:
        value = parse_json(payload)
        if value is NOT_JSON:
            return 0.0
        if subprotocol_is(context, self.subprotocols):
            return BY_SUBPROTOCOL
        if isinstance(value, list):
            head = value[:MAX_BATCH]  # a batch: all members look like messages, or one says "jsonrpc": "2.0"
            fits = all(_looks_like(v) for v in head) or any(isinstance(v, dict) and v.get("jsonrpc") == "2.0"
                                                           for v in head)
            return BY_SHAPE if value and fits else 0.0
        return BY_SHAPE if _looks_like(value) else 0.0

    def decode(self, payload: Payload, context: ViewContext) -> ViewResult:
        value = parse_json(payload)
        if value is NOT_JSON:
            raise ValueError("not JSON: a JSON-RPC message is an object or a batch (an array)")
        pending: Bounded = state(context, self.name, Bounded)
        if isinstance(value, list):
            if not value:
                fields: dict[str, Any] = {"kind": "batch", "count": 0,
                                          "complaints": ["an empty batch (JSON-RPC 2.0 §6: Invalid Request)"]}
                return ViewResult(self.name, (("batch of 0", "bold"), (fields["complaints"][0], "yellow")),
                                  fields=fields)
            items = [self._one(v, context, pending) for v in value[:MAX_BATCH]]
            fields = {"kind": "batch", "count": len(value), "items": [f for f, _ in items]}
            lines: list[Line] = [(f"batch of {len(value)}", "bold")]
            for _, sub in items:
                lines += [("  " + text, style) for text, style in sub]
            if len(value) > MAX_BATCH:
                lines.append((f"  ... {len(value) - MAX_BATCH} more", "dim"))
            return ViewResult(self.name, tuple(lines), fields=fields)
        one, lines = self._one(value, context, pending)
        return ViewResult(self.name, tuple(lines), fields=one)

    def _one(self, value: Any, context: ViewContext, pending: Bounded) -> tuple[dict[str, Any], list[Line]]:
        """One message of a batch (or alone): its fields and lines."""
        if not isinstance(value, dict):
            text = f"not a JSON-RPC message: {compact(value, 80)}"
            return {"kind": "invalid", "complaints": [text]}, [(text, "yellow")]
        fields: dict[str, Any] = {}
        complaints: list[str] = []
        version = value.get("jsonrpc")
        if version is not None and version != "2.0":
            complaints.append(f"jsonrpc is {compact(version)}, not \"2.0\"")
        if isinstance(value.get("sessionId"), str):  # CDP: a message to or from an attached target
            fields["session"] = value["sessionId"]
        method = value.get("method")
        if method is None and isinstance(value.get("notification"), str) and "jsonrpc" not in value:
            method = value["notification"]  # rpc-websockets' event: {"notification": NAME, "params": [...]}
            fields["form"] = "rpc-websockets"
        has_id = "id" in value
        detail = ""
        if method is not None:
            if not isinstance(method, str):
                complaints.append("method is not a string")
                method = compact(method, 64)
            fields["method"] = method
            if "params" in value:
                fields["params"] = small(value["params"])
                detail = compact(value["params"])
            if has_id:
                ident = _id(value["id"])
                fields["kind"], fields["id"] = "request", ident
                key = _key(context.dir, value["id"])
                if key in pending:
                    complaints.append(f"id {ident} is already waiting for its response")
                pending[key] = (context.t, method)
                head = f"→ {method} #{ident}"
            else:
                fields["kind"] = "notification"
                head = f"• {method}"
        elif "result" in value or "error" in value:
            ident = _id(value.get("id"))
            fields["id"] = ident
            asked = pending.pop(_key(answering(context.dir), value.get("id")), None)
            if asked is not None:
                fields["request_method"] = asked[1]
                fields["rtt_ms"] = round((context.t - asked[0]) * 1000, 3)
            elif value.get("id") is not None:
                complaints.append(f"a response to id {ident}, which no request seen asked")
            if "result" in value and "error" in value:
                complaints.append("both result and error (JSON-RPC 2.0 §5: exactly one)")
            err = value.get("error")
            if "error" in value:
                fields["kind"] = "error"
                code = err.get("code") if isinstance(err, dict) else None
                message = err.get("message") if isinstance(err, dict) else err
                fields["error"] = {"code": code if isinstance(code, int) else compact(code, 32),
                                   "name": error_name(code),
                                   "message": preview(message if isinstance(message, str) else compact(message))}
                if isinstance(err, dict) and "data" in err:
                    fields["error"]["data"] = small(err["data"])
                detail = f"error {fields['error']['code']} {fields['error']['name']}: {fields['error']['message']}"
            else:
                fields["kind"] = "response"
                fields["result"] = small(value["result"])
                detail = compact(value["result"])
            head = f"← #{ident}" + (f" {asked[1]}" if asked else "")
            if asked is not None:
                head += f" in {fields['rtt_ms']:g} ms"
        else:
            fields["kind"] = "invalid"
            complaints.append("neither a method nor a result or error")
            head = "not a JSON-RPC message"
        if complaints:
            fields["complaints"] = complaints
        lines: list[Line] = [(head, "bold" if fields.get("kind") != "error" else "red")]
        if detail:
            lines.append((detail, ""))
        lines += [(c, "yellow") for c in complaints]
        return fields, lines


VIEW = JsonRpcView()
