"""Benchmark the GraphQL, JSON-RPC, MQTT and STOMP payload views: typical messages per second, and the time of
the worst single messages a hostile peer can send within ``ws connect``'s default 16 MiB ``--max-size``.

    .venv/bin/python benchmarks/bench_views_protocols.py [--quick]

The baseline beside each typical figure is ``json.loads`` of the same payload (for the binary MQTT packet,
``bytes.hex``): the view's cost over the cheapest thing a tool can do with the message. The hostile figures
show that the work per message is bounded (packets and frames read, header lines, heart-beat runs);
the target is under 1 s for each, on this machine. Best of N runs, to damp the noise of a shared machine.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

from wiretool import views
from wiretool.views import ViewContext, graphql_transport_ws, jsonrpc, mqtt, stomp, subproto

MIB = 2**20


def _best(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def _typical(n: int) -> list[tuple[str, Any, bytes | str, str | None, Callable[[Any], Any]]]:
    publish = bytes([0x30, 12]) + b"\x00\x05a/b/c" + b"hello"
    return [
        ("graphql next", graphql_transport_ws.VIEW,
         '{"id":"1","type":"next","payload":{"data":{"greetings":"hello 1"}}}', "graphql-transport-ws", json.loads),
        ("jsonrpc response", jsonrpc.VIEW, '{"jsonrpc":"2.0","result":{"ok":true},"id":7}', None, json.loads),
        ("mqtt publish", mqtt.VIEW, publish, "mqtt", bytes.hex),
        ("stomp message", stomp.VIEW, "MESSAGE\ndestination:/q/a\nmessage-id:1\nsubscription:0\n\nhello\x00",
         "v12.stomp", str.encode),
    ]


def _hostile() -> list[tuple[str, Any, bytes | str]]:
    return [
        ("mqtt: 8M PINGREQs in one message", mqtt.VIEW, b"\xc0\x00" * (8 * MIB)),
        ("mqtt: one 16 MiB PUBLISH", mqtt.VIEW, b"\x30\x80\x80\x80\x08\x00\x01t" + b"x" * (16 * MIB)),
        ("stomp: 16 MiB of heart-beats", stomp.VIEW, b"\n" * (16 * MIB)),
        ("stomp: 1.3M tiny frames", stomp.VIEW, b"ACK\nid:1\n\n\x00" * 1_300_000),
        ("stomp: 4M header lines", stomp.VIEW, b"SEND\n" + b"a:b\n" * (4 * MIB) + b"\n\x00"),
        ("jsonrpc: a batch of 20k requests", jsonrpc.VIEW,
         json.dumps([{"jsonrpc": "2.0", "id": i, "method": "m"} for i in range(20_000)])),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    n = 2_000 if args.quick else 20_000
    repeat = 2 if args.quick else 5
    print(f"{'typical message':<22} {'view msg/s':>12} {'baseline msg/s':>15} {'ratio':>7}")
    for name, view, payload, sub, baseline in _typical(n):
        state: dict[str, Any] = {}

        copies = [payload[:1] + payload[1:] for _ in range(64)]  # distinct objects: no cached JSON parse

        def run_view(view: Any = view, copies: list[Any] = copies, sub: str | None = sub,
                     state: dict[str, Any] = state) -> None:
            for i in range(n):
                views.render(copies[i % 64], ViewContext(dir="recv", t=i, subprotocol=sub, state=state), view=view)

        def run_base(payload: Any = payload, baseline: Callable[[Any], Any] = baseline) -> None:
            for _ in range(n):
                baseline(payload)

        tv, tb = _best(run_view, repeat), _best(run_base, repeat)
        print(f"{name:<22} {n / tv:>12,.0f} {n / tb:>15,.0f} {tb / tv:>7.2f}")
    print(f"\n{'hostile message':<36} {'size':>10} {'seconds':>8}  target < 1 s")
    missed = 0
    for name, view, payload in _hostile():
        def hostile(view: Any = view, payload: Any = payload) -> None:
            subproto._last = None  # the one-payload JSON cache would make a second run free
            views.render(payload, ViewContext(dir="recv"), view=view)

        t = _best(hostile, 1 if args.quick else 2)
        ok = t < 1.0
        missed += not ok
        print(f"{name:<36} {len(payload) / MIB:>8.1f} MiB {t:>8.3f}  {'PASS' if ok else 'MISS'}")
    if missed:
        print(f"{missed} hostile message(s) over the target")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
