"""Section 4: start-up — wall time of fresh processes, what they import, and what it costs."""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ._plan import Plan
from ._rounds import spread

HEAVY = ("requests", "urllib3", "jsonschema", "phonenumbers", "tencentcloud")
IMPORTTIME_CODE = "from connector.kit import ConnectorHost; ConnectorHost().ids()"

# What each check runs in a fresh interpreter before reading sys.modules.
_MODULE_CHECKS = {
    "import connector.kit": "import connector.kit",
    "import connector.tencent_sms": "import connector.tencent_sms",
    "import connector.tencent_sms.plugin": "import connector.tencent_sms.plugin",
    "import connector.cli": "import connector.cli",
    "ConnectorHost()": "from connector.kit import ConnectorHost; ConnectorHost().ids()",
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


def _wall(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def _loaded_modules(code: str) -> dict[str, bool]:
    probe = (
        f"{code}\nimport json, sys\n"
        f"print(json.dumps({{m: m in sys.modules for m in {list(HEAVY)!r}}}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    loaded: dict[str, bool] = json.loads(out.strip().splitlines()[-1])
    return loaded


def importtime(code: str, top: int = 10) -> dict[str, Any]:
    """The imports of ``code`` by ``-X importtime``: the ``top`` largest, by cumulative and self."""
    err = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True
    ).stderr
    rows = []
    for line in err.splitlines():
        if not line.startswith("import time:") or "|" not in line:
            continue
        fields = line[len("import time:") :].split("|")
        if not fields[0].strip().isdigit():
            continue  # the header line
        name = fields[2].rstrip()
        depth = (len(name) - len(name.lstrip())) // 2
        rows.append({
            "module": name.strip(),
            "depth": depth,
            "self_ms": int(fields[0]) / 1000,
            "cumulative_ms": int(fields[1]) / 1000,
        })
    total = sum(r["self_ms"] for r in rows)
    return {
        "code": code,
        "total_ms": total,
        "modules": len(rows),
        "top_cumulative": sorted(rows, key=lambda r: -r["cumulative_ms"])[:top],
        "top_self": sorted(rows, key=lambda r: -r["self_ms"])[:top],
    }


def run_startup(plan: Plan) -> dict[str, Any]:
    """Fresh processes, interleaved in rounds after two warm-up runs each; medians in ms."""
    python = sys.executable
    commands = {
        "python -c pass": [python, "-c", "pass"],
        "import connector.kit": [python, "-c", "import connector.kit"],
        "import connector.tencent_sms.plugin": [python, "-c", "import connector.tencent_sms.plugin"],
        "logto-connector list": [console_script(), "list"],
    }
    for command in commands.values():
        for _ in range(2):
            _wall(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(plan.startup_runs):
        for name, command in commands.items():
            times[name].append(_wall(command) * 1e3)
    baseline = statistics.median(times["python -c pass"])
    return {
        "runs": plan.startup_runs,
        "wall_ms": {name: spread(values) for name, values in times.items()},
        "over_bare_interpreter_ms": {
            name: statistics.median(values) - baseline for name, values in times.items()
        },
        "modules_loaded": {name: _loaded_modules(code) for name, code in _MODULE_CHECKS.items()},
        "importtime": importtime(IMPORTTIME_CODE),
    }
