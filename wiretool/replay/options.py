"""What ``wiretool replay`` was asked to do, shared by the ws, sse and h2 replays."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ReplayOptions:
    """How to replay (shared by every protocol; each uses what applies to it)."""

    url: str | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    exact: bool = False
    same_mask: bool = False
    speed: float = 1.0
    no_delay: bool = False
    timeout: float | None = None
    connect_timeout: float | None = 10.0
    idle_timeout: float | None = None
    """Longest wait for the server's next bytes (None: twice the longest pause in the recording, at least 10 s)."""
    insecure: bool = False
    cacert: str | None = None
    cert: str | None = None
    key: str | None = None
    show_secrets: bool = False
