"""``wiretool h2 grpc URL /package.Service/Method``: options → a gRPC call over ``H2Client`` → exit code.

Only wiring: the call's headers, body, reflection and end live in ``transport/h2_grpc.py``, the frame
and message views in ``codec/``. Heavy modules (asyncio, h2, protobuf) are imported in the body.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from wiretool.cli.h2 import h2_connection_options
from wiretool.cli.input_bytes import read_path
from wiretool.cli.net_options import NetOptions, network_options
from wiretool.cli.options import global_options, make_env

if TYPE_CHECKING:
    from wiretool.grpc.schema import Schema
    from wiretool.output.sink import Output
    from wiretool.records import Record


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
    from wiretool.cli.h2 import build_config, interrupted_reading, must_be_utf8
    from wiretool.errors import UsageError
    from wiretool.grpc.schema import Schema, split_method
    from wiretool.output.sink import Output
    from wiretool.run import Limits, run, run_sync
    from wiretool.run.h2 import GrpcGoals
    from wiretool.transport.h2_grpc import GrpcCall

    must_be_utf8("the method path", method_path)
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
    try:  # stdin (-d -, --data-file -) may be read here: Ctrl-C ends with the error record and summary
        raw = [_hex(h) for h in data_hex] + [read_path(f) for f in data_file if not framed]
        ready = b"".join(read_path(f) for f in data_file) if framed else b""
        json_values = [v for d in json_data for v in _json_values(d)]
    except KeyboardInterrupt:
        return interrupted_reading("grpc")
    if json_values and schema is None and not reflect:
        raise UsageError("-d JSON needs a schema: --protoset FILE or --reflect (or give --data-hex)")
    body = None if reflect else _body(schema, method, json_values, raw, ready, compress)  # refused: usage, now

    out = Output(make_env(), proto="grpc")
    capture = None
    if net.recording:
        from wiretool.capture.file import CaptureWriter

        capture = CaptureWriter(net.record, proto="h2", url=url, request_headers=net.headers,
                                show_secrets=net.show_secrets, pcapng=net.record_pcapng)
    call = GrpcCall(base, f"{base.scheme}://{base.authority}{path}", path,
                    make_body=lambda schema: body if body is not None else _body(schema, method, json_values, raw,
                                                                                    ready, compress),
                    headers=net.headers, timeout=net.timeout, compress=compress, schema=schema,
                    reflect_service=service if reflect else None, prefix=prefix, max_message=max_message,
                    capture=capture is not None)
    return run_sync(run(call, out, limits=Limits(timeout=net.timeout), goals=GrpcGoals(base.authority),
                        capture=capture, show=_only_grpc(out) if no_frames else None))


def _body(schema: Schema | None, method: str, json_values: list[Any], raw: list[bytes], ready: bytes,
          compress: str | None) -> bytes:
    """The request body: -d JSON messages, then raw payloads, each framed; then --framed bytes as they are."""
    from wiretool.codec.grpc import frame_message

    payloads = []
    if schema is not None and json_values:
        input_type = schema.method(method).input_type
        payloads = [schema.encode_json(input_type, v) for v in json_values]
    payloads += raw
    if not payloads and not ready:
        payloads = [b""]  # no message given: one empty message (every field at its default)
    return b"".join(frame_message(p, compress) for p in payloads) + ready


def _only_grpc(out: Output) -> Callable[[Record], None]:
    """``--no-frames``: show only the gRPC messages and status (and ``--stats``' stream record)."""

    def show(rec: Record) -> None:
        if rec.proto == "grpc" or rec.type == "stream":
            out.emit(rec)

    return show


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
