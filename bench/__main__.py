"""``python -m bench [--quick] [--only SECTION,...] [--output PATH]``: run, print, record.

The run never fails on a missed target: a benchmark reports; the table and results.json say
which targets were met.  Its exit status is non-zero only when the benchmark itself broke.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import _machine
from ._emulator import EmulatorProcess
from ._plan import FULL, QUICK, Plan
from ._table import Table, ms, rate, ratio, span

SECTIONS = ("startup", "signing", "validation", "steps", "send", "threads", "memory")
_NEEDS_EMULATOR = frozenset({"send", "threads", "memory"})
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results.json"


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# -- targets ----------------------------------------------------------------------------------


def _verdict(ok: bool, spread: dict[str, Any] | None, check: Callable[[float], bool]) -> str:
    """``met`` / ``MISSED``, and whether single rounds fell on the other side."""
    verdict = "met" if ok else "MISSED"
    if spread is not None and check(spread["min"]) != check(spread["max"]):
        verdict += " (rounds straddle)"
    return verdict


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of issue #6 with its measured figure and whether it was met."""
    found: list[dict[str, Any]] = []

    def add(
        name: str,
        target: str,
        measured: float | bool,
        unit: str,
        check: Callable[[float], bool],
        spread: dict[str, Any] | None = None,
    ) -> None:
        ok = check(float(measured))
        found.append(
            {
                "name": name,
                "target": target,
                "measured": measured,
                "unit": unit,
                "met": ok,
                "verdict": _verdict(ok, spread, check),
            }
        )

    send = results.get("send")
    if send:
        r = send["ratios"]["a_over_b_p50"]
        add("(a)/(b) send latency", "<= 1.15", r["median"], "x", lambda v: v <= 1.15, r)
        r = send["ratios"]["c_over_a_p50"]
        add("(c)/(a) SDK latency over ours", ">= 1.5", r["median"], "x", lambda v: v >= 1.5, r)
    validation = results.get("validation")
    if validation:
        c = validation["contenders"]["host_cached"]
        spread = {"min": min(c["per_second_rounds"]), "max": max(c["per_second_rounds"])}
        add(
            "validate_config per second (nine templates)",
            ">= 20,000/s",
            c["per_second"],
            "/s",
            lambda v: v >= 20_000,
            spread,
        )
    startup = results.get("startup")
    if startup:
        w = startup["wall_ms"]["logto-connector list"]
        add("logto-connector list wall time", "<= 150 ms", w["median"], "ms", lambda v: v <= 150, w)
        loaded = startup["modules_loaded"]
        clean = all(
            not loaded[name][module]
            for name in (
                "import connector.kit",
                "import connector.tencent_sms",
                "import connector.tencent_sms.plugin",
            )
            for module in ("requests", "jsonschema")
        )
        add(
            "importing the connector loads neither requests nor jsonschema",
            "true",
            clean,
            "",
            lambda v: v == 1.0,
        )
    threads = results.get("threads")
    if threads:
        r = threads["ratio_8_over_1"]
        add(
            "8 threads over 1 thread, sends per second",
            "> 1",
            r["median"],
            "x",
            lambda v: v > 1.0,
            r,
        )
    memory = results.get("memory")
    if memory:
        add(
            f"RSS after {memory['total']:,} sends / after {memory['first']:,}",
            "<= 1.05",
            memory["growth_ratio"],
            "x",
            lambda v: v <= 1.05,
        )
    return found


# -- the table --------------------------------------------------------------------------------


def _target_of(found: list[dict[str, Any]], name: str) -> tuple[str, str]:
    for t in found:
        if t["name"] == name:
            return t["target"], t["verdict"]
    return "", ""


def build_table(results: dict[str, Any], found: list[dict[str, Any]]) -> Table:
    """Every section's figures, with each target beside the figure it judges."""
    table = Table()
    send = results.get("send")
    if send:
        table.section(
            "1. one send, single thread (emulator in its own process; keep-alive)",
            send.get("other_processes_cpus"),
        )
        table.row("", "  p50 /   p99 ms   sends/s  cpu ms: ours + emulator")
        for c in send["contenders"].values():
            rounds = c["per_second_rounds"]
            table.row(
                ("  " if c["key"].startswith("layer_") else "") + c["label"],
                f"{c['p50_ms']:5.2f} / {c['p99_ms']:5.2f}   {rate(c['per_second']):>8}  "
                f"{c['client_cpu_ms_per_call']:.2f} + {c['server_cpu_ms_per_call']:.2f}",
                span(rate(min(rounds)), rate(max(rounds))),
            )
        for key, label, name in (
            ("a_over_b_p50", "(a)/(b) p50 latency", "(a)/(b) send latency"),
            ("a_same_over_b_p50", "(a')/(b) p50 latency", ""),
            ("c_over_a_p50", "(c)/(a) p50 latency", "(c)/(a) SDK latency over ours"),
            ("a_over_c_sends_per_s", "(a)/(c) sends per second", ""),
            ("b_over_e_p50", "(b)/(e) p50 latency (requests over urllib3)", ""),
            ("b_over_d_p50", "(b)/(d) p50 latency (requests over http.client)", ""),
        ):
            r = send["ratios"][key]
            table.row(
                label,
                ratio(r["median"]),
                span(ratio(r["min"]), ratio(r["max"])),
                *_target_of(found, name),
            )
        table.row("where (a)'s extra time goes", "p50 added   client cpu added")
        for layer in send["layer_costs"]:
            d = layer["p50_ms"]
            table.row(
                f"  {layer['what']}",
                f"{d['median']:+.3f} ms   {layer['client_cpu_ms']:+.3f} ms",
                f"{d['min']:+.3f} – {d['max']:+.3f} ms",
            )
        table.row(
            "emulator accepted every send",
            f"{send['emulator_delivered']:,} of {send['emulator_requests']:,}",
        )

    steps = results.get("steps")
    if steps:
        table.section(
            "1b. the connector's own work per send (hot loop, no network)",
            steps.get("other_processes_cpus"),
        )
        table.row("", "median round (best round)")
        for step in steps["steps"].values():
            rounds = step["per_second_rounds"]
            table.row(
                step["label"],
                f"{step['us_per_call']:7.1f} us  ({step['best_us_per_call']:.1f})",
                span(f"{1e6 / max(rounds):.1f}", f"{1e6 / min(rounds):.1f} us"),
            )
        table.row(
            "sum (the fingerprint counted within its two steps)",
            f"{steps['sum_us']:7.1f} us  ({steps['sum_best_us']:.1f})",
        )

    validation = results.get("validation")
    if validation:
        table.section(
            "2. config validation (nine templates + four international)",
            validation.get("other_processes_cpus"),
        )
        for key, c in validation["contenders"].items():
            rounds = c["per_second_rounds"]
            name = "validate_config per second (nine templates)" if key == "host_cached" else ""
            table.row(
                c["label"],
                rate(c["per_second"]),
                span(rate(min(rounds)), rate(max(rounds))),
                *_target_of(found, name),
            )
        r = validation["ratios"]["cold_over_compiled"]
        table.row(
            "cold host path / reused jsonschema validator",
            ratio(r["median"]),
            span(ratio(r["min"]), ratio(r["max"])),
        )

    signing = results.get("signing")
    if signing:
        table.section("3. TC3 signing", signing.get("other_processes_cpus"))
        for c in signing["contenders"].values():
            rounds = c["per_second_rounds"]
            table.row(c["label"], rate(c["per_second"]), span(rate(min(rounds)), rate(max(rounds))))
        r = signing["ratios"]["ours_over_sdk"]
        table.row(
            "ours / SDK, signatures per second",
            ratio(r["median"]),
            span(ratio(r["min"]), ratio(r["max"])),
        )
        r = signing["ratios"]["client_signer_over_sdk"]
        table.row(
            "client Signer / SDK, signatures per second",
            ratio(r["median"]),
            span(ratio(r["min"]), ratio(r["max"])),
        )
        table.row("signatures agree", "yes" if signing["signatures_agree"] else "NO")

    startup = results.get("startup")
    if startup:
        table.section(
            f"4. start-up (fresh processes, median of {startup['runs']})",
            startup.get("other_processes_cpus"),
        )
        for name, w in startup["wall_ms"].items():
            target = "logto-connector list wall time" if name == "logto-connector list" else ""
            table.row(
                name, ms(w["median"]), span(ms(w["min"]), ms(w["max"])), *_target_of(found, target)
            )
        for name, loaded in startup["modules_loaded"].items():
            heavy = [m for m, present in loaded.items() if present]
            table.row(f"loaded by {name}", ", ".join(heavy) or "none of the heavy ones")
        table.row(
            "",
            "",
            "",
            *_target_of(found, "importing the connector loads neither requests nor jsonschema"),
        )
        it = startup["importtime"]
        table.row(
            f"-X importtime, {it['modules']} modules; ten largest",
            f"{ms(it['total_ms'])} in all imports",
            "imported by",
        )
        for item in it["top_cumulative"]:
            table.row(
                f"  {item['module']}",
                f"{ms(item['cumulative_ms'])}  (self {ms(item['self_ms'])})",
                f"by {item['imported_by'] or '-c'}",
            )

    threads = results.get("threads")
    if threads:
        table.section(
            f"5. threads sharing one host ({threads['sends_per_round']} sends a round)",
            threads.get("other_processes_cpus"),
        )
        for n, s in threads["threads"].items():
            table.row(
                f"{n} thread{'s' if n != '1' else ''}",
                rate(s["median"]),
                span(rate(s["min"]), rate(s["max"])),
            )
        r = threads["ratio_8_over_1"]
        table.row(
            "8 threads / 1 thread",
            ratio(r["median"]),
            span(ratio(r["min"]), ratio(r["max"])),
            *_target_of(found, "8 threads over 1 thread, sends per second"),
        )

    memory = results.get("memory")
    if memory:
        table.section(
            "6. memory (fresh process, each send to a new number)",
            memory.get("other_processes_cpus"),
        )
        rss = memory["rss_kib"]
        first, total = memory["first"], memory["total"]
        peaks = memory.get("peak_so_far_kib", {})
        for key, value in rss.items():
            peak = f"  (peak so far {peaks[key] / 1024:.1f})" if key in peaks else ""
            table.row(f"RSS {key}", f"{value / 1024:.1f} MiB{peak}")
        table.row("peak RSS (VmHWM)", f"{memory['peak_rss_kib'] / 1024:.1f} MiB")
        name = f"RSS after {total:,} sends / after {first:,}"
        table.row(name, ratio(memory["growth_ratio"]), "", *_target_of(found, name))
    return table


# -- running ----------------------------------------------------------------------------------


def run(plan: Plan, sections: list[str]) -> dict[str, Any]:
    """Run the chosen sections in order; the emulator only while a section needs it."""
    from .memory import run_memory
    from .sends import run_send, run_threads
    from .signatures import run_signing
    from .startup import run_startup
    from .steps import run_steps
    from .validation import run_validation

    results: dict[str, Any] = {}
    local = [s for s in sections if s not in _NEEDS_EMULATOR]
    remote = [s for s in sections if s in _NEEDS_EMULATOR]
    config: dict[str, Any] | None = None
    if {"signing", "validation", "steps"} & set(local):
        # A config of the same shape as the emulator's, without starting one.
        from connector.emulator import Emulator

        with Emulator(limits=None) as throwaway:
            config = throwaway.connector_config()
    for name in local:
        _progress(f"{name} ...")
        started = time.perf_counter()
        others = _machine.OtherLoad()
        if name == "startup":
            results[name] = run_startup(plan)
        elif name == "signing":
            assert config is not None
            results[name] = run_signing(config, plan)
        elif name == "steps":
            assert config is not None
            results[name] = run_steps(config, plan)
        else:
            assert config is not None
            results[name] = run_validation(config, plan)
        results[name]["seconds"] = round(time.perf_counter() - started, 2)
        results[name]["other_processes_cpus"] = others.cpus()
    if remote:
        with EmulatorProcess() as emulator:
            results["emulator"] = {
                "url": emulator.url,
                "pid": emulator.pid,
                "process": "separate",
                "limits": "off",
            }
            for name in remote:
                _progress(f"{name} ...")
                started = time.perf_counter()
                others = _machine.OtherLoad(emulator.cpu_seconds)
                if name == "send":
                    results[name] = run_send(emulator, plan)
                elif name == "threads":
                    results[name] = run_threads(emulator, plan)
                else:
                    results[name] = run_memory(emulator, plan)
                results[name]["seconds"] = round(time.perf_counter() - started, 2)
                results[name]["other_processes_cpus"] = others.cpus()
    return results


def _write(path: Path, document: dict[str, Any]) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table, write results.json."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer and shorter rounds")
    parser.add_argument(
        "--only", metavar="SECTION,...", help=f"run only these sections ({', '.join(SECTIONS)})"
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=DEFAULT_OUTPUT,
        help="where to write the results (default: bench/results.json)",
    )
    args = parser.parse_args(argv)
    sections = list(SECTIONS)
    if args.only:
        wanted = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = sorted(set(wanted) - set(SECTIONS))
        if unknown:
            parser.error(f"unknown section(s): {', '.join(unknown)}")
        sections = [s for s in SECTIONS if s in wanted]
    plan = QUICK if args.quick else FULL

    started = time.perf_counter()
    document: dict[str, Any] = {
        "benchmark": "logto-connector-tencent-sms",
        "issue": 6,
        "plan": plan.name,
        "sections": sections,
        "command": " ".join(["python -m bench", *(argv if argv is not None else sys.argv[1:])]),
        "started_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        **_machine.describe(),
    }
    results = run(plan, sections)
    document.update(results)
    found = targets(results)
    document["targets"] = found
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
    print(build_table(results, found).render())
    print()
    for t in found:
        measured = t["measured"]
        shown = (
            ("yes" if measured else "no")
            if isinstance(measured, bool)
            else (
                f"{measured:,.0f}{t['unit']}" if t["unit"] == "/s" else f"{measured:.3g}{t['unit']}"
            )
        )
        print(f"target  {t['verdict']:<24} {t['name']}: {shown} (target {t['target']})")
    _write(args.output, document)
    print(f"\nresults written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
