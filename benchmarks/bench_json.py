"""NDJSON encoders side by side on the real record shapes (issue 17): stdlib json, orjson, msgspec, hand writers.

    .venv/bin/python benchmarks/bench_json.py [--quick]

For each shape (ws frame, ws message, sse event, h2 frame) it times, per record: the ``to_json()`` dict alone,
then dict + encoder for each library, and the hand-written string writers wiretool had before issue 17 (kept
here, inline, only to compare against). ``batch`` encodes a socket read's worth of records (512) into one
NDJSON chunk (msgspec's ``encode_lines``; the others join). Every encoder's output is checked to decode to the
same object as ``to_json()``. Prints ns/record and each encoder's ratio to stdlib json.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

import msgspec
import orjson

from wiretool.records.h2 import H2Frame
from wiretool.records.sse import SseEvent
from wiretool.records.ws import WsFrame, WsMessage

_encode_str = json.encoder.encode_basestring  # type: ignore[attr-defined]
_stdlib = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_msgspec = msgspec.json.Encoder()


def _hand_message(rec: Any) -> str:
    """The pre-issue-17 hand writer of a plain text message line (output/ndjson_ws.py message_record_line)."""
    data = rec.payload
    body = f'"opcode_name":"TEXT","length":{len(data)},"text":{_encode_str(data.decode())}'
    return (f'{{"proto":"ws","type":"message","t":{rec.t!r},"dir":"recv",{body},"compressed":false,'
            f'"inflated":false,"frames":{rec.frames},"complete":true,"violations":[]}}\n')


def _hand_event(rec: Any) -> str:
    """The pre-issue-17 ``SseEvent.ndjson``."""
    retry = "null" if rec.retry is None else str(rec.retry)
    return (f'{{"proto":"sse","type":"event","t":{rec.t!r},"dir":{_encode_str(rec.dir)},'
            f'"event":{_encode_str(rec.event)},"data":{_encode_str(rec.data)},"id":{_encode_str(rec.id)},'
            f'"retry":{retry}}}\n')


def _hand_frame(rec: Any) -> str:
    """The pre-issue-17 frame writer, without its header cache (a fair upper bound of its cost)."""
    payload = rec.payload
    return "".join(('{"proto":"ws","type":"frame","t":', repr(rec.t), ',"dir":"recv","offset":', str(rec.offset),
                    ',"fin":true,"rsv1":false,"rsv2":false,"rsv3":false,"opcode":1,"opcode_name":"TEXT",'
                    '"masked":false,"mask_key":null,"length":', str(len(payload)),
                    ',"length_bits":7,"header_length":2,"payload_hex":"', payload.hex(), '","payload_text":',
                    _encode_str(payload.decode()), ',"close_code":null,"close_code_name":null,"close_reason":null,'
                    '"violations":[],"truncated":false,"missing":0}\n'))


def shapes() -> dict[str, tuple[list[Any], Callable[[Any], str] | None]]:
    """512 records of each shape, with slightly varying fields so no cache hides the cost."""
    n = 512
    return {
        "ws frame (16 B text)": ([WsFrame(t=i * 1e-6 + 0.123456, dir="recv", offset=i * 18, head=b"\x81\x10",
                                          payload=b"x" * 12 + str(i % 10000).zfill(4).encode()) for i in range(n)],
                                 _hand_frame),
        "ws message (16 B text)": ([WsMessage(t=i * 1e-6 + 0.123456, dir="recv", opcode=1,
                                              payload=b"x" * 12 + str(i % 10000).zfill(4).encode()) for i in range(n)],
                                   _hand_message),
        "sse event": ([SseEvent(t=i * 1e-6 + 0.5, event="tick", data=f"{{\"n\": {i}}}", id=str(i))
                       for i in range(n)], _hand_event),
        "h2 frame (HEADERS)": ([H2Frame(t=i * 1e-6 + 0.5, dir="recv", frame_type="HEADERS", type_code=1,
                                        length=40, flags=("END_HEADERS",), stream_id=2 * i + 1,
                                        headers=[(":status", "200"), ("content-type", "text/plain"),
                                                 ("content-length", str(i))],
                                        hpack_table_size=120, offset=i * 49) for i in range(n)], None),
    }


def per_record(fn: Callable[[list[Any]], Any], records: list[Any], rounds: int) -> float:
    """Best ns per record of ``fn(records)`` over ``rounds``."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn(records)
        best = min(best, time.perf_counter() - start)
    return best / len(records) * 1e9


def main(argv: list[str]) -> int:
    rounds = 20 if "--quick" in argv else 200
    print(f"ns per record, best of {rounds} rounds of 512 records (lower is better); x = stdlib json time / this")
    for name, (records, hand) in shapes().items():
        want = [r.to_json() for r in records]
        encoders: dict[str, Callable[[list[Any]], Any]] = {
            "to_json() only": lambda rs: [r.to_json() for r in rs],
            "stdlib json": lambda rs: "".join([_stdlib(r.to_json()) + "\n" for r in rs]),
            "orjson": lambda rs: b"".join([orjson.dumps(r.to_json(), option=orjson.OPT_APPEND_NEWLINE)
                                           for r in rs]),
            "msgspec": lambda rs: b"".join([_msgspec.encode(r.to_json()) + b"\n" for r in rs]),
            "msgspec encode_lines": lambda rs: _msgspec.encode_lines([r.to_json() for r in rs]),
        }
        if hand is not None:
            encoders["hand writer (before)"] = lambda rs, hand=hand: "".join([hand(r) for r in rs])
        for label, fn in encoders.items():
            out = fn(records)
            if label != "to_json() only":
                text = out.decode() if isinstance(out, bytes) else out
                assert [json.loads(line) for line in text.splitlines()] == want, (name, label)
        times = {label: per_record(fn, records, rounds) for label, fn in encoders.items()}
        base = times["stdlib json"]
        print(name)
        for label, ns in times.items():
            print(f"  {label:24s} {ns:8.0f} ns  {base / ns:5.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
