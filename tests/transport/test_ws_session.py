"""The ws client as a session: it writes only to its sink (records and the raw chunks), never to stdout."""

from __future__ import annotations

import asyncio
import io
from typing import Any

from wiretool.exitcodes import ExitCode
from wiretool.output.env import Environment
from wiretool.output.sink import Output
from wiretool.serve.ws import ServeOptions, running_server
from wiretool.serve.ws_script import parse_script
from wiretool.session import ListSink, Outcome
from wiretool.transport.ws import ClientOptions
from wiretool.transport.ws_session import ConnectPlan, WsClientSession


def quiet() -> Output:
    return Output(Environment(stdout=io.StringIO(), stderr=io.StringIO(), json=True), proto="ws")


async def _session(script: str, **client: Any) -> tuple[ListSink, Outcome, WsClientSession]:
    opts = ServeOptions(port=0, show="none", mode="script", script=parse_script(script))
    async with running_server(quiet(), opts) as server:
        session = WsClientSession(ConnectPlan(client=ClientOptions(url=server.url, **client), stdin="none",
                                              sends=[("text", b"hi")]))
        sink = ListSink()
        outcome = await asyncio.wait_for(session.run(sink), 20)
    return sink, outcome, session


def test_records_and_chunks_go_to_the_sink_only(capsys: Any) -> None:
    sink, outcome, session = asyncio.run(_session("recv\nsend hello\nclose 1000 done"))
    assert outcome.code == ExitCode.OK, outcome
    kinds = [r.type for r in sink.records]
    assert kinds[:3] == ["connect", "handshake", "handshake"] and kinds[-1] == "close"
    assert [(r.dir, r.payload_text) for r in sink.records if r.type == "frame" and r.opcode == 1] == [
        ("send", "hi"), ("recv", "hello")]
    recv = b"".join(c.data for c in sink.chunks if c.dir == "recv")
    send = b"".join(c.data for c in sink.chunks if c.dir == "send")
    assert recv.startswith(b"HTTP/1.1 101") and send.startswith(b"GET / HTTP/1.1")
    counts = session.counts()
    assert (counts["bytes_in"], counts["bytes_out"]) == (len(recv), len(send))
    assert capsys.readouterr().out == ""


def test_messages_mode_builds_message_records_from_the_state_machine() -> None:
    sink, outcome, _ = asyncio.run(_session("recv\nsend one\nsend two\nclose 1000", show="messages"))
    assert outcome.code == ExitCode.OK
    got = [(r.dir, r.text) for r in sink.records if r.type == "message"]
    assert got == [("send", "hi"), ("recv", "one"), ("recv", "two")]
    assert not [r for r in sink.records if r.type == "frame"]


def test_a_violation_is_reported_to_the_sink_at_once() -> None:
    # a server frame with RSV2 set: the codec names it, the client fails the connection with 1002
    sink, outcome, _ = asyncio.run(_session("recv\nraw a1 00\nsleep 1"))
    assert sink.outcome is not None and sink.outcome.code == ExitCode.PROTOCOL
    assert outcome.code == ExitCode.PROTOCOL
    sent_close = [r for r in sink.records if r.type == "frame" and r.dir == "send" and r.opcode == 8]
    assert sent_close and sent_close[0].close_code == 1002
