"""``wiretool frame craft``: build any WebSocket frame, valid or deliberately broken, as hex, base64 or raw bytes.

Only wiring: options become :func:`wiretool.codec.wsbuild.build_frame` arguments. The bytes are the
command's output, so in pretty mode nothing else is written to stdout (no summary line to corrupt a
pipe); under ``--json`` one ``crafted`` record and the summary are written instead.
"""

from __future__ import annotations

import base64

import click

from wiretool.cli.options import global_options, make_env
from wiretool.errors import UsageError
from wiretool.exitcodes import ExitCode

OPCODES = {"cont": 0, "text": 1, "binary": 2, "close": 8, "ping": 9, "pong": 10}


def parse_opcode(value: str) -> int:
    """``text``, ``binary``... or a number 0-15 (decimal or 0x hex)."""
    name = value.strip().lower()
    if name in OPCODES:
        return OPCODES[name]
    try:
        number = int(name, 0)
    except ValueError:
        raise UsageError(f"invalid --opcode {value!r}: use text, binary, close, ping, pong, cont or 0-15") from None
    if not 0 <= number <= 15:
        raise UsageError(f"invalid --opcode {value!r}: a number must be 0-15")
    return number


@click.command()
@click.option("--opcode", default=None, metavar="NAME|N",
              help="text, binary, close, ping, pong, cont or 0-15 (default: text; close with --close-code).")
@click.option("--payload", default=None, metavar="TEXT", help="Payload as UTF-8 text.")
@click.option("--payload-hex", default=None, metavar="HEX", help="Payload as hex bytes.")
@click.option("--payload-file", type=click.Path(dir_okay=False, allow_dash=True), default=None, metavar="PATH",
              help="Payload read from a file ('-' for stdin), as is.")
@click.option("--close-code", type=click.IntRange(0, 65535), default=None, metavar="N",
              help="Close code (payload starts with it; implies --opcode close).")
@click.option("--close-reason", default=None, metavar="TEXT", help="Close reason (after the code).")
@click.option("--no-fin", is_flag=True, help="Clear FIN (more fragments follow).")
@click.option("--rsv1", is_flag=True, help="Set RSV1.")
@click.option("--rsv2", is_flag=True, help="Set RSV2.")
@click.option("--rsv3", is_flag=True, help="Set RSV3.")
@click.option("--mask/--no-mask", default=None, help="Mask the payload (as clients must); default: only with --mask-key.")
@click.option("--mask-key", default=None, metavar="HEX", help="The 4-byte masking key (implies --mask).")
@click.option("--length-bits", type=click.Choice(["7", "16", "64"]), default=None,
              help="Length encoding (default: the minimal one).")
@click.option("--length", type=click.IntRange(0, 2**64 - 1), default=None, metavar="N",
              help="Write N in the length field, whatever the payload's real size (a lie).")
@click.option("--fragment", type=click.IntRange(1), default=None, metavar="N",
              help="Split the payload into frames of N bytes (first: the opcode, then CONT).")
@click.option("--out", "out_format", type=click.Choice(["hex", "base64", "raw"]), default="hex", show_default=True,
              help="Output encoding (raw refuses to write to a terminal).")
@global_options
def craft(opcode: str | None, payload: str | None, payload_hex: str | None, payload_file: str | None,
          close_code: int | None, close_reason: str | None, no_fin: bool, rsv1: bool, rsv2: bool, rsv3: bool,
          mask: bool | None, mask_key: str | None, length_bits: str | None, length: int | None,
          fragment: int | None, out_format: str) -> int:
    """Build any WebSocket frame, valid or deliberately broken.

    \b
    Examples:
      wiretool frame craft --payload Hello --mask-key 37fa213d
      wiretool frame craft --opcode 3 --rsv2 --payload x          # reserved opcode, RSV2
      wiretool frame craft --opcode ping --payload-hex 00 --length-bits 64
      wiretool frame craft --payload hi --out raw | wiretool frame decode --encoding raw -
    """
    from wiretool.cli.input_bytes import parse_hex, read_input
    from wiretool.codec.wsbuild import build_frame, fragment_frames
    from wiretool.codec.wsclose import close_payload

    given = [p for p in (payload, payload_hex, payload_file) if p is not None]
    if len(given) > 1:
        raise UsageError("give at most one of --payload, --payload-hex, --payload-file")
    if payload is not None:
        body = payload.encode("utf-8", "surrogateescape")
    elif payload_hex is not None:
        body = parse_hex(payload_hex)
    elif payload_file is not None:
        body = read_input([], file=payload_file, encoding="raw")
    else:
        body = b""
    op = parse_opcode(opcode) if opcode is not None else (8 if close_code is not None else 1)
    if close_code is not None or close_reason is not None:
        if close_reason is not None and close_code is None:
            raise UsageError("--close-reason needs --close-code")
        body = close_payload(close_code, (close_reason or "").encode("utf-8", "surrogateescape")) + body
    key = None
    if mask_key is not None:
        key = parse_hex(mask_key)
        if len(key) != 4:
            raise UsageError(f"--mask-key must be 4 bytes (8 hex digits), got {len(key)}")
        if mask is False:
            raise UsageError("--mask-key contradicts --no-mask")
    kw = {"rsv1": rsv1, "rsv2": rsv2, "rsv3": rsv3, "mask": mask, "mask_key": key,
          "length_bits": int(length_bits) if length_bits else None, "length": length}
    try:
        if fragment is not None:
            frames = fragment_frames(op, body, fragment, fin=not no_fin, **kw)
        else:
            frames = [build_frame(op, body, fin=not no_fin, **kw)]
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return _write(frames, out_format)


def _write(frames: list[bytes], out_format: str) -> int:
    from wiretool.output.sink import Output

    env = make_env()
    data = b"".join(frames)
    if env.json:
        out = Output(env, proto="ws")
        out.write_json({"proto": "ws", "type": "crafted", "t": out.now(), "frames": len(frames),
                        "length": len(data), "hex": data.hex(), "base64": base64.b64encode(data).decode("ascii")})
        out.summary(ExitCode.OK, frames=len(frames), bytes=len(data))
        return ExitCode.OK
    stdout = env.stdout
    if out_format == "raw":
        if env.stdout_isatty:
            raise UsageError("refusing to write raw bytes to a terminal: pipe them, or use --out hex")
        buffer = getattr(stdout, "buffer", None)
        if buffer is not None:
            buffer.write(data)
            buffer.flush()
        else:  # a text stream without a binary buffer (tests): latin-1 maps each byte to one character
            stdout.write(data.decode("latin-1"))
            stdout.flush()
        return ExitCode.OK
    if out_format == "base64":
        stdout.write(base64.b64encode(data).decode("ascii") + "\n")
    else:
        stdout.write("".join(frame.hex() + "\n" for frame in frames))
    stdout.flush()
    return ExitCode.OK

