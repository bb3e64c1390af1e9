"""The MQTT view: MQTT 3.1.1 and 5.0 control packets over WebSocket (subprotocol ``mqtt``).

MQTT over WebSocket may split a packet across WebSocket messages and put several in one (MQTT 5.0 §6.0),
so the view keeps, per direction, the start of a packet that has not all arrived (in
``ViewContext.state``, at most :data:`MAX_PARTIAL` bytes: a longer packet is named and its bytes skipped).
The protocol level comes from the CONNECT seen (5 = MQTT 5.0: properties and reason codes); until one is
seen 3.1.1 is assumed. A remaining length that does not fit the packet's fields is named as a lie; a
reserved packet type ends the view's reading of that message. Spec: MQTT 3.1.1 and 5.0 (OASIS), §2-3.
"""

from __future__ import annotations

from typing import Any

from wiretool.views.base import Line, Payload, ViewContext, ViewResult
from wiretool.views.subproto import BY_SUBPROTOCOL, Bounded, answering, preview, state, subprotocol_is

MAX_PARTIAL = 256 * 1024
"""Bytes of an unfinished packet kept per direction; a packet longer than this is named and skipped."""
MAX_PACKETS = 200
"""Packets of one message put in the fields (the rest are counted)."""
MAX_READ = 2000
"""Packets of one message read at all: past that the rest of the message is skipped (bounded work per message,
whatever a peer packs into 16 MiB), and the view starts afresh with the next message."""
MAX_LIST = 100
"""Topics of a SUBSCRIBE (reason codes of a SUBACK...) put in the fields."""

TYPES = ("RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL", "PUBCOMP", "SUBSCRIBE",
         "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH")
_FLAGS_TWO = (6, 8, 10)  # PUBREL, SUBSCRIBE, UNSUBSCRIBE: fixed-header flags 0010 (§2.2.2)
_FIXED_LENGTH = {12: 0, 13: 0}  # PINGREQ, PINGRESP: no variable header (3.1.1 and 5.0)
_FIXED_LENGTH_V4 = {2: 2, 4: 2, 5: 2, 6: 2, 7: 2, 11: 2, 14: 0}  # 3.1.1: exactly these

CONNACK_V4 = {0: "Connection Accepted", 1: "unacceptable protocol version", 2: "identifier rejected",
              3: "server unavailable", 4: "bad user name or password", 5: "not authorized"}
REASONS_V5 = {
    0: "Success", 1: "Granted QoS 1", 2: "Granted QoS 2", 4: "Disconnect with Will Message",
    16: "No matching subscribers", 17: "No subscription existed", 24: "Continue authentication",
    25: "Re-authenticate", 128: "Unspecified error", 129: "Malformed Packet", 130: "Protocol Error",
    131: "Implementation specific error", 132: "Unsupported Protocol Version", 133: "Client Identifier not valid",
    134: "Bad User Name or Password", 135: "Not authorized", 136: "Server unavailable", 137: "Server busy",
    138: "Banned", 139: "Server shutting down", 140: "Bad authentication method", 141: "Keep Alive timeout",
    142: "Session taken over", 143: "Topic Filter invalid", 144: "Topic Name invalid",
    145: "Packet Identifier in use", 146: "Packet Identifier not found", 147: "Receive Maximum exceeded",
    148: "Topic Alias invalid", 149: "Packet too large", 150: "Message rate too high", 151: "Quota exceeded",
    152: "Administrative action", 153: "Payload format invalid", 154: "Retain not supported",
    155: "QoS not supported", 156: "Use another server", 157: "Server moved",
    158: "Shared Subscriptions not supported", 159: "Connection rate exceeded", 160: "Maximum connect time",
    161: "Subscription Identifiers not supported", 162: "Wildcard Subscriptions not supported",
}
PROPERTIES = {  # MQTT 5.0 §2.2.2.2: id -> (name, kind)
    1: ("payload_format_indicator", "u8"), 2: ("message_expiry_interval", "u32"), 3: ("content_type", "str"),
    8: ("response_topic", "str"), 9: ("correlation_data", "bin"), 11: ("subscription_identifier", "var"),
    17: ("session_expiry_interval", "u32"), 18: ("assigned_client_identifier", "str"),
    19: ("server_keep_alive", "u16"), 21: ("authentication_method", "str"), 22: ("authentication_data", "bin"),
    23: ("request_problem_information", "u8"), 24: ("will_delay_interval", "u32"),
    25: ("request_response_information", "u8"), 26: ("response_information", "str"),
    28: ("server_reference", "str"), 31: ("reason_string", "str"), 33: ("receive_maximum", "u16"),
    34: ("topic_alias_maximum", "u16"), 35: ("topic_alias", "u16"), 36: ("maximum_qos", "u8"),
    37: ("retain_available", "u8"), 38: ("user_property", "pair"), 39: ("maximum_packet_size", "u32"),
    40: ("wildcard_subscription_available", "u8"), 41: ("subscription_identifier_available", "u8"),
    42: ("shared_subscription_available", "u8"),
}


class _Short(Exception):
    """A field runs past the end of the packet: its remaining length lies (or the packet is malformed)."""


class _Reader:
    """Reads the fields of one packet body by offset (no re-slicing); :class:`_Short` past its end."""

    def __init__(self, data: memoryview) -> None:
        self.data, self.pos = data, 0

    def left(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int, what: str) -> memoryview:
        if self.pos + n > len(self.data):
            raise _Short(what)
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def u8(self, what: str) -> int:
        return self.take(1, what)[0]

    def u16(self, what: str) -> int:
        return int.from_bytes(self.take(2, what), "big")

    def u32(self, what: str) -> int:
        return int.from_bytes(self.take(4, what), "big")

    def var(self, what: str) -> int:
        value = 0
        for i in range(4):
            b = self.u8(what)
            value |= (b & 0x7F) << (7 * i)
            if not b & 0x80:
                return value
        raise _Short(f"{what} (a variable byte integer longer than 4 bytes)")

    def binary(self, what: str) -> bytes:
        return bytes(self.take(self.u16(what), what))

    def text(self, what: str) -> str:
        return self.binary(what).decode("utf-8", "replace")


def _remaining_length(data: memoryview, pos: int) -> tuple[int, int] | str | None:
    """(remaining length, header length) at ``pos``; None when the header has not all arrived; a str when
    the remaining length is longer than its 4 bytes (§2.2.3)."""
    value = 0
    for i in range(4):
        if pos + 1 + i >= len(data):
            return None
        b = data[pos + 1 + i]
        value |= (b & 0x7F) << (7 * i)
        if not b & 0x80:
            return value, 2 + i
    return "the remaining length runs past its 4 bytes (MQTT §2.2.3)"


def _properties(r: _Reader) -> dict[str, Any]:
    """An MQTT 5.0 property list (its length, then id/value pairs), by name."""
    end = r.var("property length")
    if end > r.left():
        raise _Short("properties")
    stop = r.pos + end
    props: dict[str, Any] = {}
    while r.pos < stop:
        ident = r.var("property id")
        name, kind = PROPERTIES.get(ident, (f"property_{ident}", ""))
        if kind == "u8":
            value: Any = r.u8(name)
        elif kind == "u16":
            value = r.u16(name)
        elif kind == "u32":
            value = r.u32(name)
        elif kind == "var":
            value = r.var(name)
        elif kind == "str":
            value = preview(r.text(name))
        elif kind == "bin":
            value = r.binary(name)[:64].hex()
        elif kind == "pair":
            value = [preview(r.text(name)), preview(r.text(name))]
        else:
            raise _Short(f"unknown property {ident}: the rest cannot be read")
        if name in ("user_property", "subscription_identifier"):
            props.setdefault(name, [])
            if len(props[name]) < MAX_LIST:
                props[name].append(value)
        else:
            props[name] = value
        if r.pos > stop:
            raise _Short("properties")
    return props


def _reason(code: int, v5: bool, connack: bool = False) -> str:
    if connack and not v5:
        return CONNACK_V4.get(code, f"reserved return code {code}")
    return REASONS_V5.get(code, f"reason code {code}")


def _payload(data: bytes, fields: dict[str, Any]) -> str:
    """A PUBLISH payload in the fields (text when UTF-8, else the start in hex) and for its line."""
    fields["payload_length"] = len(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        fields["payload_hex"] = data[:64].hex()
        return f"{len(data)} bytes: {data[:32].hex()}" + ("..." if len(data) > 32 else "")
    fields["payload"] = preview(text)
    return f"{len(data)} bytes: {preview(text, 80)}"


class MqttView:
    """MQTT control packets, whole or split across WebSocket messages."""

    name = "mqtt"
    summary = "MQTT 3.1.1 and 5.0 control packets, split across and joined within messages; acks matched"
    subprotocols: tuple[str, ...] = ("mqtt", "mqttv3.1")

    def render_priority(self, payload: Payload, context: ViewContext) -> float:
        if subprotocol_is(context, self.subprotocols):
            return BY_SUBPROTOCOL
        # Without the subprotocol: a CONNECT naming MQTT is unmistakable; nothing else is claimed.
        if isinstance(payload, bytes) and payload[:1] == b"\x10" and (b"\x00\x04MQTT" in payload[:12]
                                                                     or b"\x00\x06MQIsdp" in payload[:14]):
            return 1.2
        return 0.0

    def decode(self, payload: Payload, context: ViewContext) -> ViewResult:
        data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else payload
        mine = state(context, self.name)
        side = mine.setdefault(context.dir or "-", {"buf": bytearray(), "need": 0, "skip": 0})
        pending: Bounded = mine.setdefault("pending", Bounded())
        packets: list[dict[str, Any]] = []
        lines: list[Line] = []
        complaints: list[str] = []
        view = memoryview(data)
        pos = 0
        if side["skip"]:
            n = min(side["skip"], len(view))
            side["skip"] -= n
            pos = n
            lines.append((f"{n} more bytes of the packet too long to keep"
                          + (f" ({side['skip']} still to come)" if side["skip"] else ""), "dim"))
        buf: bytearray = side["buf"]
        if buf and side["need"]:  # the body of a packet begun in an earlier message
            add = min(side["need"] - len(buf), len(view) - pos)
            buf += view[pos:pos + add]
            pos += add
            if len(buf) < side["need"]:
                return self._result(packets, lines, complaints, (len(buf), side["need"]))
            whole = memoryview(bytes(buf))
            buf.clear()
            side["need"] = 0
            head = _remaining_length(whole, 0)
            assert isinstance(head, tuple)
            self._packet(whole, 0, head, mine, context, pending, packets, lines)
        elif buf:  # a fixed header begun in an earlier message (at most 4 bytes)
            view = memoryview(bytes(buf) + bytes(view[pos:]))
            pos = 0
            buf.clear()
        partial: tuple[int, int] | None = None
        read = len(packets)
        while pos < len(view):
            if read >= MAX_READ:
                complaints.append(f"more than {MAX_READ} packets in one message: the rest ({len(view) - pos} "
                                  "bytes) is not read")
                break
            head = _remaining_length(view, pos)
            if head is None:
                buf += view[pos:]
                partial = (len(buf), 0)
                break
            if isinstance(head, str):
                complaints.append(f"{head}: the rest of this message ({len(view) - pos} bytes) is not read")
                break
            ptype = view[pos] >> 4
            if ptype == 0 or (ptype == 15 and mine.get("version", 4) < 5):
                complaints.append(f"reserved packet type {ptype} at byte {pos}: not MQTT, or out of step; "
                                  f"the rest of this message ({len(view) - pos} bytes) is not read")
                break
            total = head[0] + head[1]
            if pos + total > len(view):
                have = len(view) - pos
                if total > MAX_PARTIAL:
                    side["skip"] = total - have
                    packets.append({"type": TYPES[ptype], "remaining_length": head[0], "too_long": True})
                    lines.append((f"{TYPES[ptype]} of {total} bytes: longer than the {MAX_PARTIAL} bytes the view "
                                  f"keeps; {have} here, the other {total - have} skipped", "yellow"))
                else:
                    buf += view[pos:]
                    side["need"] = total
                    partial = (have, total)
                break
            self._packet(view, pos, head, mine, context, pending, packets, lines)
            read += 1
            pos += total
        return self._result(packets, lines, complaints, partial, read)

    def _result(self, packets: list[dict[str, Any]], lines: list[Line], complaints: list[str],
                partial: tuple[int, int] | None, read: int | None = None) -> ViewResult:
        if len(packets) == 1:
            fields: dict[str, Any] = dict(packets[0])
        else:
            fields = {"type": "packets" if packets else "partial", "count": len(packets) if read is None else read,
                      "packets": packets[:MAX_PACKETS]}
        if partial is not None:
            have, need = partial
            fields["partial"] = {"have": have, "need": need} if need else {"have": have}
            lines.append((f"partial packet: {have} of {need or '?'} bytes, continued in the next message", "dim"))
        everything = [c for p in packets for c in p.get("complaints", ())] + complaints
        if everything:  # the packets' own (their lines are under each packet) and this message's
            fields["complaints"] = everything
            lines += [(c, "yellow") for c in complaints]
        return ViewResult(self.name, tuple(lines), fields=fields)

    def _packet(self, view: memoryview, pos: int, head: tuple[int, int], mine: dict[str, Any],
                context: ViewContext, pending: Bounded, packets: list[dict[str, Any]], lines: list[Line]) -> None:
        """One whole packet at ``pos``: its fields appended to ``packets``, its line to ``lines``."""
        first, (rl, hlen) = view[pos], head
        ptype, flags = first >> 4, first & 0x0F
        name = TYPES[ptype]
        fields: dict[str, Any] = {"type": name, "remaining_length": rl}
        own: list[str] = []
        if ptype != 3 and flags != (2 if ptype in _FLAGS_TWO else 0):
            own.append(f"{name} fixed-header flags {flags:04b}, not {2 if ptype in _FLAGS_TWO else 0:04b} "
                       "(MQTT §2.2.2)")
        fixed = _FIXED_LENGTH.get(ptype, _FIXED_LENGTH_V4.get(ptype) if mine.get("version", 4) < 5 else None)
        if fixed is not None and rl != fixed:
            own.append(f"remaining length {rl} lies: a {name} has {fixed}")
        r = _Reader(view[pos + hlen:pos + hlen + rl])
        try:
            text = self._body(ptype, flags, r, fields, mine, context, pending)
            if r.left() and ptype not in (3, 8, 9, 10, 11) and fixed is None:
                own.append(f"remaining length {rl} lies: {r.left()} bytes after the {name}'s last field")
        except _Short as exc:
            own.append(f"remaining length {rl} lies: the {name}'s {exc} runs past it")
            text = ""
        own = fields.pop("complaints", []) + own
        if own:
            fields["complaints"] = own
        if len(packets) < MAX_PACKETS:
            packets.append(fields)
            lines.append((f"{name} {text}".rstrip(), "bold"))
            lines.extend((c, "yellow") for c in own)
        elif len(packets) == MAX_PACKETS:
            lines.append(("... more packets not shown", "dim"))

    def _body(self, ptype: int, flags: int, r: _Reader, f: dict[str, Any], mine: dict[str, Any],
              context: ViewContext, pending: Bounded) -> str:
        """The variable header and payload of one packet into ``f``; the rest of its line."""
        v5 = mine.get("version", 4) >= 5
        if ptype == 1:  # CONNECT
            proto = r.text("protocol name")
            level = r.u8("protocol level")
            mine["version"] = level
            v5 = level >= 5
            cflags = r.u8("connect flags")
            f["keep_alive"] = r.u16("keep alive")
            f.update(protocol=proto, protocol_level=level, version={3: "3.1", 4: "3.1.1", 5: "5.0"}.get(level, "?"),
                     clean_start=bool(cflags & 2))
            if v5:
                f["properties"] = _properties(r)
            f["client_id"] = preview(r.text("client identifier"))
            if cflags & 4:
                f["will"] = {"qos": (cflags >> 3) & 3, "retain": bool(cflags & 32)}
                if v5:
                    f["will"]["properties"] = _properties(r)
                f["will"]["topic"] = preview(r.text("will topic"))
                f["will"]["payload_length"] = len(r.binary("will payload"))
            if cflags & 128:
                f["username"] = preview(r.text("user name"))
            if cflags & 64:  # never shown: the view does not know --show-secrets
                f["password"] = f"<redacted> ({len(r.binary('password'))} bytes)"
            return (f"MQTT {f['version']} client {f['client_id']!r} keep-alive {f['keep_alive']}s"
                    + (" clean" if f["clean_start"] else "") + (" will" if "will" in f else "")
                    + (f" user {f['username']!r}" if "username" in f else ""))
        if ptype == 2:  # CONNACK
            f["session_present"] = bool(r.u8("acknowledge flags") & 1)
            code = r.u8("return code")
            f["reason_code"], f["reason"] = code, _reason(code, v5, connack=True)
            if v5 and r.left():
                f["properties"] = _properties(r)
            return f"{code} {f['reason']}" + (" (session present)" if f["session_present"] else "")
        if ptype == 3:  # PUBLISH
            qos = (flags >> 1) & 3
            f.update(qos=qos, retain=bool(flags & 1), dup=bool(flags & 8))
            if qos == 3:
                f["complaints"] = ["QoS 3 is reserved (MQTT §3.3.1.2)"]
            f["topic"] = preview(r.text("topic name"))
            if qos:
                f["packet_id"] = r.u16("packet identifier")
                pending[(context.dir, f["packet_id"])] = (context.t, f["topic"])
            if v5:
                f["properties"] = _properties(r)
            shown = _payload(bytes(r.take(r.left(), "payload")), f)
            return (f"qos{qos}" + (f" #{f['packet_id']}" if qos else "") + (" retain" if f["retain"] else "")
                    + (" dup" if f["dup"] else "") + f" {f['topic']!r} {shown}")
        if ptype in (4, 5, 6, 7, 11):  # PUBACK PUBREC PUBREL PUBCOMP UNSUBACK
            f["packet_id"] = r.u16("packet identifier")
            text = f"#{f['packet_id']}"
            if ptype in (4, 5, 11):
                asked = pending.pop((answering(context.dir), f["packet_id"]), None)
                if asked is not None:
                    f["acknowledges"], f["rtt_ms"] = asked[1], round((context.t - asked[0]) * 1000, 3)
                    text += f" {asked[1]!r} in {f['rtt_ms']:g} ms"
            if v5 and ptype != 11 and r.left():
                code = r.u8("reason code")
                f["reason_code"], f["reason"] = code, _reason(code, v5)
                text += f" {code} {f['reason']}"
                if r.left():
                    f["properties"] = _properties(r)
            elif v5 and ptype == 11:
                f["properties"] = _properties(r)
                f["reason_codes"] = [_reason(c, v5) for c in bytes(r.take(r.left(), "reason codes"))[:MAX_LIST]]
                text += " " + ", ".join(f["reason_codes"])
            return text
        if ptype in (8, 10):  # SUBSCRIBE UNSUBSCRIBE
            f["packet_id"] = r.u16("packet identifier")
            if v5:
                f["properties"] = _properties(r)
            topics: list[Any] = []
            while r.left():
                topic = preview(r.text("topic filter"))
                if ptype == 8:
                    options = r.u8("subscription options")
                    topics.append({"topic": topic, "qos": options & 3})
                else:
                    topics.append(topic)
                if len(topics) >= MAX_LIST:
                    break
            if not topics:
                f["complaints"] = [f"a {TYPES[ptype]} with no topic filter (MQTT §3.8.3)"]
            f["topics"] = topics
            names = [t["topic"] if isinstance(t, dict) else t for t in topics]
            pending[(context.dir, f["packet_id"])] = (context.t, ", ".join(names)[:200])
            return f"#{f['packet_id']} " + ", ".join(
                f"{t['topic']!r} qos{t['qos']}" if isinstance(t, dict) else repr(t) for t in topics)
        if ptype == 9:  # SUBACK
            f["packet_id"] = r.u16("packet identifier")
            if v5:
                f["properties"] = _properties(r)
            codes = bytes(r.take(r.left(), "return codes"))
            f["return_codes"] = list(codes[:MAX_LIST])
            f["granted"] = [(f"qos{c}" if c < 3 else ("Failure" if not v5 and c == 0x80 else _reason(c, v5)))
                            for c in codes[:MAX_LIST]]
            text = f"#{f['packet_id']} " + ", ".join(f["granted"])
            asked = pending.pop((answering(context.dir), f["packet_id"]), None)
            if asked is not None:
                f["acknowledges"], f["rtt_ms"] = asked[1], round((context.t - asked[0]) * 1000, 3)
                text += f" for {asked[1]!r} in {f['rtt_ms']:g} ms"
            return text
        if ptype in (14, 15) and v5:  # DISCONNECT AUTH (5.0)
            if r.left():
                code = r.u8("reason code")
                f["reason_code"], f["reason"] = code, _reason(code, v5)
                if r.left():
                    f["properties"] = _properties(r)
                return f"{code} {f['reason']}"
            return ""
        return ""  # PINGREQ PINGRESP, DISCONNECT (3.1.1): nothing more


VIEW = MqttView()
