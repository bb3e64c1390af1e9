"""``serve sse``: the ASGI app's routes in-process (httpx against ``running_server``), and the command itself."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess

import httpx
import pytest
from conftest import WIRETOOL

from wiretool.codec.sse import Comment, Event, parse_all
from wiretool.serve.sse import ServeOptions, running_server


async def _get(url: str, headers: dict[str, str] | None = None, method: str = "GET", **kw) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.request(method, url, headers=headers, **kw)


def _events(body: bytes) -> list[Event]:
    return [i for i in parse_all(body) if isinstance(i, Event)]


def test_serve_sse_numbered_events_resume_and_204_when_done() -> None:
    async def main() -> None:
        served = []
        async with running_server(ServeOptions(interval=0, count=5, retry=250), on_served=served.append) as srv:
            r = await _get(srv.url + "events")
            assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
            assert r.text.startswith("retry: 250\n\n")
            assert [(e.id, json.loads(e.data)["n"]) for e in _events(r.content)] == [(str(i), i) for i in range(1, 6)]
            resumed = await _get(srv.url + "events", {"Last-Event-ID": "3"})
            assert [e.id for e in _events(resumed.content)] == ["4", "5"]
            done = await _get(srv.url + "events", {"Last-Event-ID": "5"})
            assert done.status_code == 204
        assert [s.status for s in served] == [200, 200, 204]
        assert served[1].last_event_id == "3" and served[1].events == 2

    asyncio.run(main())


def test_serve_sse_drop_every_types_and_heartbeat() -> None:
    async def main() -> None:
        async with running_server(ServeOptions(interval=0.01)) as srv:
            r = await _get(srv.url + "?drop_every=3&types=a,b&heartbeat=0.004")
            items = parse_all(r.content)
            events = [i for i in items if isinstance(i, Event)]
            assert [(e.event, e.id) for e in events] == [("a", "1"), ("b", "2"), ("a", "3")]
            assert Comment("heartbeat") in items
            fast = await _get(srv.url + "events?interval=0&count=1200&batch=500")
            assert len(_events(fast.content)) == 1200

    asyncio.run(main())


def test_serve_sse_test_routes_and_llm() -> None:
    async def main() -> None:
        async with running_server(ServeOptions()) as srv:
            assert (await _get(srv.url + "status/418")).status_code == 418
            assert (await _get(srv.url + "nope")).status_code == 404
            text = await _get(srv.url + "text")
            assert text.status_code == 200 and text.headers["content-type"].startswith("text/plain")
            assert (await _get(srv.url + "nocontent")).status_code == 204
            llm = await _get(srv.url + "v1/chat/completions", method="POST", json={"model": "z"})
            events = _events(llm.content)
            assert events[-1].data == "[DONE]" and json.loads(events[0].data)["model"] == "z"
        async with running_server(ServeOptions(mode="llm")) as srv:
            assert (await _get(srv.url + "anything")).status_code == 405
            post = await _get(srv.url + "anything", method="POST", content=b"not json")
            assert _events(post.content)[-1].data == "[DONE]"

    asyncio.run(main())


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_sse_command_prints_url_first_and_exits_0_on_signal(sig: int) -> None:
    proc = subprocess.Popen([WIRETOOL, "serve", "sse", "--port", "0", "--json", "--interval", "0.01", "--count", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = json.loads(proc.stdout.readline())  # type: ignore[union-attr]
    assert first == {"proto": "sse", "type": "listening", "url": first["url"]}
    assert first["url"].startswith("http://127.0.0.1:")
    body = httpx.get(first["url"] + "events", timeout=10).content
    assert [e.id for e in _events(body)] == ["1", "2"]
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=15)
    assert proc.returncode == 0
    served = [json.loads(line) for line in out.splitlines()]
    assert served[0]["type"] == "served" and served[0]["events"] == 2 and served[0]["path"] == "/events"


def test_serve_sse_command_self_signed_serves_h2_over_tls() -> None:
    proc = subprocess.Popen([WIRETOOL, "serve", "sse", "--port", "0", "--self-signed", "--interval", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().split()[-1]  # type: ignore[union-attr]
        ca = proc.stderr.readline().split()[-1]  # type: ignore[union-attr]
        assert url.startswith("https://127.0.0.1:")
        import ssl

        with httpx.Client(verify=ssl.create_default_context(cafile=ca), http2=True, timeout=10) as client:
            r = client.get(url + "events?count=3")
        assert r.http_version == "HTTP/2" and len(_events(r.content)) == 3
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)
    assert proc.returncode == 0


@pytest.mark.parametrize("proto", ["sse", "ws", "h2"])
def test_serve_command_rejects_busy_port_with_exit_3(proto: str) -> None:
    """Every server says the same when its port is taken: one line, exit 3 (the socket could not be set up)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        proc = subprocess.run([WIRETOOL, "serve", proto, "--port", str(port)], capture_output=True, text=True,
                              timeout=20)
    assert proc.returncode == 3, proc.stderr
    assert "cannot listen" in proc.stderr and "Traceback" not in proc.stderr


def test_serve_sse_odd_digits_in_last_event_id_and_status_route_start_over() -> None:
    """'²' passes str.isdigit and 5000 digits hit the int-string limit: each once crashed the request."""
    async def main() -> None:
        async with running_server(ServeOptions(interval=0, count=2)) as srv:
            for lei in ("\u00b2".encode(), b"9" * 5000):
                r = await _get(srv.url + "events", {"Last-Event-ID": lei})  # type: ignore[dict-item]
                assert r.status_code == 200 and [e.id for e in _events(r.content)] == ["1", "2"]
            assert (await _get(srv.url + "status/%C2%B2")).status_code == 400
            assert (await _get(srv.url + "status/" + "5" * 5000)).status_code == 400

    asyncio.run(main())
