"""What a benchmark section is, and how ``python -m bench`` finds every one.

A section is one :class:`Section` object in a module of ``bench/`` (a module may hold
several, listed in its ``SECTIONS``).  It says what it needs (an emulator process or not),
runs, judges its own targets from its own results, and writes its own rows of the table.
Adding a section is one new module: nothing else names it.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._plan import Plan
from ._table import Table

Results = dict[str, Any]


@dataclass
class Context:
    """What a section's ``run`` may use: a demo-shaped connector config, and the emulator
    process when the section needs one (``None`` otherwise)."""

    config: dict[str, Any]
    emulator: Any | None = None


@dataclass(frozen=True)
class Judged:
    """One target, with the figure measured for it and whether it was met."""

    key: str
    name: str
    target: str
    measured: float | bool
    unit: str
    met: bool
    verdict: str

    def to_json(self) -> dict[str, Any]:
        """The form results files keep."""
        return {
            "section_target": self.key,
            "name": self.name,
            "target": self.target,
            "measured": self.measured,
            "unit": self.unit,
            "met": self.met,
            "verdict": self.verdict,
        }

    def shown(self) -> str:
        """The measured figure, as the closing list prints it."""
        if isinstance(self.measured, bool):
            return "yes" if self.measured else "no"
        if self.unit == "/s":
            return f"{self.measured:,.0f}{self.unit}"
        return f"{self.measured:.3g}{self.unit}"


def judge(
    key: str,
    name: str,
    target: str,
    measured: float | bool,
    unit: str,
    check: Callable[[float], bool],
    spread: Mapping[str, Any] | None = None,
) -> Judged:
    """Judge ``measured`` by ``check``; say so when single rounds fell on the other side."""
    ok = check(float(measured))
    verdict = "met" if ok else "MISSED"
    if spread is not None and check(spread["min"]) != check(spread["max"]):
        verdict += " (rounds straddle)"
    return Judged(key, name, target, measured, unit, ok, verdict)


def target_cells(judged: Mapping[str, Judged], key: str) -> tuple[str, str]:
    """The table's target and result cells for one of a section's targets."""
    found = judged.get(key)
    return (found.target, found.verdict) if found is not None else ("", "")


def _no_targets(results: Results) -> list[Judged]:
    return []


@dataclass(frozen=True)
class Section:
    """One benchmark section."""

    #: The ``--only`` name and the key of its results.
    name: str
    #: Sections run (and print) in this order, lowest first.
    order: int
    needs_emulator: bool
    run: Callable[[Plan, Context], Results]
    #: Writes the section's heading and rows; the mapping holds its judged targets by key.
    rows: Callable[[Table, Results, Mapping[str, Judged]], None]
    targets: Callable[[Results], list[Judged]] = _no_targets


def discover() -> list[Section]:
    """Every section of every public module in ``bench/``, in order."""
    import bench

    found: list[Section] = []
    for module in pkgutil.iter_modules(bench.__path__):
        if module.name.startswith("_"):
            continue
        loaded = importlib.import_module(f"bench.{module.name}")
        found.extend(getattr(loaded, "SECTIONS", ()))
    names = [s.name for s in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise RuntimeError(f"two benchmark sections share a name: {', '.join(duplicates)}")
    return sorted(found, key=lambda s: (s.order, s.name))


def run_alone(section: Section, measure: Callable[[bool], Results], argv: list[str] | None) -> int:
    """``python -m bench.<module> [--quick] [--json PATH]``: one section alone, rows printed.

    ``measure(quick)`` runs the section's own plan (the short one when ``quick``).
    """
    import argparse
    import json
    from pathlib import Path

    from . import _machine

    parser = argparse.ArgumentParser(prog=f"python -m bench.{section.name}")
    parser.add_argument("--quick", action="store_true", help="a short run (smoke test)")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    results = measure(args.quick)
    judged = {j.key: j for j in section.targets(results)}
    table = Table()
    section.rows(table, results, judged)
    machine = _machine.describe()["machine"]
    print(f"{section.name} benchmark on {machine['cpu']} ({machine['usable_cpus']} usable CPUs)")
    print(table.render())
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0
