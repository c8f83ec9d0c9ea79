"""The borders between rooms: connectors use the kit's public names, the library writes
nothing into the user's home."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_process import ROOT, run_cli

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


def test_every_private_kit_module_is_banned_outside_the_kit() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    lint = pyproject["tool"]["ruff"]["lint"]
    banned = set(lint["flake8-tidy-imports"]["banned-api"])
    private = {
        f"connector.kit.{path.stem}"
        for path in (ROOT / "connector" / "kit").glob("_*.py")
        if path.name != "__init__.py"
    }
    assert private, "the kit has private modules"
    assert private <= banned, sorted(private - banned)
    assert "TID251" in lint["select"]


def test_listing_connectors_writes_nothing_into_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LOGTO_CONNECTOR_CACHE_DIR", raising=False)
    home = tmp_path / "home"
    home.mkdir()
    proc = run_cli("list", env={"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")})
    assert proc.returncode == 0, proc.stderr
    assert "tencent-short-message-service" in proc.stdout
    assert [p.relative_to(home) for p in home.rglob("*")] == []


def _modules_after(statement: str) -> set[str]:
    code = f"import sys\n{statement}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return set(out.split())


def test_signing_needs_only_the_standard_library() -> None:
    before = _modules_after("pass")
    loaded = _modules_after("import connector.signing") - before
    outside = {
        name
        for name in loaded
        if name.split(".")[0] not in sys.stdlib_module_names and name.split(".")[0] != "connector"
    }
    assert outside == set()
    assert {name for name in loaded if name.startswith("connector")} == {
        "connector",
        "connector.signing",
    }


def test_the_emulator_shares_only_the_signing_module() -> None:
    loaded = _modules_after("import connector.emulator")
    assert "connector.signing" in loaded
    assert not {n for n in loaded if n.startswith(("connector.kit", "connector.tencent_sms"))}
    assert "pluggy" not in loaded


def test_mypy_strict_covers_tests_and_bench() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    mypy = pyproject["tool"]["mypy"]
    assert mypy["strict"] is True
    assert {"connector", "tests", "bench"} <= set(mypy["files"])
