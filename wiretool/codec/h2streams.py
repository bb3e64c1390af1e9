"""HTTP/2 stream states and flow control (RFC 9113 §5.1, §5.1.1, §6.6, §6.9.1, §6.9.2), judged from the wire. Pure.

One :class:`StreamRules` watches one connection, both directions, and is told every parsed frame header
(:meth:`StreamRules.on_frame`); it returns the :class:`~wiretool.records.Violation` entries of the MUSTs the
frame broke, each naming the stream. It knows which direction is the client and which the server (``roles``).

What it can judge depends on what it saw. A direction is *tracked* only when its first frame is SETTINGS
(RFC 9113 §3.4), i.e. when the bytes start at the beginning of the connection: a fragment pasted into
``frame decode`` is not judged at all. A rule about the other side's streams (the server answering on a
stream the client never opened) is judged only when the other side is tracked too; with one direction
alone, the streams it uses are taken as opened by the unseen peer, so only its own rules apply (DATA
after its own END_STREAM or RST_STREAM, its own stream identifiers).

Lenient by design: where the RFC allows a frame that merely looks late (frames in flight after a
RST_STREAM the *receiver* sent, WINDOW_UPDATE or RST_STREAM on a closed stream, PRIORITY anywhere,
unknown frame types), nothing is said. Where settings are not yet acknowledged, a window is judged by the
value that is kindest to the sender. CONTINUATION is left to the frame view, which already names a
CONTINUATION without an open header block or on another stream (``continuation_unexpected``,
``continuation_wrong_stream``, §6.10); a block's stream state is judged on its HEADERS.

Memory is bounded: at most ``max_open`` open and ``max_closed`` closed streams are kept; older ones are
summarised by the highest identifier forgotten per side, and a frame on a forgotten stream is not judged.
"""

from __future__ import annotations

from wiretool.records import Violation

DATA, HEADERS, RST_STREAM, SETTINGS, PUSH_PROMISE, WINDOW_UPDATE = 0x0, 0x1, 0x3, 0x4, 0x5, 0x8
END_STREAM, ACK = 0x1, 0x1
MAX_WINDOW = 2**31 - 1
DEFAULT_WINDOW = 65_535
CLIENT, SERVER = 0, 1
_WHO = ("the client", "the server")
_NAMES = {DATA: "DATA", HEADERS: "HEADERS", RST_STREAM: "RST_STREAM", PUSH_PROMISE: "PUSH_PROMISE",
          WINDOW_UPDATE: "WINDOW_UPDATE"}
DEFAULT_ROLES = {"send": "client", "recv": "server", "c2s": "client", "s2c": "server"}
"""Who sends each direction when the caller does not say: wiretool's own side (``send``) is the client of
``h2 get`` / ``h2 grpc`` / ``sse tail --http2`` and of their captures; ``frame decode --proto h2`` calls a
direction ``send`` only when it starts with the client preface."""
_MAX_PENDING = 32  # unacknowledged SETTINGS frames kept per side; beyond that its windows are not judged
_SETTINGS_CHECKS = 1_000_000
"""Open streams looked at, per connection, for §6.9.2 (a SETTINGS that moves every window): a flood of
SETTINGS over thousands of open streams stops being judged there, so the work stays bounded."""


def _v(code: str, section: str, message: str) -> Violation:
    return Violation(code, f"RFC 9113 §{section}", message)


def owner_of(sid: int) -> int:
    """Who may open stream ``sid``: clients use odd identifiers, servers even ones (§5.1.1)."""
    return CLIENT if sid % 2 else SERVER


class _Stream:
    """What the wire said about one stream: who ended it, who reset it, its two flow-control windows."""

    __slots__ = ("delta", "ended", "reserved", "reset")

    def __init__(self, *, reserved: bool = False) -> None:
        self.ended = 0  # bit (1 << role) set once that role sent END_STREAM
        self.reset = 0  # bit (1 << role) set once that role sent RST_STREAM
        self.reserved = reserved  # promised by PUSH_PROMISE, no HEADERS from the server yet
        self.delta = [0, 0]  # per sending role: WINDOW_UPDATEs granted to it minus DATA it sent


class _Side:
    """One endpoint: the streams it opened, and the settings it announced that the peer has (not) acknowledged."""

    __slots__ = ("enable_push", "evicted", "highest", "pending", "settings_unsure", "started", "window")

    def __init__(self) -> None:
        self.started: bool | None = None  # None until its first frame; True when that frame was SETTINGS
        self.highest = 0  # highest stream id this side opened or reserved (§5.1.1)
        self.evicted = 0  # highest id of this side's streams forgotten to keep memory bounded
        self.window = DEFAULT_WINDOW  # SETTINGS_INITIAL_WINDOW_SIZE acknowledged by the peer
        self.enable_push = True  # SETTINGS_ENABLE_PUSH acknowledged by the peer
        self.pending: list[tuple[int | None, bool | None]] = []  # unacknowledged SETTINGS, oldest first
        self.settings_unsure = False  # too many unacknowledged SETTINGS: windows and push no longer judged

    def windows(self) -> tuple[int, int]:
        """The smallest and largest SETTINGS_INITIAL_WINDOW_SIZE the peer may be using right now."""
        if not self.pending:  # the common case: every SETTINGS acknowledged
            return self.window, self.window
        values = [self.window, *(w for w, _ in self.pending if w is not None)]
        return min(values), max(values)


class StreamRules:
    """Judge stream states, stream identifiers, server push and flow control of one HTTP/2 connection.

    ``roles`` maps direction names to ``"client"`` or ``"server"`` (default :data:`DEFAULT_ROLES`); frames
    of a direction it does not name are not judged. Call :meth:`on_frame` for every frame in wire order.
    """

    def __init__(self, roles: dict[str, str] | None = None, *, max_open: int = 4096, max_closed: int = 1024) -> None:
        self._roles = {d: (CLIENT if r == "client" else SERVER) for d, r in (roles or DEFAULT_ROLES).items()}
        self._sides = (_Side(), _Side())
        self._open: dict[int, _Stream] = {}
        self._closed: dict[int, _Stream] = {}
        self._max_open = max_open
        self._max_closed = max_closed
        self._conn = [DEFAULT_WINDOW, DEFAULT_WINDOW]  # connection window per sending role (§6.9.1)
        self._upgrade = True  # stream 1 may be an h2c Upgrade request, until the client opens it with HEADERS
        self._checks = _SETTINGS_CHECKS

    @property
    def tracked_streams(self) -> int:
        """How many stream entries are kept (bounded by ``max_open + max_closed``)."""
        return len(self._open) + len(self._closed)

    def on_frame(self, direction: str, typ: int, flags: int, sid: int, length: int,
                 fields: dict[str, object]) -> list[Violation]:
        """Take one frame header (and the fields the frame view parsed); return the rules it broke.

        ``fields`` may hold ``settings`` (name → value), ``window_increment`` and ``promised_stream_id``;
        a malformed frame lacks them and is then judged on its header alone.
        """
        role = self._roles.get(direction)
        if role is None:
            return []
        me = self._sides[role]
        if me.started is None:
            me.started = typ == SETTINGS
        if not me.started:
            return []  # not from the start of the connection: nothing to judge against
        out: list[Violation] = []
        if typ == DATA or typ == HEADERS:
            # The fast path for nearly every frame of a busy connection: DATA or HEADERS on an open stream that
            # neither side reset and whose sender has not ended it (and, for HEADERS, one the client may send
            # on). It decides what _stream would: no rule broken, END_STREAM moves the state on; DATA is then
            # judged on flow control alone.
            st = self._open.get(sid)
            if (st is not None and not st.reserved and not st.reset and not st.ended & (1 << role)
                    and (typ == DATA or role == SERVER or sid & 1)):
                if flags & END_STREAM:
                    st.ended |= 1 << role
                if typ == DATA:
                    self._data(role, st, sid, length, out)
                if st.ended == 3:
                    self._close(sid)
                return out
        if typ == SETTINGS:
            self._settings(role, flags, fields, out)
        elif sid == 0:
            if typ == WINDOW_UPDATE:
                self._window_update(role, None, sid, fields, out)
        elif typ in (DATA, HEADERS, RST_STREAM, WINDOW_UPDATE):
            st = self._stream(role, typ, flags, sid, out)
            if typ == DATA:
                self._data(role, st, sid, length, out)
            elif typ == WINDOW_UPDATE:
                self._window_update(role, st, sid, fields, out)
        elif typ == PUSH_PROMISE:
            self._push_promise(role, sid, fields, out)
        return out

    # -- stream states (§5.1, §5.1.1) ----------------------------------------------------------------
    def _stream(self, role: int, typ: int, flags: int, sid: int, out: list[Violation]) -> _Stream | None:
        """Judge a DATA/HEADERS/RST_STREAM/WINDOW_UPDATE against the stream's state; move the state on."""
        name = _NAMES[typ]
        owner = owner_of(sid)
        side = self._sides[owner]
        if typ == HEADERS and role == CLIENT and owner == SERVER:
            out.append(_v("stream_id_wrong_parity", "5.1.1",
                          f"the client sent HEADERS on stream {sid}: streams the client opens are odd"))
            return None
        st = self._open.get(sid) or self._closed.get(sid)
        if st is None:
            if sid <= side.evicted:
                return None  # forgotten to keep memory bounded: not judged
            if role == SERVER and sid == 1 and self._upgrade:
                # h2c Upgrade (RFC 7540 §3.2): the HTTP/1.1 request was stream 1, half-closed by the client,
                # which may well have opened stream 3 and more before the answer came.
                st = self._new(sid, CLIENT)
                st.ended = 1 << CLIENT
            elif role != owner and not side.started:
                st = self._new(sid, owner)  # the opener's side is not seen: assume it opened the stream
            elif sid > side.highest:
                if typ == HEADERS and role == owner == SERVER:
                    # §5.1 and §8.4: a server's stream begins with its PUSH_PROMISE (reserved); HEADERS on an
                    # even stream nobody promised opens nothing the client asked for.
                    out.append(_v("frame_on_idle_stream", "5.1",
                                  f"the server sent HEADERS on stream {sid}, which is idle: a server opens a "
                                  "stream only by promising it first (PUSH_PROMISE, §8.4)"))
                    return None
                if typ == HEADERS and role == owner:
                    st = self._new(sid, owner)
                elif typ == HEADERS:
                    out.append(_v("stream_id_wrong_parity", "5.1.1",
                                  f"the server sent HEADERS on stream {sid}, which the client never opened: "
                                  "streams the server opens are even and promised first"))
                    return None
                else:
                    out.append(_v("frame_on_idle_stream", "5.1",
                                  f"{_WHO[role]} sent {name} on stream {sid}, which is idle (never opened)"))
                    return None
            else:
                if typ == HEADERS and role == owner:
                    out.append(_v("stream_id_not_increasing", "5.1.1",
                                  f"{_WHO[role]} opened stream {sid}, not greater than stream {side.highest} "
                                  "it already opened"))
                elif typ in (DATA, HEADERS):
                    out.append(_v("frame_on_closed_stream", "5.1",
                                  f"{_WHO[role]} sent {name} on stream {sid}, which was never opened and is "
                                  f"closed since stream {side.highest} was opened (§5.1.1)"))
                return None
        elif st.reserved:
            self._reserved(role, typ, sid, st, out)
            return st
        elif typ in (DATA, HEADERS):
            if st.ended & (1 << role):
                out.append(_v("frame_after_end_stream", "5.1",
                              f"{_WHO[role]} sent {name} on stream {sid} after its own END_STREAM "
                              "(half-closed (remote) for the receiver)"))
                return st
            if st.reset & (1 << role):
                out.append(_v("frame_after_reset", "5.1",
                              f"{_WHO[role]} sent {name} on stream {sid} after it reset the stream (closed)"))
                return st
            # A stream the *other* side reset: RFC 9113 §5.1 "closed": "An endpoint that sends a RST_STREAM
            # frame on a stream that is in the "open" or "half-closed (local)" state could receive any type
            # of frame. The peer might have sent or enqueued for sending these frames before processing the
            # RST_STREAM frame." The sender cannot be caught out from the wire, so such frames stay quiet.
        # WINDOW_UPDATE and RST_STREAM on a closed stream stay quiet: §5.1 "closed" lets WINDOW_UPDATE and
        # RST_STREAM arrive "for a short period after a DATA or HEADERS frame containing an END_STREAM flag is
        # sent", and anything in flight after a RST_STREAM.
        if typ in (DATA, HEADERS) and flags & END_STREAM:
            st.ended |= 1 << role
        elif typ == RST_STREAM:
            st.reset |= 1 << role
        if (st.ended == 3 or st.reset) and sid in self._open:
            self._close(sid)
        return st

    def _reserved(self, role: int, typ: int, sid: int, st: _Stream, out: list[Violation]) -> None:
        """A promised stream (§5.1 "reserved"): the server may send HEADERS or RST_STREAM, the client
        RST_STREAM or WINDOW_UPDATE (and either PRIORITY)."""
        allowed = (HEADERS, RST_STREAM) if role == SERVER else (RST_STREAM, WINDOW_UPDATE)
        if typ not in allowed:
            state = "reserved (local)" if role == SERVER else "reserved (remote)"
            out.append(_v("frame_on_reserved_stream", "5.1",
                          f"{_WHO[role]} sent {_NAMES[typ]} on promised stream {sid}, which is {state} for it"))
            return
        if typ == HEADERS:
            st.reserved = False
            st.ended |= 1 << CLIENT  # a pushed stream is half-closed for the client from the start
        else:
            st.reset |= 1 << role
            self._close(sid)

    def _push_promise(self, role: int, sid: int, fields: dict[str, object], out: list[Violation]) -> None:
        """§6.6 and §8.4: only a server pushes, only when allowed, only on a stream the client opened that the
        server has not ended; the promised identifier is a new, greater, even one."""
        if role == CLIENT:
            out.append(_v("push_promise_from_client", "8.4", f"the client sent PUSH_PROMISE on stream {sid}"))
            return
        client = self._sides[CLIENT]
        if client.started and not client.enable_push and not client.settings_unsure:
            out.append(_v("push_disabled", "6.6",
                          f"PUSH_PROMISE on stream {sid} after the client set SETTINGS_ENABLE_PUSH to 0"))
        st = self._open.get(sid) or self._closed.get(sid)
        if owner_of(sid) != CLIENT:
            out.append(_v("push_on_bad_stream", "6.6",
                          f"PUSH_PROMISE on stream {sid}, which the client did not open"))
        elif st is None:
            if client.started and sid > client.evicted and not (sid == 1 and self._upgrade):
                out.append(_v("push_on_bad_stream", "6.6",
                              f"PUSH_PROMISE on stream {sid}, which the client never opened"))
        elif st.ended & (1 << SERVER) or st.reset & (1 << SERVER):
            out.append(_v("push_on_bad_stream", "6.6",
                          f"PUSH_PROMISE on stream {sid}, which the server already "
                          f"{'reset' if st.reset & (1 << SERVER) else 'ended'}"))
        promised = fields.get("promised_stream_id")
        if not isinstance(promised, int) or promised == 0 or promised % 2:
            return  # the frame view names a missing or odd promised id (bad_promised_stream)
        server = self._sides[SERVER]
        if promised <= server.highest or promised in self._open or promised in self._closed:
            out.append(_v("stream_id_not_increasing", "5.1.1",
                          f"the server promised stream {promised}, not greater than stream {server.highest} "
                          "it already opened or promised"))
            return
        self._new(promised, SERVER, reserved=True)

    # -- flow control (§6.9.1) -----------------------------------------------------------------------
    def _settings(self, role: int, flags: int, fields: dict[str, object], out: list[Violation]) -> None:
        """A SETTINGS frame of ``role`` is pending until the peer's ACK; an ACK applies the peer's oldest.

        §6.9.2: a new SETTINGS_INITIAL_WINDOW_SIZE moves the window of every open stream by the difference,
        and one that takes any of them past 2^31-1 is the sender's error."""
        if flags & ACK:
            peer = self._sides[1 - role]
            if peer.pending:
                window, push = peer.pending.pop(0)
                if window is not None:
                    peer.window = window
                if push is not None:
                    peer.enable_push = push
            return
        side = self._sides[role]
        values = fields.get("settings")
        values = values if isinstance(values, dict) else {}
        window = values.get("INITIAL_WINDOW_SIZE")
        push = values.get("ENABLE_PUSH")
        window = window if isinstance(window, int) and 0 <= window <= MAX_WINDOW else None
        push = bool(push) if push in (0, 1) else None
        if window is not None and self._flow_judged(1 - role) and self._checks > 0:
            self._window_change(role, window, out)
        if len(side.pending) >= _MAX_PENDING:
            side.settings_unsure = True
            return
        side.pending.append((window, push))

    def _window_change(self, role: int, window: int, out: list[Violation]) -> None:
        """The first open stream whose window (for the data the peer of ``role`` sends) ``window`` would take
        past 2^31-1: ``st.delta`` holds what was granted beyond the initial window, minus what was sent."""
        peer = 1 - role
        self._checks -= len(self._open)
        for sid, st in self._open.items():
            if not st.reset and window + st.delta[peer] > MAX_WINDOW:
                out.append(_v("window_overflow", "6.9.2",
                              f"{_WHO[role]}'s SETTINGS_INITIAL_WINDOW_SIZE of {window} takes the window of "
                              f"stream {sid} to {window + st.delta[peer]}, past 2^31-1"))
                return

    def _flow_judged(self, sender: int) -> bool:
        """Windows of data sent by ``sender`` are judged only when both sides are seen from the start."""
        receiver = self._sides[1 - sender]
        return bool(self._sides[sender].started and receiver.started and not receiver.settings_unsure)

    def _data(self, role: int, st: _Stream | None, sid: int, length: int, out: list[Violation]) -> None:
        """DATA (its whole payload, padding included) uses the connection and the stream window (§6.9.1)."""
        judged = self._flow_judged(role)
        if judged and length > self._conn[role]:
            out.append(_v("flow_control_exceeded", "6.9.1",
                          f"{_WHO[role]} sent {length} bytes of DATA on stream {sid} with only "
                          f"{max(self._conn[role], 0)} left in the connection window"))
        self._conn[role] -= length  # DATA on a closed stream still counts toward the connection (§6.9)
        if st is None or st.reset:
            return  # unknown, or reset: in-flight DATA after a RST_STREAM is not the sender's fault (§5.1)
        if judged:
            _, largest = self._sides[1 - role].windows()
            left = largest + st.delta[role]
            if length > left:
                out.append(_v("flow_control_exceeded", "6.9.1",
                              f"{_WHO[role]} sent {length} bytes of DATA on stream {sid} with only {max(left, 0)} "
                              "left in the stream window"))
        st.delta[role] -= length

    def _window_update(self, role: int, st: _Stream | None, sid: int, fields: dict[str, object],
                       out: list[Violation]) -> None:
        """A WINDOW_UPDATE of ``role`` grows the window of the data its peer sends; past 2^31-1 is an error."""
        inc = fields.get("window_increment")
        if not isinstance(inc, int) or inc <= 0:
            return  # malformed or zero: the frame view names it
        peer = 1 - role
        judged = self._flow_judged(peer)
        if sid == 0:
            self._conn[peer] += inc
            if judged and self._conn[peer] > MAX_WINDOW:
                out.append(_v("window_overflow", "6.9.1",
                              f"{_WHO[role]}'s WINDOW_UPDATE of {inc} takes the connection window (stream 0) to "
                              f"{self._conn[peer]}, past 2^31-1"))
                self._conn[peer] = MAX_WINDOW  # say it once, not on every later update
            return
        if st is None or sid not in self._open:
            return
        st.delta[peer] += inc
        if judged:
            smallest, _ = self._sides[role].windows()
            if smallest + st.delta[peer] > MAX_WINDOW:
                out.append(_v("window_overflow", "6.9.1",
                              f"{_WHO[role]}'s WINDOW_UPDATE of {inc} takes the window of stream {sid} to "
                              f"{smallest + st.delta[peer]}, past 2^31-1"))
                st.delta[peer] = MAX_WINDOW - smallest

    # -- bounded bookkeeping -------------------------------------------------------------------------
    def _new(self, sid: int, owner: int, *, reserved: bool = False) -> _Stream:
        side = self._sides[owner]
        side.highest = max(side.highest, sid)
        if sid == 1:
            self._upgrade = False
        st = self._open[sid] = _Stream(reserved=reserved)
        if len(self._open) > self._max_open:
            self._forget(self._open, next(iter(self._open)))
        return st

    def _close(self, sid: int) -> None:
        st = self._open.pop(sid, None)
        if st is None:
            return
        self._closed[sid] = st
        if len(self._closed) > self._max_closed:
            self._forget(self._closed, next(iter(self._closed)))

    def _forget(self, table: dict[int, _Stream], sid: int) -> None:
        del table[sid]
        side = self._sides[owner_of(sid)]
        side.evicted = max(side.evicted, sid)
