"""The examples in examples/ run, and the configs there validate."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from connector.kit import ConnectorHost
from connector.tencent_sms import CONNECTOR_ID

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("name", ["logto-config.json", "international-config.json"])
def test_example_configs_validate(host: ConnectorHost, name: str) -> None:
    config = json.loads((EXAMPLES / name).read_text("utf-8"))
    assert host.config_problems(CONNECTOR_ID, config) == []


def test_host_app_walkthrough_signs_a_user_in() -> None:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "host_app.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "POST /codes → 202" in proc.stdout
    assert "'verified': True" in proc.stdout
    assert "→ 400 invalid_request_parameters" in proc.stdout
