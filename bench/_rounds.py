"""Interleaved measurement: contenders take turns in rounds, and every round is kept.

A round runs each contender once, in the same order.  Noise that hits one moment hits every
contender of that round alike, so a per-round ratio is more trustworthy than a ratio of two
long runs made one after the other; the spread of the per-round ratios says how noisy the
machine was.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._plan import Plan


@dataclass(frozen=True)
class Contender:
    """One thing being measured: a key for results.json, a label for the table, one call."""

    key: str
    label: str
    call: Callable[[], object]


@dataclass
class Measured:
    """Every round of one contender."""

    batch: int
    round_rates: list[float] = field(default_factory=list)  # calls per second, per round
    round_p50s: list[float] = field(default_factory=list)  # seconds, per round (per-call mode)
    latencies: list[float] = field(default_factory=list)  # seconds, every call (per-call mode)
    counted: dict[str, float] = field(default_factory=dict)  # each counter's growth, all rounds

    @property
    def calls(self) -> int:
        """Calls made in all rounds (warm-up excluded)."""
        return self.batch * len(self.round_rates)

    def summary(self) -> dict[str, Any]:
        """The figures results.json keeps (times in milliseconds)."""
        out: dict[str, Any] = {
            "calls_per_round": self.batch,
            "rounds": len(self.round_rates),
            "per_second": statistics.median(self.round_rates),
            "per_second_rounds": [round(r, 1) for r in self.round_rates],
        }
        if self.latencies:
            ordered = sorted(self.latencies)
            out.update(
                p50_ms=percentile(ordered, 50) * 1e3,
                p99_ms=percentile(ordered, 99) * 1e3,
                mean_ms=statistics.fmean(ordered) * 1e3,
                max_ms=ordered[-1] * 1e3,
                samples=len(ordered),
                p50_ms_rounds=[round(v * 1e3, 4) for v in self.round_p50s],
            )
        for name, total in self.counted.items():
            out[f"{name}_ms_per_call"] = total / self.calls * 1e3
        return out


def percentile(ordered: Sequence[float], q: float) -> float:
    """The q-th percentile of sorted values (linear between the two nearest ranks)."""
    if not ordered:
        raise ValueError("no values")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def spread(values: Sequence[float]) -> dict[str, Any]:
    """Median, minimum and maximum of per-round values, and the values themselves."""
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "rounds": [round(v, 4) for v in values],
    }


def ratio_per_round(top: Sequence[float], bottom: Sequence[float]) -> dict[str, Any]:
    """``top[i] / bottom[i]`` for every round, summarised by :func:`spread`."""
    return spread([t / b for t, b in zip(top, bottom, strict=True)])


def calibrate(call: Callable[[], object], seconds: float) -> float:
    """Run ``call`` for about ``seconds`` (the warm-up) and return its rate per second."""
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        call()
        count += 1
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - started)


def compare(
    contenders: Sequence[Contender],
    *,
    rounds: int,
    round_seconds: float,
    warmup_seconds: float,
    per_call: bool,
    counters: Mapping[str, Callable[[], float]] | None = None,
) -> dict[str, Measured]:
    """Warm each contender up, then run them in ``rounds`` interleaved rounds.

    Each contender gets a fixed number of calls per round, chosen from its warm-up rate so
    that a round lasts about ``round_seconds``.  ``per_call`` times every call (latency
    percentiles); otherwise a round is timed as a whole (for calls of a few microseconds,
    where reading the clock would be part of what is measured).
    """
    measured: dict[str, Measured] = {}
    for contender in contenders:
        rate = calibrate(contender.call, warmup_seconds)
        measured[contender.key] = Measured(batch=max(3, round(rate * round_seconds)))
    clock = time.perf_counter
    for _ in range(rounds):
        for contender in contenders:
            result = measured[contender.key]
            call, batch = contender.call, result.batch
            before = {name: read() for name, read in (counters or {}).items()}
            if per_call:
                times = [0.0] * batch
                started = clock()
                for i in range(batch):
                    t0 = clock()
                    call()
                    times[i] = clock() - t0
                elapsed = clock() - started
                result.latencies.extend(times)
                result.round_p50s.append(statistics.median(times))
            else:
                started = clock()
                for _ in range(batch):
                    call()
                elapsed = clock() - started
            result.round_rates.append(batch / elapsed)
            for name, read in (counters or {}).items():
                result.counted[name] = result.counted.get(name, 0.0) + read() - before[name]
    return measured


def compare_micro(contenders: Sequence[Contender], plan: Plan) -> dict[str, Measured]:
    """:func:`compare` for calls without I/O: the plan's micro rounds, rates not latencies."""
    return compare(
        contenders,
        rounds=plan.micro_rounds,
        round_seconds=plan.micro_round_seconds,
        warmup_seconds=plan.warmup_seconds,
        per_call=False,
    )
