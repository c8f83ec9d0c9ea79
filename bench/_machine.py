"""What the figures were measured on: machine, interpreter, package versions."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from importlib import metadata
from typing import Any

PACKAGES = (
    "logto-connector-tencent-sms",
    "pluggy",
    "requests",
    "urllib3",
    "jsonschema",
    "phonenumbers",
    "tencentcloud-sdk-python-common",
    "tencentcloud-sdk-python-sms",
)


def cpu_model() -> str:
    """The ``model name`` of /proc/cpuinfo, or what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _usable_cpus() -> int | None:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return None


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (a busy machine explains a wide spread)."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def machine_busy_seconds() -> float | None:
    """CPU seconds every CPU of the machine has spent busy since boot (steal included)."""
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            fields = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def own_seconds() -> float:
    """CPU seconds of this process and of the children it has waited for."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class OtherLoad:
    """How many CPUs other processes kept busy while a section ran.

    The machine's busy time less this process's, its finished children's and the
    emulator's: a figure near a whole CPU on a two-CPU machine means every comparison of
    that section shared the machine with someone else.
    """

    def __init__(self, extra: Callable[[], float] | None = None) -> None:
        self._extra = extra or (lambda: 0.0)
        self._start = self._read()

    def _read(self) -> tuple[float, float | None, float]:
        return time.perf_counter(), machine_busy_seconds(), own_seconds() + self._extra()

    def cpus(self) -> float | None:
        """Average CPUs used by other processes since this object was made."""
        wall0, busy0, own0 = self._start
        wall1, busy1, own1 = self._read()
        if busy0 is None or busy1 is None or wall1 <= wall0:
            return None
        return max(0.0, (busy1 - busy0) - (own1 - own0)) / (wall1 - wall0)


def source_state(root: str) -> dict[str, Any]:
    """The commit measured and which files differed from it (read-only git queries)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", root, *args], capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    changed = git("status", "--porcelain", "--", "connector", "schemas", "metadata")
    return {
        "commit": git("rev-parse", "HEAD"),
        "uncommitted_library_files": changed.splitlines() if changed else [],
    }


def describe() -> dict[str, Any]:
    """The machine and software block of results.json."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "machine": {
            "platform": platform.platform(),
            "cpu": cpu_model(),
            "nproc": os.cpu_count(),
            "usable_cpus": _usable_cpus(),
            "load_average_at_start": load_average(),
        },
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "packages": versions,
        "source": source_state(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    }
