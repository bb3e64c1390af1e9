"""``wiretool replay`` of an HTTP/2 capture: every recorded request again, on one connection, concurrently.

The requests (method, path, headers, body) are read from the capture's client frames and sent through
the same :class:`~wiretool.transport.h2.H2Client` as ``h2 get``, so the replay shows the same frame view.
The answers compared are, per stream in request order: status, headers (minus volatile ones), the body
(JSON compares as JSON), trailers, and how the stream ended.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit

from wiretool.capture.exchanges import exchanges
from wiretool.capture.file import Capture, Chunk
from wiretool.errors import UsageError
from wiretool.replay.chunks import ChunkReplaySession, ReplaySink
from wiretool.replay.compare import VOLATILE_HEADERS, Answer, Rules
from wiretool.replay.options import ReplayOptions
from wiretool.replay.target import origin, origin_form
from wiretool.secrets import redact_url

SKIP_REQUEST = frozenset({":authority", "user-agent", "content-length", "host"})


def answers(chunks: Sequence[Chunk]) -> list[Answer]:
    out = []
    for n, ex in enumerate(exchanges(chunks), 1):
        label = f"response {n} ({ex.request.method if ex.request else '?'} {ex.request.target if ex.request else ''})"
        if ex.response is None:
            out.append(Answer(f"{label} status", ex.reset or "(no response)"))
            continue
        out.append(Answer(f"{label} status", ex.response.status))
        out.append(Answer(f"{label} headers", {n.lower(): v for n, v in ex.response.headers
                                               if n.lower() not in VOLATILE_HEADERS}))
        body = b"".join(d for _t, d in ex.body)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = "hex:" + body.hex()
        out.append(Answer(f"{label} body", text))
        if ex.trailers:
            out.append(Answer(f"{label} trailers", dict(ex.trailers)))
        out.append(Answer(f"{label} end", f"reset {ex.reset}" if ex.reset else
                          "ended" if ex.ended else "cut short"))
    return out


def session(cap: Capture, opts: ReplayOptions, *, check: bool, rules: Rules) -> ChunkReplaySession:
    """Replay an h2 capture on one new connection, run by the one run layer; ``check`` compares the answers."""
    return ChunkReplaySession("h2", cap, opts, check=check, rules=rules, replay=replay, answers=answers)


async def replay(cap: Capture, opts: ReplayOptions, sink: ReplaySink) -> list[Chunk]:
    """Send the recorded requests again through H2Client (its frame view shown); return every chunk both ways."""
    from wiretool.transport.h2 import H2Client
    from wiretool.transport.h2_outcome import ClientConfig, RequestSpec
    from wiretool.transport.tls import client_context

    recorded = [ex for ex in exchanges(cap.chunks) if ex.request is not None]
    if not recorded:
        raise UsageError("the capture holds no HTTP/2 request to replay")
    base = opts.url or str(cap.header.get("url", ""))
    try:
        parts = urlsplit(base)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:  # an unclosed IPv6 bracket, a port that is not a number in 0-65535
        raise UsageError(f"bad URL {redact_url(base)!r}: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"expected an http:// or https:// URL, got {redact_url(base)!r}")
    default = 443 if parts.scheme == "https" else 80
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    authority = host + ("" if port == default else f":{port}")
    overrides = {n.lower(): (n, v) for n, v in opts.headers}
    specs = []
    warned: set[str] = set()
    targets = [origin_form(ex.request.target, n) for n, ex in enumerate(recorded, 1) if ex.request is not None]
    home = origin(parts)
    for ex, target in zip(recorded, targets, strict=True):
        assert ex.request is not None
        headers = []
        for name, value in ex.request.headers:
            low = name.lower()
            if low in SKIP_REQUEST or low in overrides or (low == "accept" and value == "*/*"):
                continue
            if (value and set(value) <= {"*"}) or value == "<redacted>":
                if low not in warned:
                    sink.note(f"{name} was redacted in the capture and is not sent (give it with -H)", level="warn")
                    warned.add(low)
                continue
            headers.append((name, value))
        headers += list(overrides.values())
        body = bytes(ex.request_body) if ex.request_body or ex.request.method not in ("GET", "HEAD") else None
        specs.append(RequestSpec(url=home + target, path=target,
                                 method=ex.request.method, headers=headers, body=body))
    ctx = None
    if parts.scheme == "https":
        ctx = client_context(insecure=opts.insecure, cacert=opts.cacert, cert=opts.cert, key=opts.key,
                             alpn=["h2", "http/1.1"])
    cfg = ClientConfig(scheme=parts.scheme, host=parts.hostname, port=port, authority=authority, requests=specs,
                       ssl_context=ctx, connect_timeout=opts.connect_timeout,
                       idle_timeout=opts.idle_timeout,
                       show_secrets=opts.show_secrets)
    await H2Client(cfg, capture=True).exchange(sink)
    return sink.chunks
