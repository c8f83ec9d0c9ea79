"""``python -m bench [--quick] [--only SECTION,...] [--output PATH]``: run, print, record.

The run never fails on a missed target: a benchmark reports; the table and the results file
say which targets were met.  Its exit status is non-zero only when the benchmark itself broke.
The sections are the :class:`~bench._sections.Section` objects of the modules in ``bench/``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import _machine
from ._emulator import EmulatorProcess
from ._plan import FULL, QUICK, Plan
from ._sections import Context, Judged, Results, Section, discover
from ._table import Table

#: Outside every tracked file: ``bench/out/`` is ignored by git.
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "out" / "results.json"


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _demo_config() -> dict[str, Any]:
    """A config of the same shape as the emulator's, without starting one."""
    from connector.emulator import Emulator

    with Emulator(limits=None) as throwaway:
        return throwaway.connector_config()


def _run_one(section: Section, plan: Plan, context: Context) -> Results:
    _progress(f"{section.name} ...")
    started = time.perf_counter()
    emulator = context.emulator if section.needs_emulator else None
    others = _machine.OtherLoad(emulator.cpu_seconds if emulator is not None else None)
    results = section.run(plan, context)
    results["seconds"] = round(time.perf_counter() - started, 2)
    results["other_processes_cpus"] = others.cpus()
    return results


def run(plan: Plan, sections: Sequence[Section]) -> dict[str, Results]:
    """Run the chosen sections in order; the emulator runs only while a section needs it."""
    results: dict[str, Results] = {}
    context = Context(config=_demo_config())
    for section in [s for s in sections if not s.needs_emulator]:
        results[section.name] = _run_one(section, plan, context)
    remote = [s for s in sections if s.needs_emulator]
    if remote:
        with EmulatorProcess() as emulator:
            results["emulator"] = {
                "url": emulator.url,
                "pid": emulator.pid,
                "process": "separate",
                "limits": "off",
            }
            context.emulator = emulator
            for section in remote:
                results[section.name] = _run_one(section, plan, context)
    return results


def judge_all(sections: Sequence[Section], results: dict[str, Results]) -> dict[str, list[Judged]]:
    """Each section's targets, judged from its own results."""
    return {s.name: s.targets(results[s.name]) for s in sections if s.name in results}


def build_table(
    sections: Sequence[Section], results: dict[str, Results], judged: dict[str, list[Judged]]
) -> Table:
    """Every section's figures, in section order, each target beside the figure it judges."""
    table = Table()
    for section in sections:
        if section.name in results:
            mine = {j.key: j for j in judged.get(section.name, [])}
            section.rows(table, results[section.name], mine)
    return table


def _write(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table, write the results file."""
    every = discover()
    names = [s.name for s in every]
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="fewer and shorter rounds (about a minute)"
    )
    parser.add_argument(
        "--only", metavar="SECTION,...", help=f"run only these sections ({', '.join(names)})"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="where to write the results (default: bench/out/results.json, not tracked)",
    )
    args = parser.parse_args(argv)
    sections = every
    if args.only:
        wanted = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = sorted(set(wanted) - set(names))
        if unknown:
            parser.error(f"unknown section(s): {', '.join(unknown)}")
        sections = [s for s in every if s.name in wanted]
    plan = QUICK if args.quick else FULL

    started = time.perf_counter()
    document: dict[str, Any] = {
        "benchmark": "logto-connector-tencent-sms",
        "plan": plan.name,
        "sections": [s.name for s in sections],
        "command": " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])]),
        "started_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        **_machine.describe(),
    }
    results = run(plan, sections)
    document.update(results)
    judged = judge_all(sections, results)
    found = [j for s in sections for j in judged.get(s.name, [])]
    document["targets"] = [j.to_json() for j in found]
    document["machine"]["load_average_at_end"] = _machine.load_average()
    document["duration_s"] = round(time.perf_counter() - started, 1)

    machine = document["machine"]
    print(f"logto-connector-tencent-sms benchmark ({plan.name} run, {document['duration_s']} s)")
    print(
        f"machine: {machine['platform']}; {machine['cpu']}; {machine['nproc']} CPUs; "
        f"Python {document['python']['version']}; load {machine['load_average_at_start']} -> "
        f"{machine['load_average_at_end']}"
    )
    source = document["source"]
    dirty = len(source["uncommitted_library_files"])
    print(
        f"source: commit {str(source['commit'])[:12]}"
        + (f" + {dirty} uncommitted library file(s)" if dirty else "")
    )
    print("ratios are medians of per-round ratios; the spread is their range over the rounds\n")
    print(build_table(sections, results, judged).render())
    print()
    for j in found:
        print(f"target  {j.verdict:<24} {j.name}: {j.shown()} (target {j.target})")
    _write(args.output, document)
    print(f"\nresults written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
