"""Protobuf schemas for gRPC calls: descriptors (a protoset file, or server reflection) → JSON encode/decode.

``--protoset FILE`` reads a FileDescriptorSet as ``protoc --descriptor_set_out`` writes it; ``--reflect``
fetches FileDescriptorProtos from the server (``transport/h2_grpc.py`` does the I/O, this module only
parses). Either way the files land in one :class:`Schema`, which finds a method's request and response
types, turns ``-d`` JSON into request messages and response payloads into protobuf's JSON mapping.

The ``protobuf`` package is optional (``pip install 'wiretool[grpc]'``): it is imported only here, only
when a schema is asked for, and its absence is a clear usage error, not a traceback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from wiretool.codec.grpc import SchemaDecode
from wiretool.errors import UsageError

_MAX_FILES = 10_000


def _protobuf() -> Any:
    try:
        from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory
    except ImportError:
        raise UsageError("--protoset, --reflect and -d JSON need the protobuf package: "
                         "pip install 'wiretool[grpc]' (or pip install protobuf)") from None
    return descriptor_pb2, descriptor_pool, json_format, message_factory


def split_method(path: str) -> tuple[str, str]:
    """``/package.Service/Method`` (or without the leading slash) → (``package.Service``, ``Method``)."""
    service, sep, method = path.strip("/").rpartition("/")
    if not sep or not service or not method or "/" in service:
        raise UsageError(f"not a gRPC method path (/package.Service/Method): {path}")
    return service, method


@dataclass
class Method:
    """What the schema says about one method."""

    full_name: str
    input_type: str
    output_type: str
    client_streaming: bool
    server_streaming: bool


class Schema:
    """A pool of descriptors built from serialized FileDescriptorProtos, in any order."""

    def __init__(self, files: list[bytes], origin: str) -> None:
        descriptor_pb2, descriptor_pool, self._json, self._factory = _protobuf()
        self.origin = origin
        protos: dict[str, Any] = {}
        for raw in files[:_MAX_FILES]:
            fdp = descriptor_pb2.FileDescriptorProto()
            try:
                fdp.ParseFromString(raw)
            except Exception as exc:  # protobuf's DecodeError, or a RuntimeWarning-ish error from upb
                raise UsageError(f"{origin}: not a FileDescriptorProto ({exc})") from None
            protos.setdefault(fdp.name, fdp)
        self.pool = descriptor_pool.DescriptorPool()
        added: set[str] = set()

        def add(name: str, trail: tuple[str, ...] = ()) -> None:
            if name in added or name in trail:
                return
            fdp = protos.get(name)
            if fdp is None:
                raise UsageError(f"{origin}: {trail[-1] if trail else '?'} imports {name}, which is missing "
                                 "(protoc --include_imports adds it)")
            for dep in fdp.dependency:
                add(dep, (*trail, name))
            try:
                self.pool.Add(fdp)
            except Exception as exc:
                raise UsageError(f"{origin}: cannot load {name}: {exc}") from None
            added.add(name)

        for name in protos:
            add(name)
        self.files = sorted(added)

    @classmethod
    def from_protoset(cls, paths: list[str]) -> Schema:
        """Read one or more FileDescriptorSet files (``protoc --descriptor_set_out --include_imports``)."""
        descriptor_pb2 = _protobuf()[0]
        files: list[bytes] = []
        for path in paths:
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
            except OSError as exc:
                raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
            fds = descriptor_pb2.FileDescriptorSet()
            try:
                fds.ParseFromString(data)
            except Exception as exc:
                raise UsageError(f"{path}: not a FileDescriptorSet ({exc})") from None
            files += [f.SerializeToString() for f in fds.file]
        return cls(files, ", ".join(paths))

    def method(self, path: str) -> Method:
        """The method ``/package.Service/Method``; a usage error naming what exists when it is unknown."""
        service_name, method_name = split_method(path)
        try:
            service = self.pool.FindServiceByName(service_name)
        except KeyError:
            known = ", ".join(self.services()) or "none"
            raise UsageError(f"service {service_name} is not in {self.origin} (services: {known})") from None
        m = service.methods_by_name.get(method_name)
        if m is None:
            known = ", ".join(service.methods_by_name) or "none"
            raise UsageError(f"{service_name} has no method {method_name} (methods: {known})")
        return Method(m.full_name, m.input_type.full_name, m.output_type.full_name, m.client_streaming,
                      m.server_streaming)

    def services(self) -> list[str]:
        names = []
        for file_name in self.files:
            fd = self.pool.FindFileByName(file_name)
            names += [s.full_name for s in fd.services_by_name.values()]
        return sorted(names)

    def _cls(self, type_name: str) -> Any:
        return self._factory.GetMessageClass(self.pool.FindMessageTypeByName(type_name))

    def encode_json(self, type_name: str, value: Any) -> bytes:
        """A JSON value (already parsed) → the serialized message of ``type_name``."""
        msg = self._cls(type_name)()
        try:
            self._json.ParseDict(value, msg)
        except self._json.ParseError as exc:
            raise UsageError(f"-d does not fit {type_name}: {' '.join(str(exc).split())}") from None
        return msg.SerializeToString()

    def decoder(self, type_name: str) -> SchemaDecode:
        """A function payload → (JSON value, type name, error) for the message type ``type_name``."""
        cls = self._cls(type_name)
        to_dict = self._json.MessageToDict

        def decode(payload: bytes) -> tuple[Any, str | None, str | None]:
            try:
                msg = cls.FromString(payload)
            except Exception as exc:  # DecodeError and friends: shown, never raised
                return None, type_name, f"not a valid {type_name}: {exc}"
            return to_dict(msg, preserving_proto_field_name=True), type_name, None

        return decode

    def schema_for(self, path: str, is_request: bool) -> SchemaDecode | None:
        """For :class:`~wiretool.codec.grpcview.GrpcStreams`: the decoder of a stream's messages, if known."""
        try:
            m = self.method(path)
        except UsageError:
            return None
        return self.decoder(m.input_type if is_request else m.output_type)
