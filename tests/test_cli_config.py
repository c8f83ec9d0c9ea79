"""``logto-connector config``: the store from the command line, run as a real process."""

from __future__ import annotations

import base64
import copy
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from connector.kit import MASK
from connector.store import new_key
from tests.cli_process import run_cli
from tests.conftest import LOGTO_CONFIG

SECRET = "cli-secret-9f8e7d6c5b4a"
NO_ENV_KEY = {"LOGTO_CONNECTOR_KEY": ""}  # the key file, whatever the caller's environment


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = run_cli(*args, env=env or NO_ENV_KEY)
    # Whatever the command and however it ends: no secret, no traceback.
    assert SECRET not in proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    return proc


def ok_json(proc: subprocess.CompletedProcess[str]) -> Any:
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    document = json.loads(proc.stdout)
    assert document["ok"] is True
    return document


def failure(proc: subprocess.CompletedProcess[str], status: int) -> Any:
    assert proc.returncode == status, (proc.stdout, proc.stderr)
    document = json.loads(proc.stdout)
    assert document["ok"] is False
    return document


def write_config(path: Path, code: str = "1234570", **changes: Any) -> Path:
    config = copy.deepcopy(LOGTO_CONFIG)
    config["accessKeySecret"] = SECRET
    config["templates"][3]["templateCode"] = code
    config.update(changes)
    path.write_text(json.dumps(config))
    return path


def generic_code(document: dict[str, Any]) -> str:
    return str(document["config"]["templates"][3]["templateCode"])


@pytest.fixture
def store(tmp_path: Path) -> str:
    return str(tmp_path / "configs.db")


def test_set_get_history_restore_round_trip(tmp_path: Path, store: str) -> None:
    first = write_config(tmp_path / "one.json", code="1111111")
    second = write_config(tmp_path / "two.json", code="2222222")
    created = run("config", "set", "default", str(first), "--store", store, "--json")
    saved = ok_json(created)
    assert saved["version"] == 1 and saved["connectorId"] == "tencent-short-message-service"
    # A new store is said, with where its key is: a backup of the database alone is useless.
    assert f"created store {store}, its key in {store}.key: back it up apart" in created.stderr
    proc = run("config", "set", "default", str(second), "--store", store, "--note", "new code")
    assert proc.returncode == 0 and "version 2" in proc.stdout
    assert "created store" not in proc.stderr

    got = ok_json(run("config", "get", "default", "--store", store, "--json"))
    assert got["version"] == 2 and got["note"] == "new code" and generic_code(got) == "2222222"
    assert got["config"]["accessKeySecret"] == MASK
    assert got["config"]["accessKeyId"] == LOGTO_CONFIG["accessKeyId"]  # only secrets masked
    old = ok_json(run("config", "get", "default", "--version", "1", "--store", store, "--json"))
    assert generic_code(old) == "1111111"

    restored = ok_json(run("config", "restore", "default", "1", "--store", store, "--json"))
    assert restored["version"] == 3 and restored["restored"] == 1
    history = ok_json(run("config", "history", "default", "--store", store, "--json"))
    assert [(v["version"], v["note"]) for v in history["versions"]] == [
        (3, "restored version 1"),
        (2, "new code"),
        (1, ""),
    ]
    assert generic_code(ok_json(run("config", "get", "default", "--store", store, "--json"))) == (
        "1111111"
    )
    text = run("config", "history", "default", "--store", store)
    assert text.returncode == 0 and text.stdout.splitlines()[0].startswith("default v3  ")
    listed = ok_json(run("config", "list", "--store", store, "--json"))
    assert listed["configs"] == [{"name": "default", "version": 3}]


def test_plain_get_prints_a_header_and_the_masked_config(tmp_path: Path, store: str) -> None:
    run("config", "set", "prod", str(write_config(tmp_path / "c.json")), "--store", store)
    proc = run("config", "get", "prod", "--store", store)
    assert proc.returncode == 0
    header, _, body = proc.stdout.partition("\n")
    assert header.startswith("# prod v1 ") and "tencent-short-message-service" in header
    assert json.loads(body)["accessKeySecret"] == MASK


def test_an_invalid_config_is_refused_and_not_saved(tmp_path: Path, store: str) -> None:
    bad = write_config(tmp_path / "bad.json", signName=" Acme", templates=[])
    proc = run("config", "set", "default", str(bad), "--store", store)
    assert proc.returncode == 1
    assert "signName: has leading or trailing whitespace" in proc.stdout
    assert "templates" in proc.stdout
    problems = proc.stdout.strip().splitlines()
    assert f"invalid_config: config has {len(problems)} problems" in proc.stderr
    as_json = failure(run("config", "set", "default", str(bad), "--store", store, "--json"), 1)
    assert as_json["code"] == "invalid_config"
    assert not os.path.exists(store) and not os.path.exists(store + ".key")
    good = str(write_config(tmp_path / "good.json"))
    assert run("config", "set", "default", good, "--store", store).returncode == 0
    assert run("config", "set", "default", str(bad), "--store", store).returncode == 1
    history = ok_json(run("config", "history", "default", "--store", store, "--json"))
    assert [v["version"] for v in history["versions"]] == [1]


def test_usage_errors_exit_2_with_one_clear_line(tmp_path: Path, store: str) -> None:
    config = str(write_config(tmp_path / "c.json"))
    missing = run("config", "get", "default", "--store", str(tmp_path / "nothing.db"))
    assert missing.returncode == 2 and "no store at" in missing.stderr
    assert not (tmp_path / "nothing.db").exists()
    run("config", "set", "default", config, "--store", store)
    cases = {
        ("config", "get", "nope", "--store", store): "no config named 'nope'",
        ("config", "get", "default", "--version", "9", "--store", store): "has no version 9",
        ("config", "restore", "default", "9", "--store", store): "has no version 9",
        ("config", "restore", "default", "0", "--store", store): "not a version number",
        ("config", "history", "nope", "--store", store): "no config named 'nope'",
        ("config", "set", "default", str(tmp_path / "absent.json"), "--store", store): (
            "cannot read config"
        ),
        ("config", "set", "bad name", config, "--store", store): "config name",
        ("config", "set", "x", config, "--store", store, "--connector", "nope"): "nope",
        ("config", "get", "default"): "--store",
    }
    for args, expected in cases.items():
        proc = run(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        # One line says what is wrong (a parser error shows the usage above it).
        last = proc.stderr.strip().splitlines()[-1]
        assert last.startswith("logto-connector: ") and expected in last, (args, proc.stderr)
    as_json = failure(run("config", "get", "nope", "--store", store, "--json"), 2)
    assert "no config named" in as_json["message"]


def test_a_wrong_key_is_a_usage_error_naming_the_key(tmp_path: Path, store: str) -> None:
    key = {"LOGTO_CONNECTOR_KEY": base64.b64encode(new_key()).decode()}
    config = str(write_config(tmp_path / "c.json"))
    assert run("config", "set", "default", config, "--store", store, env=key).returncode == 0
    assert not os.path.exists(store + ".key")
    wrong = {"LOGTO_CONNECTOR_KEY": base64.b64encode(new_key()).decode()}
    proc = run("config", "get", "default", "--store", store, env=wrong)
    assert proc.returncode == 2
    assert "does not hold" in proc.stderr and "LOGTO_CONNECTOR_KEY" in proc.stderr
    assert wrong["LOGTO_CONNECTOR_KEY"] not in proc.stderr + proc.stdout
    assert run("config", "get", "default", "--store", store, env=key).returncode == 0


def test_rotate_key_keeps_every_version_readable(tmp_path: Path, store: str) -> None:
    for code in ("1111111", "2222222"):
        config = str(write_config(tmp_path / "c.json", code))
        assert run("config", "set", "default", config, "--store", store).returncode == 0
    key_file = Path(store + ".key")
    before = key_file.read_text()
    done = ok_json(run("config", "rotate-key", "--store", store, "--json"))
    assert done["versions"] == 2 and len(done["retired"]) == 1
    assert key_file.read_text() != before
    assert before.strip() not in json.dumps(done)
    old = ok_json(run("config", "get", "default", "--version", "1", "--store", store, "--json"))
    assert generic_code(old) == "1111111"


def test_a_key_file_elsewhere(tmp_path: Path, store: str) -> None:
    key_file = tmp_path / "secret" / "configs.key"
    key_file.parent.mkdir()
    config = str(write_config(tmp_path / "c.json"))
    args = ("--store", store, "--key-file", str(key_file))
    assert run("config", "set", "default", config, *args).returncode == 0
    assert key_file.exists() and not os.path.exists(store + ".key")
    assert run("config", "get", "default", *args).returncode == 0


def test_a_config_with_warnings_is_saved_and_the_warnings_shown(tmp_path: Path, store: str) -> None:
    path = write_config(tmp_path / "c.json")
    config = json.loads(path.read_text())
    config["templates"][0]["templateId"] = "100001"  # unknown: ignored, but said
    path.write_text(json.dumps(config))
    proc = run("config", "set", "default", str(path), "--store", store)
    assert proc.returncode == 0 and "version 1" in proc.stdout
    assert "warning: templates[0].templateId" in proc.stderr
    saved = ok_json(run("config", "set", "default", str(path), "--store", store, "--json"))
    assert saved["version"] == 2
    assert [w["path"] for w in saved["warnings"]] == ["templates[0].templateId"]
