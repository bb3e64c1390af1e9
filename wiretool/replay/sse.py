"""``wiretool replay`` of an SSE capture: each recorded request again (method, headers, body), one after another.

A recorded stream that the client ended (``--max-events``, ``--timeout``) is read again only as far as
it was then: as many events. The answers compared are, per response: status, headers (minus volatile
ones), every event (type, data, id, retry; JSON data compares as JSON) and whether the server ended it.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

from wiretool.capture.exchanges import Exchange, exchanges
from wiretool.capture.file import Capture, Chunk
from wiretool.codec.sse import SseCodec
from wiretool.errors import ConnectError, TimeoutExpired, UsageError
from wiretool.records.sse import SseEvent
from wiretool.replay.chunks import ChunkReplaySession, ReplaySink
from wiretool.replay.compare import VOLATILE_HEADERS, Answer, Rules
from wiretool.replay.options import ReplayOptions
from wiretool.replay.target import origin, origin_form
from wiretool.secrets import redact_url
from wiretool.session import Chunk as TapChunk

SKIP_REQUEST = frozenset({"host", "content-length", "connection", "transfer-encoding", ":authority"})
VOLATILE = VOLATILE_HEADERS | {"transfer-encoding"}


def events_of(ex: Exchange) -> list[SseEvent]:
    """The events of one response body (comments left out)."""
    codec = SseCodec()
    records = []
    for t, data in ex.body:
        records += codec.feed(data, t)
    if ex.ended:
        records += codec.finish(0.0)
    return [r for r in records if type(r) is SseEvent]


def _answers(exs: list[Exchange], limits: list[int | None]) -> list[Answer]:
    out = []
    for n, (ex, limit) in enumerate(zip(exs, limits, strict=False), 1):
        if ex.response is None:
            out.append(Answer(f"response {n} status", "(no response)"))
            continue
        out.append(Answer(f"response {n} status", ex.response.status))
        headers: dict[str, str] = {}
        for name, value in ex.response.headers:
            if name.lower() not in VOLATILE:
                headers[name.lower()] = value
        out.append(Answer(f"response {n} headers", headers))
        evs = events_of(ex)
        if limit is not None:
            evs = evs[:limit]
        for k, e in enumerate(evs, 1):
            out.append(Answer(f"response {n} event {k}", {"event": e.event, "data": e.data, "id": e.id,
                                                          "retry": e.retry}))
        if limit is None:
            out.append(Answer(f"response {n} end", "ended by the server" if ex.ended else "cut short"))
    return out


def answers(chunks: Sequence[Chunk]) -> list[Answer]:
    exs = exchanges(chunks)
    return _answers(exs, [None] * len(exs))


class Replayed(list[Chunk]):
    """The replay's chunks, and which of its responses (0-based) it stopped reading past the recording: a
    close-delimited body then looks ended in the bytes although the server had not ended it."""

    cut: set[int]

    def __init__(self) -> None:
        super().__init__()
        self.cut = set()


def answers_pair(recorded: Sequence[Chunk], replayed: Sequence[Chunk]) -> tuple[list[Answer], list[Answer]]:
    """Both sides' answers, the replay's streams cut where the recording's client stopped reading."""
    rec, rep = exchanges(recorded), exchanges(replayed)
    for i in getattr(replayed, "cut", ()):
        if i < len(rep):
            rep[i].ended = False
    limits: list[int | None] = [None if ex.ended else len(events_of(ex)) for ex in rec]
    limits += [None] * max(0, len(rep) - len(rec))
    return _answers(rec, limits), _answers(rep, limits)


def session(cap: Capture, opts: ReplayOptions, *, check: bool, rules: Rules) -> ChunkReplaySession:
    """Replay an sse capture's requests in order, run by the one run layer; ``check`` compares the answers."""
    return ChunkReplaySession("sse", cap, opts, check=check, rules=rules, replay=replay, answers=answers,
                              answers_pair=answers_pair)


async def replay(cap: Capture, opts: ReplayOptions, sink: ReplaySink) -> Replayed:
    """Send each recorded request again, in order, on a fresh httpx client whose socket bytes are tapped.

    Every chunk goes to ``sink.chunk`` (the capture) and into the list returned, which also says which
    responses were read no further than the recording (:class:`Replayed`)."""
    import httpx

    from wiretool.transport.http_tap import install
    from wiretool.transport.tls import client_context

    recorded = exchanges(cap.chunks)
    if not recorded:
        raise UsageError("the capture holds no HTTP request to replay")
    base = opts.url or str(cap.header.get("url", ""))
    try:
        parts = urlsplit(base)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number in 0-65535
    except ValueError as exc:
        raise UsageError(f"bad URL {redact_url(base)!r}: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"expected an http:// or https:// URL, got {redact_url(base)!r}")
    # Every target is checked before anything is sent: a tampered request must not half-run the replay.
    targets = [origin_form(ex.request.target, n) if ex.request is not None else "" for n, ex in enumerate(recorded, 1)]
    home = origin(parts)
    chunks = Replayed()

    def tap(conn: int, dir: str, data: bytes) -> None:
        sink.chunk(TapChunk(dir, sink.now(), data, conn))  # kept in sink.chunks, and to the capture

    http2 = bool(cap.header.get("http2")) or (any(ex.http2 for ex in recorded) and parts.scheme == "http")
    verify: Any = True
    if parts.scheme == "https":
        verify = client_context(insecure=opts.insecure, cacert=opts.cacert, cert=opts.cert, key=opts.key)
    idle = opts.idle_timeout or idle_default(cap.chunks)
    client = httpx.AsyncClient(http1=not http2, http2=http2 or (parts.scheme == "https" and not cap.header.get("http1")),
                               verify=verify, trust_env=False,
                               timeout=httpx.Timeout(connect=opts.connect_timeout, read=idle,
                                                     write=opts.connect_timeout, pool=opts.connect_timeout))
    install(client, tap)
    async with client:
        for n, ex in enumerate(recorded, 1):
            if ex.request is None:
                continue
            url = base if opts.url else home + targets[n - 1]
            headers = _headers(ex, opts, sink)
            events = len(events_of(ex))
            limit = None if ex.ended else events
            recorded_bytes = sum(len(data) for _, data in ex.body)
            try:
                past = await _one(client, ex.request.method, url, headers, bytes(ex.request_body) or None, limit,
                                  events=events, max_bytes=recorded_bytes + PAST_RECORDING)
                if past:
                    chunks.cut.add(sum(1 for e in recorded[:n] if e.request is not None) - 1)
                    sink.note(f"response {n} went on past the recording ({past}): stopped reading it", level="warn")
            except httpx.ConnectError as exc:
                raise ConnectError(f"cannot connect to {redact_url(url)}: {exc}") from None
            except httpx.TimeoutException:
                raise TimeoutExpired(f"request {n} to {redact_url(url)}: nothing received for {idle:g} s "
                                     "(--idle-timeout)") from None
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.DecodingError) as exc:
                sink.note(f"response {n} broken: {exc}", level="warn")
            except httpx.LocalProtocolError as exc:  # a hand-edited capture: a header or method h11 will not send
                raise UsageError(f"request {n} of the capture cannot be sent: {exc}") from None
    chunks += sink.chunks
    return chunks


def idle_default(chunks: Sequence[Chunk]) -> float:
    """Twice the longest pause between received chunks in the recording, and at least 10 s."""
    times = [c.t for c in chunks if c.dir == "recv"]
    longest = max((b - a for a, b in pairwise(times)), default=0.0)
    return max(10.0, 2 * longest)


PAST_RECORDING = 1 << 20
"""Body bytes read beyond the recorded response's before the replay stops reading it (see :func:`_one`)."""


async def _one(client: Any, method: str, url: str, headers: list[tuple[str, str]], body: bytes | None,
               limit: int | None, *, events: int, max_bytes: int) -> str:
    """Send one request and read its stream as far as ``--check`` compares it; say why if it stopped early.

    A recorded stream the client cut short is read to as many events (``limit``). One the server ended is read
    to its end, but no further than one event more than recorded, ``max_bytes`` of body, or a broken size
    limit: past that the answers already differ ("cut short" against "ended"), and keeping the rest (a stream
    that goes on for 150 MB) would only grow memory.
    """
    codec = SseCodec()
    seen = 0
    got = 0
    async with client.stream(method, url, headers=headers, content=body) as resp:
        if limit == 0:
            return ""
        async for data in resp.aiter_raw():
            got += len(data)
            seen += sum(1 for r in codec.feed(data, 0.0) if type(r) is SseEvent)
            if limit is not None and seen >= limit:
                return ""
            if limit is None:
                if seen > events:
                    return f"more than the {events} events recorded"
                if got > max_bytes:
                    return f"more than {max_bytes - PAST_RECORDING} bytes recorded and {PAST_RECORDING} more"
                if codec.exceeded is not None:
                    return codec.exceeded.message
    return ""


def _headers(ex: Exchange, opts: ReplayOptions, sink: ReplaySink) -> list[tuple[str, str]]:
    assert ex.request is not None
    overrides = {n.lower(): (n, v) for n, v in opts.headers}
    headers = []
    for name, value in ex.request.headers:
        low = name.lower()
        if low in SKIP_REQUEST or low in overrides:
            continue
        if value == "<redacted>" or set(value) == {"*"}:
            sink.note(f"{name} was redacted in the capture and is not sent (give it with -H)", level="warn")
            continue
        headers.append((name, value))
    return headers + list(overrides.values())

