"""The examples in examples/ run, and the configs there validate."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from connector.emulator import Emulator
from connector.kit import ConnectorHost
from connector.tencent_sms import CONNECTOR_ID

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


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


def test_host_app_serve_prints_its_url_and_serves_there(tmp_path: Path) -> None:
    with Emulator() as emulator:
        config = emulator.write_config(tmp_path / "config.json")
        proc = subprocess.Popen(
            [sys.executable, str(EXAMPLES / "host_app.py"), "--serve", "--config", str(config),
             "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            first = proc.stdout.readline()
            assert first.startswith("serving on http://127.0.0.1:"), first
            base = first.split()[2].rstrip(":")
            request = urllib.request.Request(
                base + "/codes",
                data=json.dumps({"phone": "8613800138000"}).encode(),
                headers={"Content-Type": "application/json"},
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=10) as reply:
                assert reply.status == 202
            assert emulator.outbox()[0]["phoneNumber"] == "+8613800138000"
            proc.terminate()
            _, err = proc.communicate(timeout=10)
        finally:
            proc.kill()
            proc.wait()
        assert "Traceback" not in err


def _json_blocks(text: str) -> list[str]:
    return re.findall(r"```json\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize(
    ("document", "heading"),
    [("README.md", "## The config"), ("metadata/tencent-sms/README.md", "## Example")],
)
def test_the_config_example_in_the_docs_validates_as_written(
    host: ConnectorHost, document: str, heading: str
) -> None:
    text = (ROOT / document).read_text("utf-8")
    config = json.loads(_json_blocks(text[text.index(heading) :])[0])
    report = host.check_config(CONNECTOR_ID, config)
    assert (report.errors, report.warnings) == ((), ())


def test_the_python_example_in_the_readme_runs(emulator: Emulator) -> None:
    """README's "Use it from your service" snippet, run as written against the emulator."""
    readme = (ROOT / "README.md").read_text("utf-8")
    section = readme.split("## Use it from your service", 1)[1]
    snippet = re.search(r"```python\n(.*?)```", section, re.S)
    assert snippet is not None
    printed: list[tuple[object, ...]] = []
    answered: list[tuple[int, dict[str, object]]] = []
    namespace: dict[str, object] = {
        "load_config_the_admin_saved": emulator.connector_config,
        "respond": lambda status, body: answered.append((status, body)),
        "print": lambda *values: printed.append(values),
    }
    exec(compile(snippet.group(1), "README.md", "exec"), namespace)  # noqa: S102
    assert answered == []
    [(request_id, route, serial_no)] = printed
    [message] = emulator.outbox()
    assert (request_id, route, serial_no) == (message["requestId"], "mainland", message["serialNo"])
