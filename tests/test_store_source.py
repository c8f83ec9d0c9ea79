"""The gateway's store-backed config source: a save is served at once, a bad one is not."""

from __future__ import annotations

from typing import Any

from connector.kit import ConnectorHost
from connector.service import StoreConfigSource
from tests.admin_support import MemoryStore

TENCENT = "tencent-short-message-service"


def test_each_save_is_served_at_once(host: ConnectorHost, logto_config: dict[str, Any]) -> None:
    store = MemoryStore()
    opened: list[MemoryStore] = []

    def open_store() -> MemoryStore:
        opened.append(store)
        return store

    source = StoreConfigSource(host, open_store)
    assert source.current() is None  # nothing saved: the gateway is not ready
    store.save("default", TENCENT, logto_config, "first")
    active = source.current()
    assert active is not None
    assert (active.connector_id, active.version) == (TENCENT, "store:default:1")
    assert active.config["signName"] == "Acme"
    store.save("default", TENCENT, {**logto_config, "signName": "Other"}, "second")
    active = source.current()
    assert active is not None and active.version == "store:default:2"
    assert active.config["signName"] == "Other"
    assert source.current() is active  # unchanged version: nothing read again
    assert len(opened) == 1  # one connection per process


def test_a_version_with_errors_or_an_unknown_connector_is_not_served(
    host: ConnectorHost, logto_config: dict[str, Any]
) -> None:
    store = MemoryStore()
    source = StoreConfigSource(host, lambda: store, name="other")
    store.save("other", TENCENT, {**logto_config, "region": "Nowhere"})
    assert source.current() is None
    store.save("other", "no-such-connector", logto_config)
    assert source.current() is None
    store.save("other", TENCENT, logto_config)
    active = source.current()
    assert active is not None and active.version == "store:other:3"
