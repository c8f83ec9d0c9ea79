"""Section 8, the guards' counters: Redis shared by two gateways against one gateway counting
in its own memory (``python -m bench --only guards``, or alone: ``python -m bench.guards``).

1. Latency: one client sends one message at a time through a gateway whose guards count in
   memory and through one whose guards count in a real ``redis-server`` on loopback, in
   interleaved rounds (target: the Redis round trip costs at most 15% of a send, p50 ratio
   ≤ 1.15).  The guards are four checks a send: number, prefix, country and the spend
   ceiling; the emulator answers in plain http, so a send is as short as it gets here and
   the Redis share is as large as it gets.
2. Throughput: Logto-shaped load (node, keep-alive clients) on one gateway counting in
   memory, then on two gateways sharing Redis at once; sends per second and their ratio.
3. The bare round trip: ``RedisCounters.take`` for those four checks, from this process.
"""

from __future__ import annotations

import http.client
import itertools
import json
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ._emulator import EmulatorProcess
from ._rounds import Contender, compare, percentile, ratio_per_round
from ._sections import Judged, Results, Section, judge, run_alone, target_cells
from ._table import Table, ms, rate, ratio, span
from .gateway import GatewayProcess, _load

GUARDS: dict[str, Any] = {
    "limits": [
        {"per": "number", "max": 5, "window": 3600},
        {"per": "prefix", "digits": 7, "max": 1_000_000, "window": 3600},
        {"per": "country", "max": 1_000_000_000, "window": 3600},
    ],
    "spendCeiling": {"perHour": 1e12, "prices": {"CN": 1, "*": 8}},
}


@dataclass(frozen=True)
class GuardsPlan:
    """How long this section runs."""

    name: str
    rounds: int
    round_seconds: float
    warmup_seconds: float
    load_seconds: float
    load_clients: int = 16


FULL = GuardsPlan("full", rounds=10, round_seconds=1.5, warmup_seconds=2.0, load_seconds=6.0)
QUICK = GuardsPlan("quick", rounds=3, round_seconds=0.5, warmup_seconds=0.5, load_seconds=2.0)


def _progress(message: str) -> None:
    print(f"[bench.guards] {message}", file=sys.stderr, flush=True)


class _Sender:
    """One keep-alive connection to a gateway; every call sends to a number not used yet."""

    _numbers = itertools.count(10_000_000)

    def __init__(self, gateway: GatewayProcess) -> None:
        parts = urlsplit(gateway.url)
        self._conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
        self._path = parts.path
        self._headers = {
            "Content-Type": "application/json",
            "Authorization": gateway.authorization,
        }

    def __call__(self) -> None:
        to = f"+86137{next(self._numbers):08d}"
        body = json.dumps({"to": to, "type": "SignIn", "payload": {"code": "123456"}})
        self._conn.request("POST", self._path, body, self._headers)
        answer = self._conn.getresponse()
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"the gateway answered {answer.status}")

    def close(self) -> None:
        self._conn.close()


def _round_trip(url: str, samples: int) -> float:
    """Median seconds of one ``RedisCounters.take`` of the section's four checks."""
    from connector.service import Check, RedisCounters

    counters = RedisCounters(url, prefix="bench-round-trip")
    checks = [
        Check("number", "n", 3600, 1e12),
        Check("prefix", "p", 3600, 1e12),
        Check("country", "CN", 3600, 1e12),
        Check("spendCeiling", "all", 3600, 1e12),
    ]
    times = []
    try:
        for _ in range(samples):
            started = time.perf_counter()
            counters.take(checks)
            times.append(time.perf_counter() - started)
    finally:
        counters.close()
    return statistics.median(times)


def _together(loads: list[Callable[[], dict[str, Any]]]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = [{} for _ in loads]

    def run(i: int) -> None:
        results[i] = loads[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(loads))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def measure(plan: GuardsPlan) -> Results:
    """Start the emulator, Redis and three gateways; return the figures."""
    from tests.shared_servers import RedisServer

    with (
        EmulatorProcess() as emulator,
        RedisServer() as redis,
        tempfile.TemporaryDirectory() as scratch,
    ):
        guards = Path(scratch) / "guards.json"
        guards.write_text(json.dumps(GUARDS), "utf-8")
        flags = ("--guards", str(guards))
        shared = (*flags, "--redis", redis.url)
        with (
            GatewayProcess(emulator.config_path, 1, extra=flags) as alone,
            GatewayProcess(emulator.config_path, 1, extra=shared) as first,
            GatewayProcess(emulator.config_path, 1, extra=shared) as second,
        ):
            senders = {"memory": _Sender(alone), "redis": _Sender(first)}
            try:
                _progress(f"latency: {plan.rounds} interleaved rounds")
                measured = compare(
                    [
                        Contender("memory", "in-process guard", senders["memory"]),
                        Contender("redis", "Redis guard", senders["redis"]),
                    ],
                    rounds=plan.rounds,
                    round_seconds=plan.round_seconds,
                    warmup_seconds=plan.warmup_seconds,
                    per_call=True,
                )
            finally:
                for sender in senders.values():
                    sender.close()
            _progress(f"load: one gateway, in-process guard, {plan.load_seconds:.0f} s")
            one = _load(alone, plan.load_seconds, plan.load_clients)
            _progress(f"load: two gateways sharing Redis, {plan.load_seconds:.0f} s")
            two = _together(
                [
                    lambda: _load(first, plan.load_seconds, plan.load_clients // 2),
                    lambda: _load(second, plan.load_seconds, plan.load_clients // 2),
                ]
            )
        round_trip = _round_trip(redis.url, 2000 if plan.name == "full" else 300)

    memory, shared_ = measured["memory"], measured["redis"]
    one_rate = one["sent"] / plan.load_seconds
    two_rate = sum(r["sent"] for r in two) / plan.load_seconds
    send_p50 = percentile(sorted(memory.latencies), 50)
    return {
        "plan": plan.name,
        "p50_ms": {
            "memory": send_p50 * 1e3,
            "redis": percentile(sorted(shared_.latencies), 50) * 1e3,
        },
        "redis_over_memory_p50": ratio_per_round(shared_.round_p50s, memory.round_p50s),
        "round_trip_ms": round_trip * 1e3,
        "round_trip_share_of_send": round_trip / send_p50,
        "load_clients": plan.load_clients,
        "one_memory_per_second": one_rate,
        "two_redis_per_second": two_rate,
        "two_over_one": two_rate / one_rate,
        "errors": one["errors"] + sum(r["errors"] for r in two),
    }


def _targets(results: Results) -> list[Judged]:
    over = results["redis_over_memory_p50"]
    return [
        judge(
            "redis_p50",
            "p50: gateway with Redis guard / with in-process guard",
            "<= 1.15",
            over["median"],
            "x",
            lambda v: v <= 1.15,
            over,
        )
    ]


def _rows(table: Table, results: Results, judged: Mapping[str, Judged]) -> None:
    over = results["redis_over_memory_p50"]
    table.section(
        "8. guards: counters in Redis (two gateways) vs in process (one gateway)",
        results.get("other_processes_cpus"),
    )
    p50 = results["p50_ms"]
    table.row("one send, in-process guard, p50", ms(p50["memory"]))
    table.row("one send, Redis guard, p50", ms(p50["redis"]))
    table.row(
        "p50 ratio (Redis guard / in-process guard)",
        ratio(over["median"]),
        span(ratio(over["min"]), ratio(over["max"])),
        *target_cells(judged, "redis_p50"),
    )
    table.row(
        "Redis round trip (4 checks, one script)",
        ms(results["round_trip_ms"]),
        f"{results['round_trip_share_of_send']:.0%} of a send",
    )
    clients = results["load_clients"]
    table.row(
        f"one gateway, in-process guard, {clients} clients", rate(results["one_memory_per_second"])
    )
    table.row(
        f"two gateways, Redis guard, {clients // 2} clients each",
        rate(results["two_redis_per_second"]),
        f"x{results['two_over_one']:.2f} of one",
        "",
        f"errors {results['errors']}",
    )


SECTIONS = (
    Section(
        name="guards",
        order=80,
        # It runs an emulator, Redis and three gateways of its own.
        needs_emulator=False,
        run=lambda plan, context: measure(QUICK if plan.name == "quick" else FULL),
        rows=_rows,
        targets=_targets,
    ),
)


def main(argv: list[str] | None = None) -> int:
    """Run this section alone and print its rows."""
    return run_alone(SECTIONS[0], lambda quick: measure(QUICK if quick else FULL), argv)


if __name__ == "__main__":
    sys.exit(main())
