"""``StoreSource``: the gateway's view of the config store, asked on every request."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from connector.kit import ConnectorHost
from connector.service import StoreSource
from connector.store import KEY_ENV, open_store

TENCENT = "tencent-short-message-service"


@pytest.fixture(autouse=True)
def key_file_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)


def test_follows_each_valid_save_and_skips_an_invalid_one(
    host: ConnectorHost,
    logto_config: dict[str, Any],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = tmp_path / "configs.db"
    source = StoreSource(host, path)
    store = open_store(path)
    try:
        assert source.current() is None  # nothing saved yet: the gateway is not ready
        store.save("default", TENCENT, logto_config, "first")
        active = source.current()
        assert active is not None and active.version == "store:default:1"
        assert active.connector_id == TENCENT and active.config == logto_config
        assert source.current() is active  # unchanged: nothing read again
        # A version the connector refuses (saved past the checks) never reaches a send.
        with caplog.at_level(logging.WARNING, logger="connector.service"):
            store.save("default", TENCENT, {**logto_config, "signName": ""}, "broken")
            assert source.current() is active
        assert "version 2 is not used" in caplog.text
        assert logto_config["accessKeySecret"] not in caplog.text
        store.save("default", TENCENT, {**logto_config, "sendTimeout": 4}, "faster")
        newest = source.current()
        assert newest is not None and newest.version == "store:default:3"
        assert newest.deadline == 4
        store.save("other", TENCENT, {**logto_config, "signName": "Other"})
        assert source.current() is newest  # another name's saves are not this source's
    finally:
        store.close()
        source.close()


def test_another_name(host: ConnectorHost, logto_config: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "configs.db"
    store = open_store(path)
    store.save("staging", TENCENT, logto_config)
    store.close()
    staging, default = StoreSource(host, path, "staging"), StoreSource(host, path)
    assert default.check() is None and staging.check() == 1
    current = staging.current()
    assert current is not None and current.version == "store:staging:1"
    assert default.current() is None
    staging.close()
    default.close()
