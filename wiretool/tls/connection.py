"""One TLS connection seen from the outside: both byte streams in, decrypted application data out.

Feed each direction's bytes in capture order (interleaved by time, as the packets arrived); records a
direction sends before the other side's hello is known are held (bounded by :data:`HOLD_LIMIT`) and decrypted
once it is. Nothing here raises on what a peer sends: what goes wrong is named in ``notes`` and ``info.status``,
and a connection that cannot be decrypted simply yields no plaintext.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from wiretool.tls.framing import (
    ALERT,
    APPLICATION_DATA,
    CHANGE_CIPHER_SPEC,
    HANDSHAKE,
    HandshakeReader,
    RecordReader,
    TlsRecord,
)
from wiretool.tls.hello import (
    ClientHello,
    HelloError,
    ServerHello,
    parse_client_hello,
    parse_encrypted_extensions_alpn,
    parse_server_hello,
)
from wiretool.tls.keylog import KeyLog
from wiretool.tls.keys import DecryptError, InvalidTag, RecordCipher, next_secret, tls12_ciphers, tls13_cipher
from wiretool.tls.names import alert_text
from wiretool.tls.suites import DECRYPTABLE, Suite, suite_name, version_name

Dir = Literal["c2s", "s2c"]
#: Bytes of records held per direction while waiting for the other side's hello.
HOLD_LIMIT = 8 << 20
#: After a gap: the most records a hole is assumed to hold, and the most decryptions tried to find the next.
MAX_SKIPPED_RECORDS = 4096
RESYNC_TRIALS = 20_000
#: At most this many notes are kept per connection (a hostile stream could otherwise make one per record).
MAX_NOTES = 50

CLIENT_HELLO, SERVER_HELLO, NEW_SESSION_TICKET, END_OF_EARLY_DATA = 1, 2, 4, 5
ENCRYPTED_EXTENSIONS, FINISHED, KEY_UPDATE = 8, 20, 24

# Status values (docs/tls-decryption.md lists them); "cipher suite X is not decryptable" and
# "TLS 1.0 is not decryptable" are built with the name.
WAITING = "waiting for the handshake"
DECRYPTING = "decrypting"
NO_KEYS = "no keys for this session"
BAD_MAC = "bad record MAC"
NO_CLIENT_HELLO = "no ClientHello: the capture starts mid-connection"
NOT_TLS = "not TLS"
BROKEN = "undecryptable: the handshake could not be followed"


@dataclass(frozen=True)
class Plain:
    """Decrypted application data of one record: the direction, the time of its last byte, the plaintext.

    ``early`` marks TLS 1.3 0-RTT data (sent before the handshake completed).
    """

    dir: Dir
    t: float
    data: bytes
    early: bool = False


@dataclass(frozen=True)
class TlsNote:
    """Something worth telling about the connection: a problem, an alert, a key update."""

    dir: Dir | None
    t: float
    message: str


@dataclass(frozen=True)
class TlsInfo:
    """The hello facts and where decryption stands; SNI and ALPN offered are known even without keys."""

    status: str = WAITING
    version: str | None = None
    cipher_suite: str | None = None
    sni: str | None = None
    alpn_offered: tuple[str, ...] = ()
    alpn: str | None = None  # chosen: from the ServerHello (1.2) or EncryptedExtensions (1.3, needs keys)
    client_random: str | None = None  # hex, the key log's key for this session

    @property
    def decrypted(self) -> bool:
        """True when the application data of this connection is being decrypted."""
        return self.status == DECRYPTING


@dataclass
class _Side:
    """One direction's state: framing, protection and records held until the handshake lets them through."""

    name: Dir
    records: RecordReader = field(default_factory=RecordReader)
    cipher: RecordCipher | None = None
    pending_cipher: RecordCipher | None = None  # TLS 1.2: switched on by ChangeCipherSpec
    secret: bytes | None = None  # TLS 1.3: the current traffic secret (for KeyUpdate)
    app_secret: bytes | None = None  # TLS 1.3: the first application traffic secret, used after Finished
    early_cipher: RecordCipher | None = None
    handshake: HandshakeReader = field(default_factory=lambda: HandshakeReader(
        frozenset({CLIENT_HELLO, SERVER_HELLO, ENCRYPTED_EXTENSIONS, KEY_UPDATE})))
    held: deque[tuple[TlsRecord, float]] = field(default_factory=deque)
    held_bytes: int = 0
    opened: int = 0  # records decrypted with handshake or application keys
    ccs_seen: int = 0
    dropped: int = 0  # bytes of records dropped after the connection stopped being decryptable


class TlsConnection:
    """Decrypts one TCP connection's TLS, given the key log; one instance per connection.

    :meth:`feed` returns the plaintext records that the bytes complete (possibly of the other direction, when
    they were held waiting for this one's hello); :meth:`finish` names a stream cut inside a record. ``info``
    and ``notes`` may be read at any time.
    """

    def __init__(self, keylog: KeyLog | None = None) -> None:
        self.keylog = keylog or KeyLog()
        self.notes: list[TlsNote] = []
        self.notes_dropped = 0
        self._info = TlsInfo()
        self._sides: dict[str, _Side] = {"c2s": _Side("c2s"), "s2c": _Side("s2c")}
        self._client_hello: ClientHello | None = None
        self._server_hello: ServerHello | None = None
        self._retry = False  # a HelloRetryRequest was seen: a second ClientHello comes
        self._suite: Suite | None = None
        self._tls13 = False
        self._failed = False  # a terminal status is set: no more decryption
        self._out: list[Plain] = []

    @property
    def info(self) -> TlsInfo:
        """The hello facts and status so far."""
        return self._info

    def feed(self, dir: Dir, data: bytes, t: float) -> list[Plain]:
        """Add bytes that ``dir`` sent at time ``t``; return the application data they let us decrypt."""
        if dir not in self._sides:
            raise ValueError(f"dir must be 'c2s' or 's2c', not {dir!r}")  # a caller's bug, not a peer's
        side = self._sides[dir]
        had_error = side.records.error
        records = side.records.feed(data)
        if side.records.error and not had_error:
            self._note(dir, t, side.records.error)
            if self._client_hello is None and dir == "c2s":
                self._fail(NOT_TLS)
        for record in records:
            self._queue(side, record, t)
        self._pump(t)
        out, self._out = self._out, []
        return out

    def gap(self, dir: Dir, length: int, t: float) -> None:
        """The capture lost ``length`` bytes of ``dir`` here (a hole in TCP reassembly).

        With application keys in force, the next record that decrypts is searched for (its sequence number
        tried up to the most records the hole can hold), and decryption resumes there: the lost records are
        named. During the handshake, or when no record decrypts, that direction stops (named); the other
        goes on.
        """
        side = self._sides[dir]
        if side.records.error:
            return
        if self._failed or side.cipher is None or side.app_secret is not None or side.opened == 0:
            message = f"a gap of {length} bytes in the capture: {dir} is not decrypted past it"
            side.records.stop(message)
            self._note(dir, t, message)
            return
        self._note(dir, t, f"a gap of {length} bytes in the capture: looking for the next record of {dir}")
        base = side.cipher.seq
        span = min(MAX_SKIPPED_RECORDS, length // 22 + 2)  # 22: the smallest protected record on the wire
        budget = [RESYNC_TRIALS]

        def probe(record: TlsRecord) -> bool:
            return self._probe(side, record, base, span, budget, t)

        side.records.resync(probe)

    def _probe(self, side: _Side, record: TlsRecord, base: int, span: int, budget: list[int], t: float) -> bool:
        """Whether ``record`` decrypts with a sequence number in [base, base + span]; if so, set it."""
        cipher = side.cipher
        if cipher is None or budget[0] <= 0:
            return False
        candidates = list(range(base, base + span + 1))
        if cipher.suite.explicit_nonce_length:  # TLS 1.2 AES-GCM: senders put the sequence number there
            hint = int.from_bytes(record.fragment[:8], "big")
            if base <= hint <= base + span:
                candidates.insert(0, hint)
        for seq in candidates[:budget[0]]:
            budget[0] -= 1
            cipher.seq = seq
            try:
                cipher.open(record.content_type, record.version, record.fragment)
            except (InvalidTag, DecryptError):
                continue
            cipher.seq = seq  # the record is opened again as it is framed
            lost = seq - base
            self._note(side.name, t, f"resynchronised after the gap: {lost} record{'' if lost == 1 else 's'} lost")
            return True
        cipher.seq = base
        return False

    def finish(self, t: float) -> list[Plain]:
        """The streams have ended: name a record cut short and a handshake never finished; return held data."""
        for side in self._sides.values():
            problem = side.records.finish()
            if problem:
                self._note(side.name, t, problem)
            if side.held and not self._failed:
                self._note(side.name, t, f"{len(side.held)} records were never decrypted: the other side's "
                           "hello never came")
        if self._client_hello is None and not self._failed and any(s.records.offset for s in self._sides.values()):
            self._fail(NO_CLIENT_HELLO)
        out, self._out = self._out, []
        return out

    # -- the record pipeline -------------------------------------------------------------------------------

    def _queue(self, side: _Side, record: TlsRecord, t: float) -> None:
        if self._failed:
            side.dropped += len(record.fragment) + 5
            return
        if side.held_bytes + len(record.fragment) > HOLD_LIMIT:
            self._note(side.name, t, f"more than {HOLD_LIMIT >> 20} MiB arrived before the other side's "
                       "hello: feed both directions in capture order")
            self._fail(BROKEN)
            return
        side.held.append((record, t))
        side.held_bytes += len(record.fragment)

    def _pump(self, t: float) -> None:
        """Process held records of both directions until neither can go on."""
        progress = True
        while progress and not self._failed:
            progress = False
            for side in self._sides.values():
                while side.held and not self._failed and self._ready(side):
                    record, rt = side.held.popleft()
                    side.held_bytes -= len(record.fragment)
                    self._record(side, record, rt)
                    progress = True

    def _ready(self, side: _Side) -> bool:
        """Whether the next record of ``side`` can be understood yet."""
        if side.name == "s2c":
            return self._client_hello is not None
        # c2s: the first ClientHello goes at once, then wait for the ServerHello (or the retry's second hello)
        return self._client_hello is None or self._server_hello is not None or self._retry

    def _record(self, side: _Side, record: TlsRecord, t: float) -> None:
        ctype = record.content_type
        if ctype == CHANGE_CIPHER_SPEC:
            self._change_cipher_spec(side, t)
            return
        if side.cipher is None:
            if ctype == HANDSHAKE:
                self._handshake(side, record.fragment, t)
            elif ctype == ALERT:
                self._alert(side, record.fragment, t)
            elif ctype == APPLICATION_DATA:
                self._unprotected_data(side, record, t)
            return
        self._protected(side, record, t)

    def _unprotected_data(self, side: _Side, record: TlsRecord, t: float) -> None:
        """Application data with no keys in force: early data, or a connection we cannot decrypt."""
        if self._client_hello is None:
            self._fail(NO_CLIENT_HELLO)
        elif side.name == "c2s" and side.early_cipher is not None and side.opened == 0:
            self._open_early(side, record, t)
        elif self._info.status == DECRYPTING:
            self._note(side.name, t, "application data before the keys were in force")

    def _protected(self, side: _Side, record: TlsRecord, t: float) -> None:
        cipher = side.cipher
        assert cipher is not None
        try:
            ctype, plain = cipher.open(record.content_type, record.version, record.fragment)
        except InvalidTag:
            if self._early_retry(side, record, t):
                return
            self._note(side.name, t, f"bad record MAC (record {cipher.seq} of {side.name}): the keys do not "
                       "match this session")
            self._fail(BAD_MAC)
            return
        except DecryptError as exc:
            self._note(side.name, t, str(exc))
            self._fail(BROKEN)
            return
        side.opened += 1
        if ctype == APPLICATION_DATA:
            if plain:
                self._out.append(Plain(side.name, t, plain))
        elif ctype == HANDSHAKE:
            self._handshake(side, plain, t)
        elif ctype == ALERT:
            self._alert(side, plain, t)
        elif ctype != CHANGE_CIPHER_SPEC:
            self._note(side.name, t, f"an encrypted record of content type {ctype} was skipped")

    def _early_retry(self, side: _Side, record: TlsRecord, t: float) -> bool:
        """TLS 1.3: a c2s record that fails with the handshake keys before any opened may be 0-RTT data."""
        hello = self._client_hello
        if not (self._tls13 and side.name == "c2s" and side.opened == 0 and hello and hello.early_data):
            return False
        if side.early_cipher is not None:
            return self._open_early(side, record, t)
        self._note_once(side, t, "0-RTT early data was sent and is not decrypted (no CLIENT_EARLY_TRAFFIC_SECRET)")
        return True

    def _open_early(self, side: _Side, record: TlsRecord, t: float) -> bool:
        cipher = side.early_cipher
        assert cipher is not None
        try:
            ctype, plain = cipher.open(record.content_type, record.version, record.fragment)
        except (InvalidTag, DecryptError):
            self._note_once(side, t, "a 0-RTT record did not decrypt with the early traffic secret: skipped")
            return True
        if ctype == APPLICATION_DATA and plain:
            self._out.append(Plain(side.name, t, plain, early=True))
        return True

    # -- handshake ------------------------------------------------------------------------------------------

    def _handshake(self, side: _Side, fragment: bytes, t: float) -> None:
        for message in side.handshake.feed(fragment):
            try:
                self._message(side, message.msg_type, message.body, t)
            except HelloError as exc:
                self._note(side.name, t, str(exc))
                self._fail(BROKEN)
                return
            if self._failed:
                return
        if side.handshake.error:
            self._note(side.name, t, side.handshake.error)
            self._fail(BROKEN)

    def _message(self, side: _Side, msg_type: int, body: bytes | None, t: float) -> None:
        if msg_type == CLIENT_HELLO and side.name == "c2s" and side.cipher is None and body is not None:
            self._on_client_hello(parse_client_hello(body), t)
        elif msg_type == SERVER_HELLO and side.name == "s2c" and side.cipher is None and body is not None:
            self._on_server_hello(parse_server_hello(body), t)
        elif msg_type == ENCRYPTED_EXTENSIONS and side.name == "s2c" and body is not None:
            alpn = parse_encrypted_extensions_alpn(body)
            if alpn:
                self._set(alpn=alpn)
        elif msg_type == FINISHED and self._tls13 and side.app_secret is not None:
            side.secret = side.app_secret
            side.app_secret = None
            side.cipher = tls13_cipher(self._suite, side.secret)  # type: ignore[arg-type]
            side.handshake = HandshakeReader(side.handshake.keep)
        elif msg_type == KEY_UPDATE and self._tls13 and side.secret is not None and side.app_secret is None:
            side.secret = next_secret(self._suite, side.secret)  # type: ignore[arg-type]
            side.cipher = tls13_cipher(self._suite, side.secret)  # type: ignore[arg-type]
            self._note(side.name, t, "key update: the next records use the next traffic secret")

    def _on_client_hello(self, hello: ClientHello, t: float) -> None:
        if self._client_hello is not None and not self._retry:
            return  # a renegotiation hello in the clear (TLS 1.2 without secure renegotiation): ignored
        self._client_hello = hello if self._client_hello is None else self._client_hello
        self._retry = False
        self._set(sni=hello.sni, alpn_offered=hello.alpn, client_random=self._client_hello.random.hex())

    def _on_server_hello(self, hello: ServerHello, t: float) -> None:
        if hello.is_retry:
            self._retry = True
            self._note("s2c", t, "HelloRetryRequest: the client sends a second ClientHello")
            return
        if self._server_hello is not None:
            return
        self._server_hello = hello
        self._set(version=version_name(hello.version), cipher_suite=suite_name(hello.cipher_suite),
                  alpn=hello.alpn)
        if hello.version not in (0x0303, 0x0304):
            self._fail(f"{version_name(hello.version)} is not decryptable")
            return
        suite = DECRYPTABLE.get(hello.cipher_suite)
        if suite is None or suite.tls13 != (hello.version == 0x0304):
            self._fail(f"cipher suite {suite_name(hello.cipher_suite)} is not decryptable")
            return
        self._suite, self._tls13 = suite, suite.tls13
        assert self._client_hello is not None
        secrets = self.keylog.secrets_for(self._client_hello.random)
        c2s, s2c = self._sides["c2s"], self._sides["s2c"]
        if self._tls13:
            needed = ("CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
                      "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0")
            if any(label not in secrets for label in needed):
                self._fail(NO_KEYS)
                return
            if any(len(secrets[label]) != (48 if suite.hash_name == "sha384" else 32) for label in needed):
                self._fail(f"{NO_KEYS}: the logged secrets do not fit {suite.name}")
                return
            c2s.secret, c2s.app_secret = secrets[needed[0]], secrets[needed[2]]
            s2c.secret, s2c.app_secret = secrets[needed[1]], secrets[needed[3]]
            c2s.cipher = tls13_cipher(suite, c2s.secret)
            s2c.cipher = tls13_cipher(suite, s2c.secret)
            if "CLIENT_EARLY_TRAFFIC_SECRET" in secrets and self._client_hello.early_data:
                c2s.early_cipher = tls13_cipher(suite, secrets["CLIENT_EARLY_TRAFFIC_SECRET"])
            s2c.handshake = HandshakeReader(s2c.handshake.keep)
            c2s.handshake = HandshakeReader(c2s.handshake.keep)
        else:
            master = secrets.get("CLIENT_RANDOM")
            if master is None:
                self._fail(NO_KEYS)
                return
            c2s.pending_cipher, s2c.pending_cipher = tls12_ciphers(suite, master, self._client_hello.random,
                                                                    hello.random)
        self._set(status=DECRYPTING)

    def _change_cipher_spec(self, side: _Side, t: float) -> None:
        if self._tls13:
            return  # middlebox compatibility (RFC 8446 appendix D.4): carries nothing
        side.ccs_seen += 1
        if side.ccs_seen > 1:
            self._note(side.name, t, "renegotiation is not followed: later records are not decrypted")
            self._fail(BROKEN)
            return
        if side.pending_cipher is None:
            return  # before the ServerHello (a HelloRetryRequest's compatibility CCS), or no keys
        side.cipher, side.pending_cipher = side.pending_cipher, None
        side.handshake = HandshakeReader(side.handshake.keep)

    def _alert(self, side: _Side, body: bytes, t: float) -> None:
        self._note(side.name, t, f"alert: {alert_text(body)}")

    # -- bookkeeping ----------------------------------------------------------------------------------------

    def _set(self, **changes: object) -> None:
        from dataclasses import replace

        self._info = replace(self._info, **changes)

    def _fail(self, status: str) -> None:
        """Set a terminal status (the first one wins) and stop decrypting."""
        if self._failed:
            return
        self._failed = True
        self._set(status=status)
        for side in self._sides.values():
            side.cipher = side.pending_cipher = side.early_cipher = None
            side.held.clear()
            side.held_bytes = 0

    def _note(self, dir: Dir | None, t: float, message: str) -> None:
        if len(self.notes) >= MAX_NOTES:
            self.notes_dropped += 1
            return
        self.notes.append(TlsNote(dir, t, message))

    def _note_once(self, side: _Side, t: float, message: str) -> None:
        if not any(n.message == message for n in self.notes):
            self._note(side.name, t, message)
