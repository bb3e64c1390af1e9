"""The NSS key log format (SSLKEYLOGFILE): the secrets browsers, curl, OpenSSL and wiretool itself write.

Each line is ``LABEL <client random, hex> <secret, hex>``; ``#`` starts a comment. The client random (32 bytes)
ties the secrets to one TLS session: it is read from that session's ClientHello. The labels are those of
https://www.ietf.org/archive/id/draft-ietf-tls-keylogfile-02.html (CLIENT_RANDOM for TLS 1.2, the
``*_TRAFFIC_SECRET`` labels for TLS 1.3). A bad line is named with its number and skipped, never fatal: a
key log is often appended to by several programs at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from wiretool.errors import UsageError

#: Labels whose secrets decrypt something; the others (exporter secrets) are accepted and ignored.
USEFUL_LABELS = frozenset({
    "CLIENT_RANDOM",  # TLS 1.2 (and earlier): the 48-byte master secret
    "CLIENT_EARLY_TRAFFIC_SECRET",  # TLS 1.3 0-RTT data
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
    "SERVER_HANDSHAKE_TRAFFIC_SECRET",
    "CLIENT_TRAFFIC_SECRET_0",
    "SERVER_TRAFFIC_SECRET_0",
})
IGNORED_LABELS = frozenset({"EARLY_EXPORTER_SECRET", "EXPORTER_SECRET", "EARLY_EXPORTER_MASTER_SECRET",
                            "EXPORTER_MASTER_SECRET", "ECH_SECRET", "ECH_CONFIG"})
#: The most bad lines kept by name; the rest are counted (a binary file given by mistake has millions).
MAX_PROBLEMS = 20
#: A line longer than this is not a key log line (the longest, a SHA-384 secret, is about 200 characters).
MAX_LINE = 1024


@dataclass(frozen=True)
class KeyLogProblem:
    """One line of a key log that was skipped, and why."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class KeyLog:
    """The secrets of a key log, by client random; build it with :meth:`parse` or :meth:`read`.

    ``problems`` names the first :data:`MAX_PROBLEMS` bad lines; ``skipped`` counts every bad line.
    """

    sessions: dict[bytes, dict[str, bytes]] = field(default_factory=dict)
    problems: list[KeyLogProblem] = field(default_factory=list)
    skipped: int = 0
    source: str = "key log"

    @classmethod
    def parse(cls, text: str | bytes, source: str = "key log") -> KeyLog:
        """Read key log text (e.g. a pcapng Decryption Secrets Block); bad lines are named in ``problems``."""
        if isinstance(text, (bytes, bytearray, memoryview)):
            text = bytes(text).decode("utf-8", "replace")
        log = cls(source=source)
        log.add_lines(text.splitlines())
        return log

    @classmethod
    def read(cls, path: str | Path) -> KeyLog:
        """Read a key log file line by line (bounded memory whatever its size).

        Raises :class:`~wiretool.errors.UsageError` (exit 2) with one line when the file cannot be read.
        """
        log = cls(source=str(path))
        try:
            with open(path, "rb") as fh:
                log.add_lines(_lines(fh))
        except IsADirectoryError:
            raise UsageError(f"cannot read key log {path}: it is a directory") from None
        except OSError as exc:
            raise UsageError(f"cannot read key log {path}: {exc.strerror or exc}") from None
        return log

    def add_lines(self, lines: Iterable[str]) -> None:
        """Add the secrets of ``lines`` (later lines win for the same label and client random)."""
        for number, raw in enumerate(lines, 1):
            problem = self._add_line(raw.strip())
            if problem:
                self.skipped += 1
                if len(self.problems) < MAX_PROBLEMS:
                    self.problems.append(KeyLogProblem(number, problem))

    def extend(self, other: KeyLog) -> None:
        """Merge the secrets (and problems) of ``other`` into this log: a --keylog file plus pcapng secrets."""
        for random, secrets in other.sessions.items():
            self.sessions.setdefault(random, {}).update(secrets)
        room = MAX_PROBLEMS - len(self.problems)
        self.problems.extend(other.problems[:max(room, 0)])
        self.skipped += other.skipped

    def secrets_for(self, client_random: bytes) -> dict[str, bytes]:
        """The secrets logged for the session whose ClientHello carried ``client_random`` (label → secret)."""
        return self.sessions.get(bytes(client_random), {})

    def __len__(self) -> int:
        """The number of sessions with at least one secret."""
        return len(self.sessions)

    def _add_line(self, line: str) -> str | None:
        """Add one line; return why it was skipped, or None."""
        if not line or line.startswith("#"):
            return None
        if len(line) > MAX_LINE:
            return f"{len(line)} characters long: not a key log line"
        parts = line.split()
        label = parts[0]
        if label == "RSA":  # RSA <encrypted pre-master prefix> <pre-master>: no client random to match
            return "RSA pre-master secrets are not supported (use CLIENT_RANDOM lines)"
        if label not in USEFUL_LABELS and label not in IGNORED_LABELS:
            return f"unknown label {_safe(label)!r}"
        if len(parts) != 3:
            return f"{label} needs a client random and a secret, found {len(parts) - 1} fields"
        try:
            random, secret = bytes.fromhex(parts[1]), bytes.fromhex(parts[2])
        except ValueError:
            return f"{label}: not hex"
        if len(random) != 32:
            return f"{label}: the client random is {len(random)} bytes, not 32"
        if label in IGNORED_LABELS:
            return None
        wanted = (48,) if label == "CLIENT_RANDOM" else (32, 48)
        if len(secret) not in wanted:
            return f"{label}: the secret is {len(secret)} bytes, not {' or '.join(map(str, wanted))}"
        self.sessions.setdefault(random, {})[label] = secret
        return None


def _lines(fh: BinaryIO) -> Iterator[str]:
    """Decode a binary file's lines leniently; a line longer than MAX_LINE is cut (the rest read and dropped)."""
    while True:
        raw = fh.readline(MAX_LINE + 1)
        if not raw:
            return
        if len(raw) > MAX_LINE and not raw.endswith(b"\n"):
            while (rest := fh.readline(1 << 16)) and not rest.endswith(b"\n"):
                pass
        yield raw.decode("utf-8", "replace")


def _safe(text: str) -> str:
    """A label cut short and stripped of control characters, fit for a one-line message."""
    return "".join(ch if ch.isprintable() else "?" for ch in text[:40])

