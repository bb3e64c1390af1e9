"""gRPC through ``wiretool proxy``: a grpcio client and server, unary and server-streaming calls, bytes exact."""

from __future__ import annotations

import sys
from pathlib import Path

from grpc_greeter import greeter_server
from proxyhelp import ProxyProcess, Recorder, no_traceback, of


def test_grpcio_unary_and_streaming_through_proxy(tmp_path: Path) -> None:
    import grpc

    with greeter_server(tmp_path) as (port, _protoset, pb2):
        stub_mod = sys.modules["greeter_pb2_grpc"]
        back = Recorder(port)
        proxy = ProxyProcess(f"http://127.0.0.1:{back.port}")
        front = Recorder(proxy.port)
        try:
            with grpc.insecure_channel(f"127.0.0.1:{front.port}") as channel:
                stub = stub_mod.GreeterStub(channel)
                reply = stub.SayHello(pb2.HelloRequest(name="proxy"), timeout=10)
                streamed = [r.message for r in stub.StreamHellos(pb2.HelloRequest(name="s", times=4), timeout=10)]
                try:
                    stub.Fail(pb2.HelloRequest(name="x"), timeout=10)
                except grpc.RpcError as exc:
                    failed = exc.code()
        finally:
            records = proxy.stop()
            front.close()
            back.close()
    no_traceback(proxy.err)
    assert reply.message == "hello proxy"
    assert streamed == [f"hello s #{i}" for i in range(4)]
    assert failed == grpc.StatusCode.NOT_FOUND
    assert bytes(front.c2s) == bytes(back.c2s) and bytes(front.s2c) == bytes(back.s2c)
    messages = of(records, "grpc", "message")
    c2s = [m for m in messages if m["dir"] == "c2s"]
    s2c = [m for m in messages if m["dir"] == "s2c"]
    assert len(c2s) == 3 and len(s2c) == 1 + 4
    assert all(m["conn"] == 1 for m in messages)
    statuses = of(records, "grpc", "status")
    assert [s["name"] for s in statuses] == ["OK", "OK", "NOT_FOUND"]
    end = of(records, "proxy", "end")[0]
    assert end["protocol"] == "grpc" and end["messages"] == 8 and end["status"] == "NOT_FOUND"


def test_only_grpc_hides_frames(tmp_path: Path) -> None:
    import grpc

    with greeter_server(tmp_path) as (port, _protoset, pb2):
        stub_mod = sys.modules["greeter_pb2_grpc"]
        proxy = ProxyProcess(f"http://127.0.0.1:{port}", "--only", "grpc")
        try:
            with grpc.insecure_channel(f"127.0.0.1:{proxy.port}") as channel:
                stub_mod.GreeterStub(channel).SayHello(pb2.HelloRequest(name="only"), timeout=10)
        finally:
            records = proxy.stop()
    assert not of(records, "h2") and of(records, "grpc", "message") and of(records, "grpc", "status")
    assert of(records, "proxy", "end")[0]["protocol"] == "grpc"
