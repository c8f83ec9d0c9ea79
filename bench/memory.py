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
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._plan import Plan
from ._sections import Judged, Results, Section, judge, target_cells
from ._table import Table, ratio
from .sends import CODE, CONNECTOR_ID, TYPE, mainland_numbers


def _status_kib(field: str) -> int:
    """A ``VmRSS``-style line of /proc/self/status, in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def _rss_kib(peaks: dict[str, int] | None = None, label: str = "") -> int:
    gc.collect()
    if peaks is not None:
        peaks[label] = _status_kib("VmHWM")
    return _status_kib("VmRSS")


def measure(config_path: str, first: int, total: int) -> dict[str, Any]:
    """Send ``total`` messages; the RSS after ``first`` and after ``total``, and the peak."""
    from connector.kit import ConnectorHost

    config = json.loads(Path(config_path).read_text("utf-8"))
    payload = {"code": CODE}
    numbers = mainland_numbers(total, offset=20_000_000)
    peaks: dict[str, int] = {}  # VmHWM, the peak so far, at each point

    def note(label: str) -> int:
        rss[label] = _rss_kib(peaks, label)
        return rss[label]

    rss: dict[str, int] = {}
    note("before the host (numbers made)")
    host = ConnectorHost()
    note("host made")
    for index, number in enumerate(numbers, start=1):
        host.send_message(CONNECTOR_ID, config, to=number, type=TYPE, payload=payload)
        if index in (1, first):
            note(f"after {index:,} send{'s' if index > 1 else ''}")
    after_first = rss[f"after {first:,} sends"]
    after_total = note(f"after {total:,} sends")
    return {
        "first": first,
        "total": total,
        "rss_kib": rss,
        "peak_so_far_kib": peaks,
        "peak_rss_kib": _status_kib("VmHWM"),
        # Linux keeps ru_maxrss across exec, so it can report the parent's size at fork.
        "ru_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "growth_ratio": after_total / after_first,
    }


def run_memory(emulator: Any, plan: Plan) -> dict[str, Any]:
    """Run :func:`measure` in a fresh interpreter against ``emulator``."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.memory",
            str(emulator.config_path),
            str(plan.memory_first),
            str(plan.memory_total),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    ).stdout
    emulator.clear_outbox()
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))))


def _targets(results: Results) -> list[Judged]:
    return [
        judge(
            "growth",
            f"RSS after {results['total']:,} sends / after {results['first']:,}",
            "<= 1.05",
            results["growth_ratio"],
            "x",
            lambda v: v <= 1.05,
        )
    ]


def _rows(table: Table, memory: Results, judged: Mapping[str, Judged]) -> None:
    table.section(
        "6. memory (fresh process, each send to a new number)",
        memory.get("other_processes_cpus"),
    )
    peaks = memory.get("peak_so_far_kib", {})
    for key, value in memory["rss_kib"].items():
        peak = f"  (peak so far {peaks[key] / 1024:.1f})" if key in peaks else ""
        table.row(f"RSS {key}", f"{value / 1024:.1f} MiB{peak}")
    table.row("peak RSS (VmHWM)", f"{memory['peak_rss_kib'] / 1024:.1f} MiB")
    table.row(
        f"RSS after {memory['total']:,} sends / after {memory['first']:,}",
        ratio(memory["growth_ratio"]),
        "",
        *target_cells(judged, "growth"),
    )


SECTIONS = (
    Section(
        name="memory",
        order=60,
        needs_emulator=True,
        run=lambda plan, context: run_memory(context.emulator, plan),
        rows=_rows,
        targets=_targets,
    ),
)
