"""``wiretool h2 grpc URL /package.Service/Method``: options → a gRPC call over ``H2Client`` → exit code.

Only wiring: the call's headers, body, reflection and end live in ``transport/h2_grpc.py``, the frame
and message views in ``codec/``. Heavy modules (asyncio, h2, protobuf) are imported in the body.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from wiretool.cli.h2 import h2_connection_options
from wiretool.cli.input_bytes import read_path
from wiretool.cli.options import NetOptions, global_options, make_env, network_options

if TYPE_CHECKING:
    from wiretool.grpc.schema import Schema
    from wiretool.output.sink import Output
    from wiretool.transport.h2_outcome import Outcome


@click.command()
@click.argument("url", metavar="URL")
@click.argument("method_path", metavar="/package.Service/Method")
@click.option("-d", "--data", "json_data", multiple=True, metavar="JSON",
              help="A request message as JSON (needs --protoset or --reflect); @FILE or - read JSON values "
                   "(one message each). Repeatable.")
@click.option("--data-hex", multiple=True, metavar="HEX", help="A request message's protobuf bytes in hex. Repeatable.")
@click.option("--data-file", multiple=True, type=click.Path(dir_okay=False, allow_dash=True), metavar="FILE",
              help="A request message's protobuf bytes from FILE (with --framed: length-prefixed messages). Repeatable.")
@click.option("--framed", is_flag=True, help="--data-file holds gRPC length-prefixed messages: send them as they are.")
@click.option("--compress", type=click.Choice(["gzip", "deflate"]), default=None,
              help="Compress the request messages (grpc-encoding).")
@click.option("--protoset", multiple=True, type=click.Path(exists=True, dir_okay=False), metavar="FILE",
              help="FileDescriptorSet (protoc --descriptor_set_out --include_imports) for JSON views. Repeatable.")
@click.option("--reflect", is_flag=True, help="Fetch the schema by server reflection first (its own connection).")
@click.option("--max-message", type=click.IntRange(min=0), default=4 * 1024 * 1024, show_default=True, metavar="BYTES",
              help="Largest message the view reassembles or inflates; larger ones are reported and skipped.")
@click.option("--no-frames", is_flag=True, help="Show only gRPC messages and the status, not the HTTP/2 frames.")
@click.option("--stats", is_flag=True, help="Time to headers, to first byte, duration and bytes of the call's stream.")
@h2_connection_options
@network_options
@global_options
def grpc(url: str, method_path: str, json_data: tuple[str, ...], data_hex: tuple[str, ...],
         data_file: tuple[str, ...], framed: bool, compress: str | None, protoset: tuple[str, ...], reflect: bool,
         max_message: int, no_frames: bool, hexdump: bool, hpack: bool, stats: bool, window_bits: int | None,
         max_frame_size: int | None, net: NetOptions) -> int:
    """Call a gRPC method and show the HTTP/2 frames, each message decoded under its DATA frames, and the status.

    The request goes as one stream: -d JSON messages first, then --data-hex, then --data-file (one empty
    message when none is given), then END_STREAM; so unary, server-streaming and client-streaming calls
    all work. Metadata with -H NAME:VALUE (a NAME ending in -bin has its VALUE base64-encoded).
    --timeout S is the call's deadline and is sent as grpc-timeout.

    \b
    Examples:
      wiretool h2 grpc http://127.0.0.1:50051 /demo.Greeter/SayHello --data-hex 0a03626f62
      wiretool h2 grpc http://127.0.0.1:50051 /demo.Greeter/SayHello --reflect -d '{"name": "bob"}'
      wiretool h2 grpc https://api:443 /pkg.Svc/List --protoset api.protoset -d @req.json --json

    Exit status: 0 grpc-status OK; 64+N grpc-status N (RST_STREAM mapped as gRPC's PROTOCOL-HTTP2 says,
    68 = DEADLINE_EXCEEDED also when --timeout passes first); 2 usage; 3 no connection; 5 protocol
    violation; 6 --connect-timeout/--idle-timeout; 8 the connection ended before the status.
    """
    import asyncio
    import dataclasses

    from wiretool.cli.h2 import build_config, interruptible
    from wiretool.codec.grpcview import GrpcStreams
    from wiretool.errors import UsageError, WiretoolError
    from wiretool.grpc.schema import Schema, split_method
    from wiretool.output.sink import Output
    from wiretool.transport.h2 import ClientConfig, H2Client
    from wiretool.transport.h2_grpc import call_spec
    from wiretool.transport.h2_grpc import reflect as fetch_by_reflection

    service, _ = split_method(method_path)
    base = build_config((url,), method=None, data=None, trailers=[], repeat=1, max_concurrent=1, upgrade=False,
                        push=False, ping=False, hexdump=hexdump, body=False, hpack=hpack, stats=stats,
                        window_bits=window_bits, max_frame_size=max_frame_size, net=net)
    prefix = base.requests[0].path.split("?")[0].rstrip("/")
    path = prefix + "/" + method_path.lstrip("/")
    if protoset and reflect:
        raise UsageError("give the schema with --protoset or fetch it with --reflect, not both")
    method = path.removeprefix(prefix)
    schema: Schema | None = Schema.from_protoset(list(protoset)) if protoset else None
    if schema is not None:
        schema.method(method)  # an unknown method is a usage error before connecting
    raw = [_hex(h) for h in data_hex] + [read_path(f) for f in data_file if not framed]
    ready = b"".join(read_path(f) for f in data_file) if framed else b""
    json_values = [v for d in json_data for v in _json_values(d)]
    if json_values and schema is None and not reflect:
        raise UsageError("-d JSON needs a schema: --protoset FILE or --reflect (or give --data-hex)")
    body = None if reflect else _body(schema, method, json_values, raw, ready, compress)

    out = Output(make_env(), proto="grpc")
    emit, tap, capture = _sinks(out, net, url, no_frames)

    async def one_run(cfg: ClientConfig, sink: Any) -> Any:
        return await H2Client(cfg, sink, out.now).run()

    async def main() -> Any:
        nonlocal schema, body
        if reflect:
            files = await reflect_files(base, service)
            schema = Schema(files, "server reflection")
            body = _body(schema, method, json_values, raw, ready, compress)
        assert body is not None
        spec = call_spec(f"{base.scheme}://{base.authority}{path}", path, body, headers=net.headers, timeout=net.timeout, compress=compress)
        view = GrpcStreams(schema_for=_schema_for(schema, prefix), max_message=max_message)
        cfg = dataclasses.replace(base, requests=[spec], grpc=view)
        client = H2Client(cfg, emit, out.now, tap=tap)
        holder.append(client)
        return await client.run()

    async def reflect_files(cfg: ClientConfig, name: str) -> list[bytes]:
        return await fetch_by_reflection(cfg, name, run=one_run)

    holder: list[H2Client] = []
    try:
        outcome = asyncio.run(interruptible(main()))
    except WiretoolError as exc:
        out.error(exc.message, exc.exit_code)
        out.summary(exc.exit_code, **(holder[0].outcome.counts() if holder else {}))
        return exc.exit_code
    finally:
        if capture is not None:
            capture.close()
    return finish_call(outcome, out)


def finish_call(outcome: Outcome, out: Output, stream_id: int = 1) -> int:
    """Show how the call ended (its status, an error line, the summary) and return the exit code."""
    from wiretool.transport.h2_grpc import call_result

    code, message, status, made = call_result(outcome, stream_id, out.now)
    if made is not None:
        out.emit(made)
    if message:
        out.error(message, code)
    extra = {"grpc_status": status.code, "grpc_status_name": status.name} if status else {}
    out.summary(code, **extra, **outcome.counts())
    return code


def _body(schema: Schema | None, method: str, json_values: list[Any], raw: list[bytes], ready: bytes,
          compress: str | None) -> bytes:
    """The request body: -d JSON messages, then raw payloads, each framed; then --framed bytes as they are."""
    from wiretool.transport.h2_grpc import frame_message

    payloads = []
    if schema is not None and json_values:
        input_type = schema.method(method).input_type
        payloads = [schema.encode_json(input_type, v) for v in json_values]
    payloads += raw
    if not payloads and not ready:
        payloads = [b""]  # no message given: one empty message (every field at its default)
    return b"".join(frame_message(p, compress) for p in payloads) + ready


def _schema_for(schema: Schema | None, prefix: str) -> Any:
    if schema is None:
        return None
    return lambda path, is_request: schema.schema_for(path.removeprefix(prefix), is_request)


def _sinks(out: Any, net: NetOptions, url: str, no_frames: bool) -> tuple[Any, Any, Any]:
    """Where records go: the output (only gRPC records with --no-frames) and the --record capture."""
    show = out.emit
    if no_frames:
        def show(rec: Any) -> None:
            if rec.proto == "grpc" or rec.type == "stream":
                out.emit(rec)
    if not net.record:
        return show, None, None
    from wiretool.capture.file import CaptureWriter

    capture = CaptureWriter(net.record, proto="h2", url=url, request_headers=net.headers,
                            show_secrets=net.show_secrets)

    def emit(rec: Any) -> None:
        capture.record(rec)
        show(rec)

    def tap(direction: str, chunk: bytes) -> None:
        capture.chunk(direction, out.now(), chunk)

    return emit, tap, capture


def _hex(text: str) -> bytes:
    from wiretool.codec.hexbytes import HexError, parse_hex
    from wiretool.errors import UsageError

    try:
        return parse_hex(text)
    except HexError as exc:
        raise UsageError(f"--data-hex is not hex: {text!r} ({exc})") from None


def _json_values(text: str) -> list[Any]:
    """One -d: inline JSON, or @FILE / - holding one or more JSON values (JSON lines or concatenated)."""
    import json

    from wiretool.errors import UsageError

    if text == "-" or text.startswith("@"):
        text = read_path(text[1:] if text.startswith("@") else "-").decode("utf-8", "replace")
    decoder = json.JSONDecoder()
    values, pos = [], 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            break
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise UsageError(f"-d is not JSON: {exc}") from None
        values.append(value)
    if not values:
        raise UsageError("-d holds no JSON value")
    return values
