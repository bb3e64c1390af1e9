"""The ``probe ws`` cases: Autobahn's fuzzingclient families, by Autobahn's case ids, as data.

A case is what to send (frames built byte by byte, so any rule can be broken), how to send it (whole, one
frame per write, or one octet per write: Autobahn's ``sync`` and ``chopsize``), what the server may answer
(each acceptable sequence of events with its verdict) and how the connection must end (who closes, with
which codes, cleanly or not). The runner (probe/ws_run.py) plays it; nothing here touches a socket.

Written from RFC 6455 and Autobahn's published case descriptions; each case quotes the rule it checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wiretool.probe import ws_utf8
from wiretool.probe.case import FAILED, INFORMATIONAL, NON_STRICT, OK

NORMAL, PROTOCOL_ERROR, INVALID_PAYLOAD, TOO_BIG = 1000, 1002, 1007, 1009


@dataclass(frozen=True)
class Frame:
    """Send one frame (masked, as a client must), optionally chopped into writes of ``chop`` octets."""

    opcode: int
    payload: bytes = b""
    fin: bool = True
    rsv: int = 0
    chop: int | None = None
    sync: bool = False
    """Write and drain this frame on its own (Autobahn's ``sync``: one TCP write per frame)."""
    length: int | None = None
    """Repeat ``payload`` up to this many bytes (large payloads are described, not stored)."""


@dataclass(frozen=True)
class Message:
    """Send one data message, fragmented into frames of ``fragment`` bytes when given."""

    opcode: int
    payload: bytes
    fragment: int | None = None
    chop: int | None = None


@dataclass(frozen=True)
class Close:
    """Send a close frame: ``code`` and ``reason``, or ``raw`` as its exact payload. We then closed first."""

    code: int | None = None
    reason: bytes = b""
    raw: bytes | None = None


@dataclass(frozen=True)
class Pause:
    """Wait, then note ``mark`` as an event (Autobahn's ``continueLater``: 6.4.x times when the server fails)."""

    seconds: float
    mark: str | None = None


@dataclass(frozen=True)
class Partial:
    """Send one frame in pieces cut at ``cuts`` (payload offsets), pausing and noting a mark between pieces
    (6.4.3/6.4.4: one frame whose invalid byte arrives a second after the valid ones)."""

    opcode: int
    payload: bytes
    cuts: tuple[int, ...]
    pauses: tuple[Pause, ...]


@dataclass(frozen=True)
class Repeat:
    """Send ``message`` ``count`` times, each after the echo of the previous one (9.7/9.8 round trips)."""

    message: Message
    count: int


Step = Frame | Message | Close | Pause | Partial | Repeat
Event = tuple


@dataclass(frozen=True)
class Ending:
    """How the connection must end (Autobahn's ``expectedClose``)."""

    by_me: bool
    """True: we start the closing handshake once the server answered as expected."""
    codes: tuple[int, ...]
    clean: bool
    """The closing handshake must complete and the server drop TCP."""
    wrong_endpoint_fatal: bool = False
    """A close started by the wrong side fails the case (the server did not detect the error at all)."""
    wrong_code_fatal: bool = False
    """A wrong close code fails the case, not just the close behaviour (7.x)."""


@dataclass(frozen=True)
class WsCase:
    """One conformance case."""

    id: str
    description: str
    expectation: str
    rfc: str
    steps: tuple[Step, ...]
    outcomes: dict[str, tuple[Event, ...]]
    ending: Ending
    wait: float = 1.0
    """After the steps: how long to wait for the server before ending the connection ourselves."""
    then: str = "kill"
    """``kill``: drop TCP after ``wait``; ``close``: start the closing handshake after ``wait``."""
    informational: bool = False
    deflate: bool = False
    deflate_offer: str = "permessage-deflate; client_max_window_bits"
    """The Sec-WebSocket-Extensions offer of a deflate case (13.x vary its parameters)."""
    limits: bool = False
    tags: tuple[str, ...] = field(default=())

    @property
    def family(self) -> str:
        return self.id.split(".")[0]


FAMILIES = {
    "1": "Framing", "2": "Pings/Pongs", "3": "Reserved bits", "4": "Opcodes", "5": "Fragmentation",
    "6": "UTF-8 handling", "7": "Close handling", "9": "Limits/performance", "10": "Misc (auto-fragmentation)", "12": "WebSocket compression",
    "13": "WebSocket compression (different parameters)",
}

_ECHO_CLOSE = Ending(True, (NORMAL,), True)
_FAIL = Ending(False, (PROTOCOL_ERROR,), False)
_HELLO = b"Hello, world!"

RFC_FRAMING = "RFC 6455 §5.2, §5.6: a server that echoes returns each data message as sent, at any length."
RFC_PING = "RFC 6455 §5.5.2: upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response, " \
           "with the Application data of the Ping."
RFC_CONTROL_LEN = "RFC 6455 §5.5: all control frames MUST have a payload length of 125 bytes or less."
RFC_UNSOLICITED = "RFC 6455 §5.5.3: a Pong frame MAY be sent unsolicited; a response to it is not expected."
RFC_RSV = "RFC 6455 §5.2: RSV1-3 MUST be 0 unless an extension defining them was negotiated; if a nonzero " \
          "value is received, the receiving endpoint MUST Fail the WebSocket Connection."
RFC_OPCODE = "RFC 6455 §5.2: if an unknown opcode is received, the receiving endpoint MUST Fail the WebSocket " \
             "Connection."
RFC_FRAG_CONTROL = "RFC 6455 §5.4: control frames MUST NOT be fragmented."
RFC_FRAG = "RFC 6455 §5.4: a fragmented message is a first frame with FIN clear and a data opcode, then " \
           "CONT frames, the last with FIN set; control frames MAY be injected between fragments."
RFC_CONT = "RFC 6455 §5.4: a continuation frame continues a fragmented message; with no message to continue, " \
           "the endpoint MUST Fail the WebSocket Connection."
RFC_UTF8 = "RFC 6455 §8.1: when an endpoint is to interpret a text message and finds it is not valid UTF-8, " \
           "it MUST Fail the WebSocket Connection (1007)."
RFC_CLOSE = "RFC 6455 §5.5.1: after sending a Close frame, the endpoint MUST NOT send any more data frames; " \
            "on receiving a Close, an endpoint MUST send a Close in response."
RFC_CLOSE_CODE = "RFC 6455 §7.4.1, §7.4.2: 1000-1003, 1007-1011 and 3000-4999 may be sent; 0-999, 1004-1006, " \
                 "1015 and 1016-2999 unassigned MUST NOT appear in a Close frame."
RFC_CLOSE_BODY = "RFC 6455 §5.5.1: a Close body, if any, MUST begin with a 2-byte code, followed by UTF-8 " \
                 "reason text; control frames carry at most 125 bytes."
RFC_LIMITS = "RFC 6455 §10.4: an implementation SHOULD impose limits; within them every message is echoed."
RFC_DEFLATE = "RFC 7692 §7: with permessage-deflate negotiated, messages are compressed per message and " \
              "inflate to exactly what was sent."


def _echo(text: bool, payload: bytes) -> tuple[Event, ...]:
    return (("message", payload, not text),)


def _framing() -> list[WsCase]:
    cases = []
    for group, text in ((1, True), (2, False)):
        for i, n in enumerate((0, 125, 126, 127, 128, 65535, 65536, 65536), start=1):
            payload = (b"*" if text else b"\xfe") * n
            chop = 997 if i == 8 else None
            kind = "text" if text else "binary"
            cases.append(WsCase(
                f"1.{group}.{i}", f"Send {kind} message with payload length {n}" + (", chopped in 997-octet writes"
                                                                                   if chop else "") + ".",
                f"Receive echo'ed {kind} message (with payload as sent). Clean close with normal code.",
                RFC_FRAMING, (Frame(1 if text else 2, payload, chop=chop),), {OK: _echo(text, payload)},
                _ECHO_CLOSE, wait=10.0 if n >= 65535 else 1.0))
    return cases


def _pings() -> list[WsCase]:
    pong = "Pong with payload echo'ed is sent in reply to Ping. Clean close with normal code."
    out = [
        WsCase("2.1", "Send ping without payload.", pong, RFC_PING, (Frame(9),), {OK: (("pong", b""),)},
               _ECHO_CLOSE, then="close"),
        WsCase("2.2", "Send ping with small text payload.", pong, RFC_PING, (Frame(9, _HELLO),),
               {OK: (("pong", _HELLO),)}, _ECHO_CLOSE, then="close"),
        WsCase("2.3", "Send ping with small binary (non UTF-8) payload.", pong, RFC_PING,
               (Frame(9, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"),),
               {OK: (("pong", b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"),)}, _ECHO_CLOSE, then="close"),
        WsCase("2.4", "Send ping with binary payload of 125 octets.", pong, RFC_PING, (Frame(9, b"\xfe" * 125),),
               {OK: (("pong", b"\xfe" * 125),)}, _ECHO_CLOSE, then="close"),
        WsCase("2.5", "Send ping with binary payload of 126 octets.",
               "Connection is failed immediately (1002/Protocol Error), since control frames are only allowed "
               "to have payload up to and including 125 octets.", RFC_CONTROL_LEN,
               (Frame(9, b"\xfe" * 126),), {OK: ()}, _FAIL),
        WsCase("2.6", "Send ping with binary payload of 125 octets, one octet per write.",
               pong + " Implementations must be TCP clean.", RFC_PING, (Frame(9, b"\xfe" * 125, chop=1),),
               {OK: (("pong", b"\xfe" * 125),)}, _ECHO_CLOSE, wait=2.0, then="close"),
        WsCase("2.7", "Send unsolicited pong without payload, then a close.", "Nothing in reply.",
               RFC_UNSOLICITED, (Frame(10), Close(NORMAL)), {OK: ()}, _ECHO_CLOSE, then="close"),
        WsCase("2.8", "Send unsolicited pong with payload, then a close.", "Nothing in reply.", RFC_UNSOLICITED,
               (Frame(10, b"unsolicited pong payload"), Close(NORMAL)), {OK: ()}, _ECHO_CLOSE, then="close"),
        WsCase("2.9", "Send unsolicited pong with payload, then a ping with payload.",
               "Nothing in reply to our Pong, but Pong with payload echo'ed in reply to Ping.", RFC_PING,
               (Frame(10, b"unsolicited pong payload"), Frame(9, b"ping payload")),
               {OK: (("pong", b"ping payload"),)}, _ECHO_CLOSE, then="close"),
    ]
    for case_id, chop in (("2.10", None), ("2.11", 1)):
        payloads = [b"payload-%d" % i for i in range(10)]
        out.append(WsCase(
            case_id, "Send 10 pings with payload" + (", one octet per write." if chop else "."),
            "Pongs for our Pings with all the payloads (not required by the spec, but checked anyway).",
            RFC_PING, tuple(Frame(9, p, chop=chop) for p in payloads),
            {OK: tuple(("pong", p) for p in payloads)}, _ECHO_CLOSE, wait=3.0, then="close"))
    return out


def _rsv() -> list[WsCase]:
    failed = "The connection is failed immediately (1002), since RSV must be 0."
    after_echo = ("Echo for the first message is received, then the connection is failed immediately, since RSV "
                  "must be 0. The Pong is not received.")
    ok_or_nothing = {OK: _echo(True, _HELLO), NON_STRICT: ()}
    return [
        WsCase("3.1", "Send small text message with RSV = 1.", failed, RFC_RSV, (Frame(1, _HELLO, rsv=1),),
               {OK: ()}, _FAIL),
        WsCase("3.2", "Send small text message, then again with RSV = 2, then a ping.", after_echo, RFC_RSV,
               (Frame(1, _HELLO), Frame(1, _HELLO, rsv=2), Frame(9)), ok_or_nothing, _FAIL),
        WsCase("3.3", "Send small text message, then again with RSV = 3, then a ping; one write per frame.",
               after_echo, RFC_RSV, (Frame(1, _HELLO, sync=True), Frame(1, _HELLO, rsv=3, sync=True),
                                     Frame(9, sync=True)), ok_or_nothing, _FAIL),
        WsCase("3.4", "Send small text message, then again with RSV = 4, then a ping; one octet per write.",
               after_echo, RFC_RSV, (Frame(1, _HELLO, chop=1), Frame(1, _HELLO, rsv=4, chop=1), Frame(9, chop=1)),
               ok_or_nothing, _FAIL),
        WsCase("3.5", "Send small binary message with RSV = 5.", failed, RFC_RSV,
               (Frame(2, b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff", rsv=5),), {OK: ()}, _FAIL),
        WsCase("3.6", "Send Ping with RSV = 6.", failed, RFC_RSV, (Frame(9, _HELLO, rsv=6),), {OK: ()}, _FAIL),
        WsCase("3.7", "Send Close with RSV = 7.", failed, RFC_RSV, (Frame(8, rsv=7),), {OK: ()}, _FAIL),
    ]


def _opcodes() -> list[WsCase]:
    out = []
    for group, codes in ((1, (3, 4, 5, 6, 7)), (2, (11, 12, 13, 14, 15))):
        kind = "non-control" if group == 1 else "control"
        for i, op in enumerate(codes, start=1):
            desc = f"Send frame with reserved {kind} opcode = {op}"
            if i == 1:
                out.append(WsCase(f"4.{group}.{i}", desc + ".", "The connection is failed immediately.", RFC_OPCODE,
                                  (Frame(op),), {OK: ()}, _FAIL))
            elif i == 2:
                out.append(WsCase(f"4.{group}.{i}", desc + " and non-empty payload.",
                                  "The connection is failed immediately.", RFC_OPCODE,
                                  (Frame(op, b"reserved opcode payload"),), {OK: ()}, _FAIL))
            else:
                chop = 1 if i == 5 else None
                payload = b"" if i == 3 else _HELLO
                out.append(WsCase(
                    f"4.{group}.{i}", f"Send small text message, then a frame with reserved {kind} opcode = {op}"
                    + (" and non-empty payload" if payload else "") + ", then a ping"
                    + (", one octet per write." if chop else "."),
                    "Echo for the first message is received, then the connection is failed immediately. "
                    "A Pong is not received.", RFC_OPCODE,
                    (Frame(1, _HELLO, chop=chop), Frame(op, payload, chop=chop), Frame(9, chop=chop)),
                    {OK: _echo(True, _HELLO), NON_STRICT: ()}, _FAIL))
    return out


def _fragmentation() -> list[WsCase]:
    f1, f2 = b"fragment1", b"fragment2"
    joined = f1 + f2
    echo = "Message is processed and echo'ed back to us."
    out = [
        WsCase("5.1", "Send Ping fragmented into 2 fragments.",
               "Connection is failed immediately, since control message MUST NOT be fragmented.", RFC_FRAG_CONTROL,
               (Frame(9, f1, fin=False), Frame(0, f2)), {OK: ()}, _FAIL),
        WsCase("5.2", "Send Pong fragmented into 2 fragments.",
               "Connection is failed immediately, since control message MUST NOT be fragmented.", RFC_FRAG_CONTROL,
               (Frame(10, f1, fin=False), Frame(0, f2)), {OK: ()}, _FAIL),
    ]
    for case_id, how, kw in (("5.3", "", {}), ("5.4", ", one write per frame", {"sync": True}),
                             ("5.5", ", one octet per write", {"chop": 1})):
        out.append(WsCase(case_id, f"Send text message unfragmented{how} as 2 fragments.", echo, RFC_FRAG,
                          (Frame(1, f1, fin=False, **kw), Frame(0, f2, **kw)), {OK: _echo(True, joined)},
                          _ECHO_CLOSE, then="close"))
    for case_id, how, kw in (("5.6", "", {}), ("5.7", ", one write per frame", {"sync": True}),
                             ("5.8", ", one octet per write", {"chop": 1})):
        out.append(WsCase(case_id, f"Send text message as 2 fragments with a Ping in between{how}.",
                          "A pong is received, then the message is echo'ed back to us.", RFC_FRAG,
                          (Frame(1, f1, fin=False, **kw), Frame(9, b"ping payload", **kw), Frame(0, f2, **kw)),
                          {OK: (("pong", b"ping payload"), ("message", joined, False))}, _ECHO_CLOSE, then="close"))
    nothing = "The connection is failed immediately, since there is no message to continue."
    for n, (fin, how, kw) in enumerate(((True, "", {}), (True, ", one write per frame", {"sync": True}),
                                        (True, ", one octet per write", {"chop": 1}),
                                        (False, "", {}), (False, ", one write per frame", {"sync": True}),
                                        (False, ", one octet per write", {"chop": 1})), start=9):
        out.append(WsCase(f"5.{n}", f"Send continuation frame with FIN = {str(fin).lower()} when there is nothing "
                          f"to continue, then a text message{how}.", nothing, RFC_CONT,
                          (Frame(0, b"non-continuation payload", fin=fin, **kw), Frame(1, _HELLO, **kw)),
                          {OK: ()}, _FAIL))
    out.append(WsCase("5.15", "Send text message in 2 fragments, then a continuation with FIN = false when there "
                      "is nothing to continue, then a text message.", nothing, RFC_CONT,
                      (Frame(1, f1, fin=False), Frame(0, f2), Frame(0, b"fragment3", fin=False),
                       Frame(1, b"fragment4")), {OK: _echo(True, joined), NON_STRICT: ()}, _FAIL))
    three = (b"fragment1", b"fragment2", b"fragment3")
    out.append(WsCase("5.16", "Repeated 2x: continuation (FIN = false), text (FIN = false), continuation "
                      "(FIN = true).", nothing, RFC_CONT,
                      tuple(Frame(op, p, fin=fin) for _ in range(2)
                            for op, p, fin in ((0, three[0], False), (1, three[1], False), (0, three[2], True))),
                      {OK: ()}, _FAIL))
    out.append(WsCase("5.17", "Repeated 2x: continuation (FIN = true), text (FIN = false), continuation "
                      "(FIN = true).", nothing, RFC_CONT,
                      tuple(Frame(op, p, fin=fin) for _ in range(2)
                            for op, p, fin in ((0, three[0], True), (1, three[1], False), (0, three[2], True))),
                      {OK: ()}, _FAIL))
    out.append(WsCase("5.18", "Send text message in 2 fragments with both frames having opcode TEXT.",
                      "The connection is failed immediately, since all data frames after the initial data frame "
                      "must have opcode 0.", RFC_FRAG, (Frame(1, f1, fin=False), Frame(1, f2)), {OK: ()}, _FAIL))
    frags = [b"fragment%d" % i for i in range(1, 6)]
    pings = (b"pongme 1!", b"pongme 2!")
    for case_id, sync in (("5.19", False), ("5.20", True)):
        out.append(WsCase(
            case_id, "Send a text message in 5 fragments: after 2 fragments a Ping, a 1 s pause, 2 more "
            "fragments, another Ping, then the last fragment" + (" (one write per frame)." if sync else "."),
            "The peer answers the first Ping before it has received the last fragment, pongs back each "
            "Ping's payload exactly, and echoes the whole message.", RFC_FRAG,
            (Frame(1, frags[0], fin=False, sync=sync), Frame(0, frags[1], fin=False, sync=sync),
             Frame(9, pings[0], sync=sync), Pause(1.0),
             Frame(0, frags[2], fin=False, sync=sync), Frame(0, frags[3], fin=False, sync=sync),
             Frame(9, pings[1], sync=sync), Frame(0, frags[4], sync=sync)),
            {OK: (("pong", pings[0]), ("pong", pings[1]), ("message", b"".join(frags), False))},
            _ECHO_CLOSE, then="close"))
    return out


def _utf8() -> list[WsCase]:
    echo = Ending(True, (NORMAL,), True)
    fail = Ending(False, (INVALID_PAYLOAD,), False, wrong_endpoint_fatal=True)
    mu = "Hello-µ@ßöäüàá-UTF-8!!".encode()
    bad = ws_utf8.KAPPA + b"\xed\xa0\x80" + b"edited"
    out = [
        WsCase("6.1.1", "Send text message of length 0.", "A message is echo'ed back to us (with empty payload).",
               RFC_UTF8, (Frame(1),), {OK: _echo(True, b"")}, echo, then="close"),
        WsCase("6.1.2", "Send fragmented text message, 3 fragments each of length 0.",
               "A message is echo'ed back to us (with empty payload).", RFC_UTF8,
               (Frame(1, fin=False), Frame(0, fin=False), Frame(0)), {OK: _echo(True, b"")}, echo, then="close"),
        WsCase("6.1.3", "Send fragmented text message, 3 fragments, first and last of length 0, middle non-empty.",
               "A message is echo'ed back to us (with payload = payload of middle fragment).", RFC_UTF8,
               (Frame(1, fin=False), Frame(0, b"middle frame payload", fin=False), Frame(0)),
               {OK: _echo(True, b"middle frame payload")}, echo, then="close"),
        WsCase("6.2.1", "Send a valid UTF-8 text message in one fragment.", "The message is echo'ed back to us.",
               RFC_UTF8, (Message(1, mu),), {OK: _echo(True, mu)}, echo, then="close"),
        WsCase("6.2.2", "Send a valid UTF-8 text message in two fragments, fragmented on UTF-8 code point boundary.",
               "The message is echo'ed back to us.", RFC_UTF8,
               (Frame(1, "Hello-µ@ßöä".encode(), fin=False), Frame(0, "üàá-UTF-8!!".encode())),
               {OK: _echo(True, mu)}, echo, then="close"),
        WsCase("6.2.3", "Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames ending on "
               "positions which are not code point ends.", "The message is echo'ed back to us.", RFC_UTF8,
               (Message(1, mu, fragment=1),), {OK: _echo(True, mu)}, echo, then="close"),
        WsCase("6.2.4", "Send a valid UTF-8 text message in fragments of 1 octet (κόσμε).",
               "The message is echo'ed back to us.", RFC_UTF8, (Message(1, ws_utf8.KAPPA, fragment=1),),
               {OK: _echo(True, ws_utf8.KAPPA)}, echo, then="close"),
        WsCase("6.3.1", "Send invalid UTF-8 text message unfragmented.",
               "The connection is failed immediately, since the payload is not valid UTF-8.", RFC_UTF8,
               (Message(1, bad),), {OK: ()}, fail),
        WsCase("6.3.2", "Send invalid UTF-8 text message in fragments of 1 octet.",
               "The connection is failed immediately, since the payload is not valid UTF-8.", RFC_UTF8,
               (Message(1, bad, fragment=1),), {OK: ()}, fail),
    ]
    fast = Ending(False, (INVALID_PAYLOAD,), False, wrong_endpoint_fatal=True)
    p1, p2, p3 = ws_utf8.KAPPA, b"\xf4\x90\x80\x80", b"edited"
    whole = p1 + p2 + p3
    fail_fast = ("The first part is accepted, the connection is failed on the part with the invalid byte "
                 "(before the last part arrives): fail fast. Failing only at the end is NON-STRICT.")
    timed = {OK: (("mark", "A"),), NON_STRICT: (("mark", "A"), ("mark", "B"))}
    out += [
        WsCase("6.4.1", "Send invalid UTF-8 text in 3 fragments (frames): valid, invalid (at octet 12), valid, 1 s "
               "apart.", fail_fast, RFC_UTF8,
               (Frame(1, p1, fin=False), Pause(1.0, "A"), Frame(0, p2, fin=False), Pause(1.0, "B"), Frame(0, p3)),
               timed, fast),
        WsCase("6.4.2", "As 6.4.1, but the invalid code point starts the second fragment exactly at the invalid "
               "octet.", fail_fast, RFC_UTF8,
               (Frame(1, whole[:12], fin=False), Pause(1.0, "A"), Frame(0, whole[12:13], fin=False),
                Pause(1.0, "B"), Frame(0, whole[13:])), timed, fast),
        WsCase("6.4.3", "Send invalid UTF-8 text in 1 frame, its bytes in 3 writes 1 s apart (valid, invalid, "
               "valid).", fail_fast, RFC_UTF8, (Partial(1, whole, (len(p1), len(p1) + len(p2)), (Pause(1.0, "A"), Pause(1.0, "B"))),), timed, fast),
        WsCase("6.4.4", "As 6.4.3, split exactly at the invalid octet.", fail_fast, RFC_UTF8,
               (Partial(1, whole, (12, 13), (Pause(1.0, "A"), Pause(1.0, "B"))),), timed, fast),
    ]
    for g, (title, seqs) in enumerate(ws_utf8.GROUPS, start=ws_utf8.FIRST_GROUP):
        for i, seq in enumerate(seqs, start=1):
            valid = ws_utf8.is_valid(seq)
            out.append(WsCase(
                f"6.{g}.{i}", f"{title}: send a text message with payload 0x{seq.hex()} "
                f"({'valid' if valid else 'not valid'} UTF-8) in one fragment.",
                "The message is echo'ed back to us." if valid else
                "The connection is failed immediately, since the payload is not valid UTF-8.", RFC_UTF8,
                (Message(1, seq),), {OK: _echo(True, seq) if valid else ()}, echo if valid else fail,
                wait=0.5, then="close" if valid else "kill"))
    return out


_BIG_716 = (b"BAsd7&jh23" * (256 * 1024 // 10 + 1))[: 256 * 1024]


def _close() -> list[WsCase]:
    norm = Ending(True, (NORMAL,), True, wrong_code_fatal=True)
    clean = "Clean close with normal code."
    hello = b"Hello World!"
    out = [
        WsCase("7.1.1", "Send a message followed by a close frame.",
               "Echoed message followed by clean close with normal code.", RFC_CLOSE, (Frame(1, hello),),
               {OK: _echo(True, hello)}, norm),
        WsCase("7.1.2", "Send two close frames.", clean, RFC_CLOSE, (Close(NORMAL), Frame(8)), {OK: ()}, norm),
        WsCase("7.1.3", "Send a ping after close message.", clean, RFC_CLOSE, (Close(NORMAL), Frame(9)), {OK: ()},
               norm),
        WsCase("7.1.4", "Send text message after sending a close frame.", clean, RFC_CLOSE,
               (Close(NORMAL), Frame(1, hello)), {OK: ()}, norm),
        WsCase("7.1.5", "Send message fragment1 followed by close then fragment2.", clean, RFC_CLOSE,
               (Frame(1, b"fragment1", fin=False), Close(NORMAL), Frame(0, b"fragment2")), {OK: ()}, norm),
        WsCase("7.1.6", "Send 256K message followed by close then a ping.",
               "Depends on implementation-defined close behaviour: the message and close are sent back to "
               "back, and the small message may or may not be echoed.", RFC_CLOSE,
               (Frame(1, b"BAsd7&jh23", length=256 * 1024), Frame(1, hello), Close(NORMAL), Frame(9)),
               {OK: (("message", _BIG_716, False), ("message", hello, False)), NON_STRICT: ()},
               Ending(True, (NORMAL,), True), informational=True),
        WsCase("7.3.1", "Send a close frame with payload length 0 (no close code, no close reason).", clean,
               RFC_CLOSE_BODY, (Close(raw=b""),), {OK: ()}, norm),
        WsCase("7.3.2", "Send a close frame with payload length 1.",
               "Clean close with protocol error or drop TCP.", RFC_CLOSE_BODY, (Close(raw=b"a"),), {OK: ()},
               Ending(True, (PROTOCOL_ERROR,), False, wrong_code_fatal=True)),
        WsCase("7.3.3", "Send a close frame with payload length 2 (regular close with a code).",
               "Clean close with normal code.", RFC_CLOSE_BODY, (Close(NORMAL),), {OK: ()}, norm),
        WsCase("7.3.4", "Send a close frame with close code and close reason.", clean, RFC_CLOSE_BODY,
               (Close(NORMAL, b"Hello World!"),), {OK: ()}, norm),
        WsCase("7.3.5", "Send a close frame with close code and close reason of maximum length (123).", clean,
               RFC_CLOSE_BODY, (Close(NORMAL, b"*" * 123),), {OK: ()}, norm),
        WsCase("7.3.6", "Send a close frame with close code and close reason which is too long (124): the frame "
               "payload is 126 octets.", "Connection is failed with 1002 or TCP dropped.", RFC_CONTROL_LEN,
               (Close(NORMAL, b"*" * 124),), {OK: ()},
               Ending(True, (PROTOCOL_ERROR,), False, wrong_code_fatal=True)),
        WsCase("7.5.1", "Send a close frame with invalid UTF-8 payload.",
               "Clean close with protocol error or invalid UTF-8 code, or drop TCP.", RFC_CLOSE_BODY,
               (Close(NORMAL, ws_utf8.KAPPA + b"\xed\xa0\x80edited"),), {OK: ()},
               Ending(True, (PROTOCOL_ERROR, INVALID_PAYLOAD), False, wrong_code_fatal=True)),
    ]
    for i, code in enumerate((1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999),
                             start=1):
        out.append(WsCase(f"7.7.{i}", f"Send close with valid close code {code}.",
                          "Clean close with normal or echoed code.", RFC_CLOSE_CODE, (Close(code),), {OK: ()},
                          Ending(True, (NORMAL, code), True, wrong_code_fatal=True)))
    for i, code in enumerate((0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999), start=1):
        out.append(WsCase(f"7.9.{i}", f"Send close with invalid close code {code}.",
                          "Clean close with protocol error code or drop TCP.", RFC_CLOSE_CODE,
                          (Close(raw=code.to_bytes(2, "big")),), {OK: ()},
                          Ending(True, (PROTOCOL_ERROR,), False, wrong_code_fatal=True)))
    for i, code in enumerate((5000, 65535), start=1):
        out.append(WsCase(f"7.13.{i}", f"Send close with close code {code}.",
                          "Informational: the close code is outside every defined range; any clean or failed "
                          "close is reported as it happened.", RFC_CLOSE_CODE, (Close(raw=code.to_bytes(2, "big")),),
                          {OK: ()}, Ending(True, (NORMAL, code, PROTOCOL_ERROR), False), informational=True))
    return out


def _autofragment() -> list[WsCase]:
    payload = b"*" * 65536
    return [WsCase("10.1.1", "Send a text message of 65536 octets auto-fragmented into frames of 1300 octets.",
                   "Receive the echoed message (in any fragmentation). Clean close with normal code.", RFC_FRAG,
                   (Message(1, payload, fragment=1300),), {OK: _echo(True, payload)}, _ECHO_CLOSE, wait=10.0)]


def _limits() -> list[WsCase]:
    out = []
    sizes = (64 * 1024, 256 * 1024, 1 << 20, 4 << 20, 8 << 20, 16 << 20)
    for group, text in ((1, True), (2, False)):
        for i, n in enumerate(sizes, start=1):
            payload = (b"*" if text else b"\xfe") * n
            out.append(WsCase(f"9.{group}.{i}", f"Send {'text' if text else 'binary'} message of {n} octets.",
                              "Receive echo'ed message (or a close with 1009 if the server limits sizes).",
                              RFC_LIMITS, (Frame(1 if text else 2, payload),), {OK: _echo(text, payload)},
                              Ending(True, (NORMAL, TOO_BIG), True), wait=100.0, limits=True))
    frame_sizes = (64, 256, 1024, 4096, 16384, 65536, 262144, 1 << 20, 4 << 20)
    for group, text in ((3, True), (4, False)):
        for i, size in enumerate(frame_sizes, start=1):
            payload = (b"*" if text else b"\xfe") * (4 << 20)
            out.append(WsCase(f"9.{group}.{i}", f"Send fragmented {'text' if text else 'binary'} message of 4 MiB "
                              f"in frames of {size} octets.", "Receive echo'ed message.", RFC_LIMITS,
                              (Message(1 if text else 2, payload, fragment=size),), {OK: _echo(text, payload)},
                              Ending(True, (NORMAL, TOO_BIG), True), wait=100.0, limits=True))
    for group, text in ((5, True), (6, False)):
        for i, chop in enumerate((64, 128, 256, 512, 1024, 2048), start=1):
            payload = (b"*" if text else b"\xfe") * (1 << 20)
            out.append(WsCase(f"9.{group}.{i}", f"Send {'text' if text else 'binary'} message of 1 MiB in one "
                              f"frame, in writes of {chop} octets.", "Receive echo'ed message.", RFC_LIMITS,
                              (Frame(1 if text else 2, payload, chop=chop),), {OK: _echo(text, payload)},
                              Ending(True, (NORMAL, TOO_BIG), True), wait=100.0, limits=True))
    for group, text in ((7, True), (8, False)):
        for i, size in enumerate((0, 16, 64, 256, 1024, 4096), start=1):
            payload = (b"*" if text else b"\xfe") * size
            out.append(WsCase(f"9.{group}.{i}", f"Send 1000 {'text' if text else 'binary'} messages of {size} "
                              "octets, each after the echo of the one before.", "Receive each message echo'ed.",
                              RFC_LIMITS, (Repeat(Message(1 if text else 2, payload), 1000),),
                              {OK: tuple(("message", payload, not text) for _ in range(1000))},
                              Ending(True, (NORMAL,), True), wait=60.0, limits=True))
    return out


def _deflate() -> list[WsCase]:
    out = []
    sizes = (16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536, 131072)
    corpus = (b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut "
              b"labore et dolore magna aliqua. ") * 2048
    for group, text in ((1, True), (2, False)):
        for i, size in enumerate(sizes, start=1):
            payload = corpus[:size] if text else bytes((j * 7 + j // 13) & 0xFF for j in range(size))
            count = 100 if size <= 16384 else 20
            out.append(WsCase(
                f"12.{group}.{i}", f"With permessage-deflate: send {count} compressed "
                f"{'text' if text else 'binary'} messages of {size} octets, each after the echo of the one before.",
                "Receive each message echo'ed (compressed or not), inflating to exactly what was sent.", RFC_DEFLATE,
                (Repeat(Message(1 if text else 2, payload), count),),
                {OK: tuple(("message", payload, not text) for _ in range(count))},
                Ending(True, (NORMAL,), True), wait=30.0, deflate=True))
    return out


OFFERS_13 = (
    "permessage-deflate",
    "permessage-deflate; client_no_context_takeover",
    "permessage-deflate; client_max_window_bits=9",
    "permessage-deflate; client_max_window_bits=15",
    "permessage-deflate; client_no_context_takeover; client_max_window_bits=9",
    "permessage-deflate; client_no_context_takeover; client_max_window_bits=15",
    "permessage-deflate; server_no_context_takeover",
)
"""13.1-13.7: the offers whose negotiation and use 13.x check (Autobahn's parameter families)."""


def _deflate_params() -> list[WsCase]:
    out = []
    sizes = (16, 64, 256, 1024, 4096, 8192, 16384, 32768, 65536)
    corpus = (b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut "
              b"labore et dolore magna aliqua. ") * 1024
    for group, offer in enumerate(OFFERS_13, start=1):
        for i, size in enumerate(sizes, start=1):
            payload = corpus[:size]
            count = 50 if size <= 8192 else 10
            out.append(WsCase(
                f"13.{group}.{i}", f"Offer {offer!r}; send {count} compressed text messages of {size} octets, each "
                "after the echo of the one before.", "The server accepts the offer (or a subset RFC 7692 allows) "
                "and every message echoes exactly, however it compresses.", RFC_DEFLATE,
                (Repeat(Message(1, payload), count),), {OK: tuple(("message", payload, False) for _ in range(count))},
                Ending(True, (NORMAL,), True), wait=30.0, deflate=True, deflate_offer=offer))
    return out


def all_cases() -> list[WsCase]:
    """Every ``probe ws`` case, in case-id order."""
    return [*_framing(), *_pings(), *_rsv(), *_opcodes(), *_fragmentation(), *_utf8(), *_close(), *_limits(), *_autofragment(),
            *_deflate(), *_deflate_params()]


__all__ = ["FAILED", "FAMILIES", "INFORMATIONAL", "NON_STRICT", "OK", "Close", "Ending", "Frame", "Message", "Partial",
           "Pause", "Repeat", "WsCase", "all_cases"]
