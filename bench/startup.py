"""Section 4: start-up — wall time of fresh processes, what they import, and what it costs."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._plan import Plan
from ._rounds import spread
from ._sections import Judged, Results, Section, judge, target_cells
from ._table import Table, ms, span

HEAVY = ("requests", "urllib3", "jsonschema", "phonenumbers", "tencentcloud")
HOST_CODE = "from connector.kit import ConnectorHost; ConnectorHost().ids()"

# What each check runs in a fresh interpreter before reading sys.modules.
_MODULE_CHECKS: dict[str, tuple[str, Mapping[str, str | None]]] = {
    "import connector.kit": ("import connector.kit", {}),
    "import connector.tencent_sms": ("import connector.tencent_sms", {}),
    "import connector.tencent_sms.plugin": ("import connector.tencent_sms.plugin", {}),
    "import connector.cli": ("import connector.cli", {}),
    "ConnectorHost()": (HOST_CODE, {}),
}


def console_script() -> str:
    """``logto-connector`` beside the running interpreter (the venv's), else on PATH."""
    beside = Path(sys.executable).parent / "logto-connector"
    if beside.exists():
        return str(beside)
    found = shutil.which("logto-connector")
    if found is None:
        raise RuntimeError("logto-connector is not installed; run `make bench`")
    return found


def _environment(overrides: Mapping[str, str | None]) -> dict[str, str]:
    """This process's environment with ``overrides`` applied (``None`` removes a variable)."""
    env = dict(os.environ)
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def _wall(command: list[str], env: Mapping[str, str]) -> float:
    environment = dict(env)
    started = time.perf_counter()
    subprocess.run(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=True,
        env=environment,
    )
    return time.perf_counter() - started


def _loaded_modules(code: str, env: Mapping[str, str | None]) -> dict[str, bool]:
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps({{m: m in sys.modules for m in {list(HEAVY)!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env=_environment(env),
    ).stdout
    loaded: dict[str, bool] = json.loads(out.strip().splitlines()[-1])
    return loaded


def importtime(code: str, env: Mapping[str, str], top: int = 10) -> dict[str, Any]:
    """The imports of ``code`` by ``-X importtime``: the ``top`` largest, by cumulative and self."""
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=dict(env),
    ).stderr
    rows: list[dict[str, Any]] = []
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        fields = line[len("import time:") :].split("|")
        if not fields[0].strip().isdigit():
            continue  # the header line
        name = fields[2].rstrip()
        rows.append(
            {
                "module": name.strip(),
                "depth": (len(name) - len(name.lstrip())) // 2,
                "self_ms": int(fields[0]) / 1000,
                "cumulative_ms": int(fields[1]) / 1000,
                "imported_by": None,
            }
        )
    # -X importtime prints a module after everything it imported (post-order), so read
    # backwards: the closest earlier-printed module one level up is the importer.
    stack: list[dict[str, Any]] = []
    for row in reversed(rows):
        while stack and stack[-1]["depth"] >= row["depth"]:
            stack.pop()
        if stack:
            row["imported_by"] = stack[-1]["module"]
        stack.append(row)
    total = sum(r["self_ms"] for r in rows)
    return {
        "code": code,
        "total_ms": total,
        "modules": len(rows),
        "top_cumulative": sorted(rows, key=lambda r: -r["cumulative_ms"])[:top],
        "top_self": sorted(rows, key=lambda r: -r["self_ms"])[:top],
    }


def run_startup(plan: Plan) -> dict[str, Any]:
    """Fresh processes, interleaved in rounds after two warm-up runs each; medians in ms.

    The timed processes may write bytecode, to a cache folder of their own (so nothing is
    written into the source tree): after the warm-up every module loads from its .pyc, as
    it does from an installed wheel.  Where this shell forbids bytecode
    (PYTHONDONTWRITEBYTECODE), ``list`` is timed that way too, since an editable install
    then compiles the project's modules on every start.
    """
    python = sys.executable
    script = console_script()
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as pycache:
        cached = _environment({"PYTHONDONTWRITEBYTECODE": None, "PYTHONPYCACHEPREFIX": pycache})
        commands: dict[str, tuple[list[str], Mapping[str, str]]] = {
            "python -c pass": ([python, "-c", "pass"], cached),
            "import connector.kit": ([python, "-c", "import connector.kit"], cached),
            "import connector.tencent_sms.plugin": (
                [python, "-c", "import connector.tencent_sms.plugin"],
                cached,
            ),
            "logto-connector list": ([script, "list"], cached),
        }
        if os.environ.get("PYTHONDONTWRITEBYTECODE"):
            commands["logto-connector list, no bytecode (as this shell)"] = (
                [script, "list"],
                dict(os.environ),
            )
        for command, env in commands.values():
            for _ in range(2):
                _wall(command, env)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(plan.startup_runs):
            for name, (command, env) in commands.items():
                times[name].append(_wall(command, env) * 1e3)
        imports = importtime(HOST_CODE, cached)
    baseline = statistics.median(times["python -c pass"])
    return {
        "runs": plan.startup_runs,
        "bytecode": "cached in a private PYTHONPYCACHEPREFIX, filled by the warm-up runs",
        "wall_ms": {name: spread(values) for name, values in times.items()},
        "over_bare_interpreter_ms": {
            name: statistics.median(values) - baseline for name, values in times.items()
        },
        "modules_loaded": {
            name: _loaded_modules(code, env) for name, (code, env) in _MODULE_CHECKS.items()
        },
        "importtime": imports,
    }


_QUIET_IMPORTS = (
    "import connector.kit",
    "import connector.tencent_sms",
    "import connector.tencent_sms.plugin",
)


def _targets(results: Results) -> list[Judged]:
    loaded = results["modules_loaded"]
    clean = all(
        not loaded[name][module] for name in _QUIET_IMPORTS for module in ("requests", "jsonschema")
    )
    return [
        judge(
            "light_imports",
            "importing the connector loads neither requests nor jsonschema",
            "true",
            clean,
            "",
            lambda v: v == 1.0,
        )
    ]


def _rows(table: Table, startup: Results, judged: Mapping[str, Judged]) -> None:
    table.section(
        f"4. start-up (fresh processes, median of {startup['runs']}; no time target)",
        startup.get("other_processes_cpus"),
    )
    for name, w in startup["wall_ms"].items():
        table.row(name, ms(w["median"]), span(ms(w["min"]), ms(w["max"])))
    for name, loaded in startup["modules_loaded"].items():
        heavy = [m for m, present in loaded.items() if present]
        table.row(f"loaded by {name}", ", ".join(heavy) or "none of the heavy ones")
    table.row("", "", "", *target_cells(judged, "light_imports"))
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


SECTIONS = (
    Section(
        name="startup",
        order=40,
        needs_emulator=False,
        run=lambda plan, context: run_startup(plan),
        rows=_rows,
        targets=_targets,
    ),
)
