"""Section 6: resident memory of a sending process, in a fresh interpreter.

Run as ``python -m bench.memory CONFIG FIRST TOTAL``: sends TOTAL messages through one host
(each to a new number) and prints, as one JSON line, the resident set size after FIRST sends,
after TOTAL sends, and the peak.  The parent (``python -m bench``) starts it so that nothing
the other sections loaded or allocated counts here.
"""

from __future__ import annotations

import gc
import json
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

from ._plan import Plan
from .sends import CODE, CONNECTOR_ID, TYPE, mainland_numbers


def _status_kib(field: str) -> int:
    """A ``VmRSS``-style line of /proc/self/status, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def _rss_kib() -> int:
    gc.collect()
    return _status_kib("VmRSS")


def measure(config_path: str, first: int, total: int) -> dict[str, Any]:
    """Send ``total`` messages; the RSS after ``first`` and after ``total``, and the peak."""
    from connector.kit import ConnectorHost

    config = json.loads(Path(config_path).read_text("utf-8"))
    rss: dict[str, int] = {"started": _rss_kib()}
    host = ConnectorHost()
    payload = {"code": CODE}
    numbers = mainland_numbers(total, offset=20_000_000)
    rss["numbers_made"] = _rss_kib()
    for index, number in enumerate(numbers, start=1):
        host.send_message(CONNECTOR_ID, config, to=number, type=TYPE, payload=payload)
        if index == 1:
            rss["after_1"] = _rss_kib()
        if index == first:
            rss[f"after_{first}"] = _rss_kib()
    rss[f"after_{total}"] = _rss_kib()
    return {
        "first": first,
        "total": total,
        "rss_kib": rss,
        "peak_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,  # KiB on Linux
        "vm_hwm_kib": _status_kib("VmHWM"),
        "growth_ratio": rss[f"after_{total}"] / rss[f"after_{first}"],
    }


def run_memory(emulator: Any, plan: Plan) -> dict[str, Any]:
    """Run :func:`measure` in a fresh interpreter against ``emulator``."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.memory", str(emulator.config_path),
         str(plan.memory_first), str(plan.memory_total)],
        capture_output=True, text=True, check=True,
        cwd=Path(__file__).resolve().parent.parent,
    ).stdout
    emulator.clear_outbox()
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))
