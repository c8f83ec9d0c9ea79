"""The benchmark harness itself (not its figures): sections are found, results land outside
tracked files."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.__main__ import DEFAULT_OUTPUT
from bench._sections import discover
from tests.cli_process import ROOT


def test_every_section_is_found_once_in_order() -> None:
    sections = discover()
    names = [s.name for s in sections]
    assert set(names) >= {"send", "steps", "validation", "signing", "startup", "threads"}
    assert len(names) == len(set(names))
    assert [s.order for s in sections] == sorted(s.order for s in sections)


def test_results_are_written_outside_tracked_files(tmp_path: Path) -> None:
    assert DEFAULT_OUTPUT.parent == ROOT / "bench" / "out"
    assert "bench/out/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    output = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--only", "signing", "--output", str(output)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["sections"] == ["signing"]
    assert document["signing"]["signatures_agree"] is True
    assert "3. TC3 signing" in proc.stdout
