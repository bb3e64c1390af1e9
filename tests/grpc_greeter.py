"""A real gRPC server for the tests: a small Greeter service compiled at test time with grpcio-tools.

Methods: SayHello (unary), StreamHellos (server streaming), Fail (ends with NOT_FOUND), Slow (sleeps
``delay_ms`` before answering). Server reflection is on, so ``--reflect`` can be tested too.
"""

from __future__ import annotations

import importlib
import sys
import time
from collections.abc import Iterator
from concurrent import futures
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

PROTO = """
syntax = "proto3";
package demo;

message HelloRequest { string name = 1; int32 times = 2; int32 delay_ms = 3; }
message HelloReply { string message = 1; int32 index = 2; Nested nested = 3; }
message Nested { int64 big = 1; bytes blob = 2; }

service Greeter {
  rpc SayHello (HelloRequest) returns (HelloReply);
  rpc StreamHellos (HelloRequest) returns (stream HelloReply);
  rpc Fail (HelloRequest) returns (HelloReply);
  rpc Slow (HelloRequest) returns (HelloReply);
}
"""


def compile_proto(workdir: Path) -> tuple[ModuleType, ModuleType, Path]:
    """Compile the Greeter proto into ``workdir``; return (pb2, pb2_grpc, descriptor set path)."""
    from grpc_tools import protoc

    proto = workdir / "greeter.proto"
    proto.write_text(PROTO)
    protoset = workdir / "greeter.protoset"
    rc = protoc.main(["protoc", f"-I{workdir}", f"--python_out={workdir}", f"--grpc_python_out={workdir}",
                      f"--descriptor_set_out={protoset}", "--include_imports", str(proto)])
    assert rc == 0, "protoc failed"
    sys.path.insert(0, str(workdir))
    try:
        pb2 = importlib.import_module("greeter_pb2")
        pb2_grpc = importlib.import_module("greeter_pb2_grpc")
    finally:
        sys.path.remove(str(workdir))
    return pb2, pb2_grpc, protoset


@contextmanager
def greeter_server(workdir: Path, *, compression: str | None = None,
                   tls: tuple[bytes, bytes] | None = None) -> Iterator[tuple[int, Path, ModuleType]]:
    """Run the Greeter on 127.0.0.1 (h2c, like grpcurl -plaintext); yield (port, protoset path, pb2).

    ``compression`` (``gzip`` or ``deflate``) makes the server compress every response message;
    ``tls`` (private key PEM, certificate chain PEM) serves it over TLS instead.
    """
    import grpc
    from grpc_reflection.v1alpha import reflection

    pb2, pb2_grpc, protoset = compile_proto(workdir)

    class Greeter(pb2_grpc.GreeterServicer):  # type: ignore[misc, name-defined]
        def SayHello(self, request, context):
            return pb2.HelloReply(message=f"hello {request.name}", index=0,
                                  nested=pb2.Nested(big=2**40, blob=b"\x00\xff"))

        def StreamHellos(self, request, context):
            for i in range(request.times or 3):
                yield pb2.HelloReply(message=f"hello {request.name} #{i}", index=i)

        def Fail(self, request, context):
            context.abort(grpc.StatusCode.NOT_FOUND, f"no greeting for {request.name} ✓")

        def Slow(self, request, context):
            time.sleep((request.delay_ms or 2000) / 1000)
            return pb2.HelloReply(message="finally")

    algo = {None: grpc.Compression.NoCompression, "gzip": grpc.Compression.Gzip,
            "deflate": grpc.Compression.Deflate}[compression]
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), compression=algo)
    pb2_grpc.add_GreeterServicer_to_server(Greeter(), server)
    names = (pb2.DESCRIPTOR.services_by_name["Greeter"].full_name, reflection.SERVICE_NAME)
    reflection.enable_server_reflection(names, server)
    if tls:
        port = server.add_secure_port("127.0.0.1:0", grpc.ssl_server_credentials([tls]))
    else:
        port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield port, protoset, pb2
    finally:
        server.stop(grace=None)
