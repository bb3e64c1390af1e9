"""Shared by the GraphQL, JSON-RPC, MQTT and STOMP view tests: the npm servers of tests/peers/npm/views2 (started
on loopback port 0, ready when they print ``listening PORT``), ``ws connect --json`` against them, and the
received and sent messages run through the payload views with one context per connection, as the run does.
"""

from __future__ import annotations

import json
import selectors
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from conftest import run_wiretool

from wiretool import views
from wiretool.views import ViewContext, ViewResult

NPM = Path(__file__).resolve().parents[1] / "peers" / "npm" / "views2"


@contextmanager
def node_server(script: str, ready_timeout: float = 20.0) -> Iterator[int]:
    """``node SCRIPT`` from the npm peer folder; yields the port it printed, and stops it afterwards."""
    proc = subprocess.Popen(["node", script], cwd=NPM, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(ready_timeout):
            raise AssertionError(f"{script} did not start within {ready_timeout}s")
        line = proc.stdout.readline().decode()
        assert line.startswith("listening "), (line, proc.stderr.read().decode() if proc.poll() is not None else "")
        yield int(line.split()[1])
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def connect(url: str, *args: str, timeout: float = 30) -> tuple[int, list[dict[str, Any]]]:
    """``wiretool ws connect URL --json --show messages --no-stdin ARGS``: (exit status, records)."""
    result = run_wiretool(["ws", "connect", url, "--json", "--show", "messages", "--no-stdin", *args],
                          timeout=timeout)
    return result.exit_code, result.json_lines()


def payload_of(record: dict[str, Any]) -> bytes | str:
    """A message record's payload as the view gets it: the text, or the bytes of its hex."""
    return record["text"] if "text" in record else bytes.fromhex(record["hex"])


def viewed(records: Sequence[dict[str, Any]], view: str | None = None) -> list[tuple[str, ViewResult]]:
    """(dir, view result) of every message record, decoded with one shared context as a connection is:
    the negotiated subprotocol from the handshake, the record's ``t`` and ``dir``; ``view`` forces one."""
    subprotocol = next((r.get("subprotocol") for r in records if r["type"] == "handshake" and r["dir"] == "recv"),
                       None)
    url = next((r["url"] for r in records if r["type"] == "connect"), "")
    forced = views.by_name(view) if view and hasattr(views, "by_name") else None
    if view and forced is None:
        forced = next(v for v in views.VIEWS if v.name == view)
    state: dict[str, Any] = {}
    out = []
    for r in records:
        if r["type"] != "message":
            continue
        ctx = ViewContext(proto="ws", dir=r["dir"], t=r["t"], url=url, subprotocol=subprotocol, state=state)
        out.append((r["dir"], views.render(payload_of(r), ctx, view=forced)))
    return out


def fields_of(results: Sequence[tuple[str, ViewResult]], direction: str | None = None) -> list[dict[str, Any]]:
    """The fields of each result (of one direction), checked JSON-able on the way."""
    out = []
    for d, result in results:
        if direction is None or d == direction:
            assert result.error is None, result.error
            assert result.fields is not None, result
            json.dumps(result.fields)
            out.append(result.fields)
    return out


def record_views(records: Sequence[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """The ``view`` objects on the data message records of a ``--json`` run, each checked to be the view
    ``name`` (picked automatically) and to carry what the view gives on its own for the same messages."""
    messages = [r for r in records if r["type"] == "message"]
    carried = [r.get("view") for r in messages]
    assert all(v is not None and v["name"] == name for v in carried), [(r.get("view"), payload_of(r))
                                                                       for r in messages]
    again = [json.loads(json.dumps(result.fields)) for _, result in viewed(records)]
    assert [v["fields"] for v in carried] == again  # type: ignore[index]
    return carried  # type: ignore[return-value]
