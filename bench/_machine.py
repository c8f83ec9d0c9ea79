"""What the figures were measured on: machine, interpreter, package versions."""

from __future__ import annotations

import os
import platform
import sys
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


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (a busy machine explains a wide spread)."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


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
            "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "load_average_at_start": load_average(),
        },
        "python": {
            "version": platform.python_version(),
            "implementation": platform.python_implementation(),
            "executable": sys.executable,
        },
        "packages": versions,
    }
