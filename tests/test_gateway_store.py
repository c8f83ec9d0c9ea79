"""``logto-connector serve --store``: a config saved with ``config set`` is served at once.

First the gateway's ``StoreConfigSource`` over a real SQLite store, then the gateway as a
process.
"""

from __future__ import annotations

import base64
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from connector.emulator import Emulator
from connector.kit import ConnectorHost
from connector.service import StoreConfigSource
from connector.store import KEY_ENV, ConfigStore, new_key, open_store
from tests.cli_process import run_cli
from tests.gateway_process import TOKEN, Gateway, get_json, post, wait_until

HEADERS = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
NO_ENV_KEY = {"LOGTO_CONNECTOR_KEY": ""}
TENCENT = "tencent-short-message-service"


# -- the source, in process ----------------------------------------------------------------


def source_for(host: ConnectorHost, path: Path, name: str = "default") -> StoreConfigSource:
    return StoreConfigSource(host, lambda: open_store(path), name)


def test_the_source_follows_each_usable_save_and_skips_one_with_errors(
    host: ConnectorHost,
    logto_config: dict[str, Any],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    path = tmp_path / "configs.db"
    source = source_for(host, path)
    store: ConfigStore = open_store(path)
    try:
        assert source.current() is None  # nothing saved yet: the gateway is not ready
        store.save("default", TENCENT, logto_config, "first")
        active = source.current()
        assert active is not None and active.version == "store:default:1"
        assert active.connector_id == TENCENT and active.config == logto_config
        assert source.current() is active  # unchanged: nothing read again
        # A version with errors (saved past the checks) never reaches a send.
        with caplog.at_level(logging.WARNING, logger="connector.service"):
            store.save("default", TENCENT, {**logto_config, "signName": ""}, "broken")
            assert source.current() is active
        assert "version 2 is not used" in caplog.text
        assert str(logto_config["accessKeySecret"]) not in caplog.text
        store.save("default", TENCENT, {**logto_config, "sendTimeout": 4}, "faster")
        newest = source.current()
        assert newest is not None and newest.version == "store:default:3"
        assert newest.deadline == 4
        store.save("other", TENCENT, {**logto_config, "signName": "Other"})
        assert source.current() is newest  # another name's saves are not this source's
    finally:
        store.close()
        source.close()


def test_the_source_reads_its_own_name(
    host: ConnectorHost,
    logto_config: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    path = tmp_path / "configs.db"
    store = open_store(path)
    store.save("staging", TENCENT, logto_config)
    store.close()
    staging, default = source_for(host, path, "staging"), source_for(host, path)
    current = staging.current()
    assert current is not None and current.version == "store:staging:1"
    assert default.current() is None
    staging.close()
    default.close()


# -- the gateway, as a process ---------------------------------------------------------------


def save(store: Path, config: dict[str, Any], tmp_path: Path, *more: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    proc = run_cli(
        "config", "set", "default", str(path), "--store", str(store), *more, env=NO_ENV_KEY
    )
    assert proc.returncode == 0, proc.stderr


def sign_in(gateway: Gateway, number: str) -> int:
    body = json.dumps({"to": number, "type": "SignIn", "payload": {"code": "402449"}}).encode()
    status, _, _ = post(gateway.url, body, HEADERS)
    return status


def ready(gateway: Gateway) -> bool:
    try:
        get_json(f"{gateway.base}/readyz")
    except OSError:  # 503 while no config is saved
        return False
    return True


def test_a_saved_config_reaches_every_worker_without_a_restart(
    emulator: Emulator, tmp_path: Path
) -> None:
    store = tmp_path / "configs.db"
    save(store, emulator.connector_config(), tmp_path)
    with Gateway("--store", str(store), "--workers", "2", env=NO_ENV_KEY) as gateway:
        assert sign_in(gateway, "+8613800138000") == 200
        [first] = emulator.outbox()
        assert first["templateId"] == "100001"
        # A new version: sign-in codes now go out with another template.
        changed = emulator.connector_config()
        changed["templates"] = [
            {**t, "templateCode": "100002"} if t["usageType"] == "SignIn" else t
            for t in changed["templates"]
        ]
        save(store, changed, tmp_path, "--note", "new sign-in template")
        statuses = [sign_in(gateway, f"+861380013{8100 + i}") for i in range(12)]
        assert statuses == [200] * 12
        later = emulator.outbox()[1:]
        assert [m["templateId"] for m in later] == ["100002"] * 12  # whichever worker answered
        assert gateway.proc.poll() is None  # the same process all along
    assert "Traceback" not in gateway.stderr


def test_an_empty_store_is_not_ready_until_a_save(emulator: Emulator, tmp_path: Path) -> None:
    store = tmp_path / "configs.db"
    with Gateway("--store", str(store), env=NO_ENV_KEY) as gateway:
        assert not ready(gateway)
        assert sign_in(gateway, "+8613800138000") == 503
        save(store, emulator.connector_config(), tmp_path)
        assert wait_until(lambda: ready(gateway), timeout=5)
        assert sign_in(gateway, "+8613800138000") == 200


def test_a_store_with_the_wrong_key_stops_serve_with_one_line(
    emulator: Emulator, tmp_path: Path
) -> None:
    store = tmp_path / "configs.db"
    save(store, emulator.connector_config(), tmp_path)
    wrong = base64.b64encode(new_key()).decode()
    env = {"LOGTO_CONNECTOR_KEY": wrong, "LOGTO_CONNECTOR_TOKEN": TOKEN}
    proc = run_cli("serve", "--port", "0", "--store", str(store), env=env)
    assert proc.returncode == 2, proc.stderr
    assert "does not hold" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and wrong not in proc.stderr
