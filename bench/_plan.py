"""How long each section runs: the full plan (about four minutes on two cores) and ``--quick``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """Rounds, round lengths and repetitions of every section."""

    name: str
    warmup_seconds: float
    send_rounds: int
    send_round_seconds: float
    micro_rounds: int  # validation and signing
    micro_round_seconds: float
    startup_runs: int
    thread_rounds: int
    thread_sends_per_round: int  # divisible by 1, 2, 4 and 8
    memory_first: int
    memory_total: int


FULL = Plan(
    name="full",
    warmup_seconds=0.5,
    send_rounds=10,
    send_round_seconds=0.4,
    micro_rounds=10,
    micro_round_seconds=0.25,
    startup_runs=15,
    thread_rounds=6,
    thread_sends_per_round=320,
    memory_first=1_000,
    memory_total=10_000,
)

QUICK = Plan(
    name="quick",
    warmup_seconds=0.2,
    send_rounds=5,
    send_round_seconds=0.2,
    micro_rounds=5,
    micro_round_seconds=0.1,
    startup_runs=5,
    thread_rounds=3,
    thread_sends_per_round=160,
    memory_first=1_000,
    memory_total=3_000,
)
