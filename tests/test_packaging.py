"""A wheel built from the repository works in a fresh venv, from any directory."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed (dependencies borrowed from this venv: no network)."""
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(work / "dist"),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    [wheel] = (work / "dist").glob("*.whl")
    target = work / "venv"
    venv.create(target, with_pip=False)
    python = target / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # Appended after the venv's own site-packages, so the wheel's package wins.
    Path(site, "borrowed-deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
        timeout=300,
    )
    return target


def run(venv_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return subprocess.run(
        [str(venv_dir / "bin" / "logto-connector"), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_wheel_lists_the_connector_from_elsewhere(installed: Path, tmp_path: Path) -> None:
    proc = run(installed, "list", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "tencent-short-message-service" in proc.stdout


def test_wheel_serves_schema_and_metadata_from_package_data(
    installed: Path, tmp_path: Path
) -> None:
    proc = run(installed, "schema", "tencent-short-message-service", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert '"accessKeySecret"' in proc.stdout
    where = subprocess.run(
        [
            str(installed / "bin" / "python"),
            "-c",
            "import connector.kit._resources as r; print(r.data_root('schemas'))",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    ).stdout
    assert str(installed) in where and "_data" in where  # not the source checkout
    proc = run(installed, "show", "tencent-sms", cwd=tmp_path)
    assert proc.returncode == 0 and "setup guide: " in proc.stdout


def test_wheel_ships_py_typed(installed: Path) -> None:
    assert list(installed.glob("lib/python*/site-packages/connector/py.typed"))


def test_the_version_lives_in_one_place() -> None:
    from importlib import metadata

    import connector

    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and "version" in project["dynamic"]
    assert metadata.version("logto-connector-tencent-sms") == connector.__version__
