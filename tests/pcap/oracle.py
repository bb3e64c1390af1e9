"""Test helpers: tcpdump on loopback around a real session, tshark's view of the file, wiretool's view of it.

tshark is the oracle: what it dissects from the pcap (``tshark -T json -e FIELD``) is compared field for field
with what ``wiretool frame decode --pcap FILE --json`` shows of the same file.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from tests.conftest import run_wiretool

BUFFER_KIB = "65536"  # tcpdump -B: the kernel's capture ring, see tcpdump()
H2_FLAG_BITS = {"END_STREAM": 0x1, "ACK": 0x1, "END_HEADERS": 0x4, "PADDED": 0x8, "PRIORITY": 0x20}


@contextlib.contextmanager
def tcpdump(path: Path, port: int, iface: str = "lo", linktype: str | None = None) -> Iterator[Path]:
    """Capture ``tcp port PORT`` on ``iface`` into ``path`` while the block runs. ``--immediate-mode`` hands
    each packet to tcpdump at once (not a ring block at a time) and ``-U`` writes it at once, so the file is
    whole once it stops growing. ``-B``: in immediate mode each ring slot holds a whole snaplen (256 KiB), so
    the default 2 MiB ring has 8 slots and the kernel dropped 16 of 42 packets of one `-i any` session."""
    link = ["-y", linktype] if linktype else []
    proc = subprocess.Popen(["tcpdump", "-i", iface, *link, "-U", "--immediate-mode", "-B", BUFFER_KIB, "-Z", "root", "-s", "0",
                             "-w", str(path), f"tcp port {port}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    lines = []
    for _ in range(5):  # "listening on lo, link-type ..." once the capture is armed (after a -y line)
        lines.append(proc.stderr.readline().decode())
        if "listening" in lines[-1] or not lines[-1]:
            break
    assert "listening" in lines[-1], lines
    try:
        yield path
    finally:
        wait_for_the_ends(path)
        proc.terminate()
        _, err = proc.communicate(timeout=10)
        said = err.decode(errors="replace")
        dropped = re.search(r"(\d+) packets? dropped by kernel", said)
        if (dropped and int(dropped.group(1))) or not all_ended(path):  # say so here, not as "missing frames"
            raise AssertionError(f"tcpdump lost packets of the session: {said!r}")


def wait_for_the_ends(path: Path, timeout: float = 15.0) -> None:
    """Until every TCP connection in the file has its FIN or RST and the file has then been still for 0.3 s.

    A quiet file alone is not enough: a CI run once stopped `-i any` after a 1 s pause and the file held no
    frame of the last request, because tcpdump had not yet been given the packets it was behind on."""
    deadline = time.monotonic() + timeout
    size, still = -1, 0
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = path.stat().st_size if path.exists() else 0
        still = still + 1 if now == size else 0
        size = now
        if still >= 3 and all_ended(path):
            return


def all_ended(path: Path) -> bool:
    """tshark's word: each ``tcp.stream`` of the file has a packet with FIN or RST."""
    if not path.exists() or path.stat().st_size <= 24:
        return False
    proc = subprocess.run(["tshark", "-r", str(path), "-T", "fields", "-e", "tcp.stream", "-e", "tcp.flags.fin",
                           "-e", "tcp.flags.reset"], capture_output=True, timeout=60, text=True)
    streams: dict[str, bool] = {}
    for line in proc.stdout.splitlines():
        stream, fin, rst = [*line.split("\t"), "", "", ""][:3]
        if stream:
            streams[stream] = streams.get(stream, False) or fin in ("1", "True") or rst in ("1", "True")
    return bool(streams) and all(streams.values())


def tshark(path: Path, decode_as: str, fields: list[str], display: str,
           extra: list[str] | None = None) -> list[dict[str, list[str]]]:
    """The ``layers`` of each packet tshark shows for ``display``, with only ``fields`` (lists of values)."""
    args = ["tshark", "-r", str(path), "-T", "json", "-d", decode_as, "-Y", display, *(extra or [])]
    for f in fields:
        args += ["-e", f]
    proc = subprocess.run(args, capture_output=True, timeout=60, check=True)
    return [p["_source"]["layers"] for p in json.loads(proc.stdout or b"[]")]


def wiretool_pcap(path: Path, *extra: str) -> list[dict]:
    """The NDJSON records of ``wiretool frame decode --pcap PATH --json`` (exit status checked to be 0)."""
    result = run_wiretool(["frame", "decode", "--pcap", str(path), "--json", *extra])
    assert result.exit_code == 0, result.stderr
    return result.json_lines()


def _ws_len(layers: dict[str, list[str]], i: int, ext16: Iterator[str], ext64: Iterator[str]) -> int:
    n = int(layers["websocket.payload_length"][i])
    return int(next(ext16)) if n == 126 else int(next(ext64)) if n == 127 else n


def tshark_ws_frames(path: Path, port: int) -> dict[str, list[dict]]:
    """tshark's WebSocket frames by direction (``c2s`` when the packet goes to ``port``)."""
    fields = ["tcp.dstport", "websocket.fin", "websocket.rsv", "websocket.opcode", "websocket.mask",
              "websocket.masking_key", "websocket.payload_length", "websocket.payload_length_ext_16",
              "websocket.payload_length_ext_64", "websocket.payload.close.status_code", "websocket.payload.text"]
    out: dict[str, list[dict]] = {"c2s": [], "s2c": []}
    for layers in tshark(path, f"tcp.port=={port},http", fields, "websocket"):
        d = "c2s" if layers["tcp.dstport"][0] == str(port) else "s2c"
        ext16, ext64 = iter(layers.get("websocket.payload_length_ext_16", [])), \
            iter(layers.get("websocket.payload_length_ext_64", []))
        for i, op in enumerate(layers["websocket.opcode"]):
            masked = layers["websocket.mask"][i] in ("1", "True")
            out[d].append({"fin": layers["websocket.fin"][i] in ("1", "True"),
                           "rsv": int(layers["websocket.rsv"][i], 16), "opcode": int(op), "masked": masked,
                           "length": _ws_len(layers, i, ext16, ext64)})
        keys = iter(layers.get("websocket.masking_key", []))
        for frame in out[d][-len(layers["websocket.opcode"]):]:
            frame["mask_key"] = next(keys) if frame["masked"] else None
    return out


def tshark_ws_texts(path: Path, port: int) -> dict[str, list[str]]:
    """The text of every TEXT message by direction, as tshark shows it on the message's last frame."""
    out: dict[str, list[str]] = {"c2s": [], "s2c": []}
    in_text = {"c2s": False, "s2c": False}
    fields = ["tcp.dstport", "websocket.opcode", "websocket.fin", "websocket.payload.text"]
    for layers in tshark(path, f"tcp.port=={port},http", fields, "websocket"):
        d = "c2s" if layers["tcp.dstport"][0] == str(port) else "s2c"
        texts = iter(layers.get("websocket.payload.text", []))
        for op, fin in zip(layers["websocket.opcode"], layers["websocket.fin"], strict=True):
            if op in ("1", "2"):
                in_text[d] = op == "1"
            if op in ("0", "1", "2") and fin in ("1", "True") and in_text[d]:
                out[d].append(next(texts))
                in_text[d] = False
    return out


def wiretool_ws_texts(records: list[dict]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"c2s": [], "s2c": []}
    for r in records:
        if r["proto"] == "ws" and r["type"] == "message" and r["opcode_name"] == "TEXT":
            out[r["dir"]].append(r["text"])
    return out


def wiretool_ws_frames(records: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {"c2s": [], "s2c": []}
    for r in records:
        if r["proto"] == "ws" and r["type"] == "frame":
            out[r["dir"]].append({"fin": r["fin"], "rsv": r["rsv1"] << 2 | r["rsv2"] << 1 | r["rsv3"],
                                  "opcode": r["opcode"], "masked": r["masked"], "length": r["length"],
                                  "mask_key": r["mask_key"]})
    return out


def tshark_h2_frames(path: Path, port: int, decode_as: str | None = None,
                     extra: list[str] | None = None) -> dict[str, list[dict]]:
    """tshark's HTTP/2 frames by direction, HEADERS and PUSH_PROMISE with their decoded header list."""
    fields = ["tcp.dstport", "http2.type", "http2.flags", "http2.streamid", "http2.length", "http2.header.name",
              "http2.header.value", "http2.header.count"]
    out: dict[str, list[dict]] = {"c2s": [], "s2c": []}
    for layers in tshark(path, decode_as or f"tcp.port=={port},http2", fields, "http2.type", extra):
        d = "c2s" if layers["tcp.dstport"][0] == str(port) else "s2c"
        names, values = layers.get("http2.header.name", []), layers.get("http2.header.value", [])
        counts = iter(layers.get("http2.header.count", []))
        blocks = [i for i, ftype in enumerate(layers["http2.type"]) if ftype in ("1", "5")]
        taken = 0
        for i, ftype in enumerate(layers["http2.type"]):
            frame = {"type": int(ftype), "flags": int(layers["http2.flags"][i], 16),
                     "stream_id": int(layers["http2.streamid"][i]), "length": int(layers["http2.length"][i])}
            if frame["type"] in (1, 5):
                # tshark's header.count may count an entry it shows no name for (a table size update):
                # the last block of the packet takes what is left
                n = len(names) - taken if i == blocks[-1] else int(next(counts))
                frame["headers"] = [[names[k], values[k]] for k in range(taken, taken + n)]
                taken += n
            out[d].append(frame)
    return out


def wiretool_h2_frames(records: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {"c2s": [], "s2c": []}
    for r in records:
        if r["proto"] == "h2" and r["type"] == "frame":
            frame = {"type": r["type_code"], "flags": sum(H2_FLAG_BITS.get(f, 0) for f in r["flags"]),
                     "stream_id": r["stream_id"], "length": r["length"]}
            if r["type_code"] in (1, 5):
                frame["headers"] = [list(h) for h in r["headers"]]
            out[r["dir"]].append(frame)
    return out
