"""The config store on a real PostgreSQL server: versions, migrations, secrets at rest, saves
reaching every reader through LISTEN/NOTIFY, and a server that restarts."""

from __future__ import annotations

import base64
import hashlib
import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from connector.kit import DeliveryReceipt
from connector.store import KEY_ENV, ConfigStore, StoreError, new_key, open_store, rotate_key
from tests.shared_servers import PostgresServer

CONNECTOR = "tencent-short-message-service"
SECRET = "pg-s3cr3t-that-must-never-reach-the-database"


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    with PostgresServer() as pg:
        yield pg


@pytest.fixture
def url(server: PostgresServer, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh database on the module's server, and a key in LOGTO_CONNECTOR_KEY."""
    monkeypatch.setenv(KEY_ENV, base64.b64encode(new_key()).decode())
    name = f"t{time.monotonic_ns()}"
    with psycopg.connect(server.url, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    return server.url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def store(url: str) -> Iterator[ConfigStore]:
    opened = open_store(url)
    yield opened
    opened.close()


def config(n: int) -> dict[str, object]:
    return {"accessKeyId": "AKID", "accessKeySecret": SECRET, "signName": f"Acme {n}"}


def wait_for(predicate: object, timeout: float = 5.0) -> float:
    """Seconds until ``predicate()`` is true; fails after ``timeout``."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():  # type: ignore[operator]
            return time.monotonic() - started
        time.sleep(0.002)
    raise AssertionError("not within the timeout")


def test_versions_history_and_restore(store: ConfigStore) -> None:
    assert store.latest() is None and store.latest_version() is None
    first = store.save("default", CONNECTOR, config(1), note="first")
    second = store.save("default", CONNECTOR, config(2))
    assert (first.version, second.version) == (1, 2)
    assert store.latest_version() == 2
    latest = store.latest()
    assert latest is not None and latest.config == config(2)
    assert latest.saved_at.utcoffset() is not None and latest.saved_at.utcoffset() == (
        second.saved_at.utcoffset()
    )
    restored = store.restore("default", 1)
    assert restored.version == 3 and restored.config == config(1)
    assert [v.version for v in store.history()] == [3, 2, 1]
    assert store.history()[0].note == "restored version 1"
    store.save("other", CONNECTOR, config(9))
    assert store.names() == ["default", "other"]
    with pytest.raises(StoreError, match="has no version 7"):
        store.restore("default", 7)


def test_secrets_are_sealed_at_rest_and_bound_to_their_row(store: ConfigStore, url: str) -> None:
    store.save("default", CONNECTOR, config(1))
    store.save("default", CONNECTOR, config(2))
    with psycopg.connect(url) as raw:
        rows = raw.execute("SELECT sealed FROM logto_connector.config_versions").fetchall()
        assert rows and all(SECRET.encode() not in bytes(row[0]) for row in rows)
        # Version 1's sealed document moved onto version 2 no longer opens.
        raw.execute(
            "UPDATE logto_connector.config_versions SET sealed = "
            "(SELECT sealed FROM logto_connector.config_versions WHERE version = 1) "
            "WHERE version = 2"
        )
    with pytest.raises(StoreError, match="damaged or was altered"):
        store.get("default", 2)


def test_migrations_are_versioned_and_a_newer_schema_is_refused(url: str) -> None:
    opened = [open_store(url) for _ in range(3)]  # three gateways starting together
    for each in opened:
        each.close()
    with psycopg.connect(url, autocommit=True) as raw:
        assert raw.execute("SELECT version FROM logto_connector.schema_version").fetchall() == [
            (2,)
        ]
        raw.execute("UPDATE logto_connector.schema_version SET version = 99")
    with pytest.raises(StoreError, match=r"newer logto-connector \(store schema 99"):
        open_store(url)


def test_receipts_are_kept_once_and_the_number_only_masked(store: ConfigStore, url: str) -> None:
    phone = "+8613711112222"
    first = DeliveryReceipt("tencent-short-message-service", "s-1", phone, "delivered", "DELIVRD")
    other = DeliveryReceipt(
        "tencent-short-message-service", "s-1", "+8613711113333", "failed", "UNDELIV"
    )
    assert store.add_receipts([first, other]) == [first, other]
    assert store.add_receipts([first]) == []  # Tencent retried: nothing doubled
    kept = store.receipts("s-1")
    assert sorted((r.status, r.code) for r in kept) == [
        ("delivered", "DELIVRD"),
        ("failed", "UNDELIV"),
    ]
    assert all(phone not in r.phone and "*" in r.phone for r in kept)
    assert store.receipts("unknown") == []
    with psycopg.connect(url, autocommit=True) as raw:
        dump = repr(raw.execute("SELECT * FROM logto_connector.receipts").fetchall())
    assert phone not in dump and phone[1:] not in dump
    # The number's digest is keyed: not the plain SHA-256 that anyone could brute-force.
    with psycopg.connect(url, autocommit=True) as raw:
        keys = {str(k) for (k,) in raw.execute("SELECT phone_key FROM logto_connector.receipts")}
    assert len(keys) == 2
    assert hashlib.sha256(phone.encode()).hexdigest() not in keys
    assert hashlib.sha256(phone[1:].encode()).hexdigest() not in keys


def test_the_key_is_required_and_checked(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    saved = open_store(url)
    saved.save("default", CONNECTOR, config(1))
    saved.close()
    monkeypatch.delenv(KEY_ENV)
    with pytest.raises(StoreError, match="needs its key: set LOGTO_CONNECTOR_KEY"):
        open_store(url)
    monkeypatch.setenv(KEY_ENV, base64.b64encode(new_key()).decode())
    with pytest.raises(StoreError, match="does not hold"):
        open_store(url)


def test_a_wrong_password_is_not_echoed(server: PostgresServer) -> None:
    bad = f"postgresql://nobody:hunter2-secret@127.0.0.1:{server.port}/nowhere"
    with pytest.raises(StoreError) as caught:
        open_store(bad)
    assert "hunter2" not in str(caught.value)
    assert str(caught.value).startswith("store postgresql://nobody@127.0.0.1:")


def test_a_save_reaches_another_reader_through_notify(url: str) -> None:
    writer, reader = open_store(url), open_store(url)
    try:
        assert reader.latest_version() is None  # starts listening
        writer.save("default", CONNECTOR, config(1))
        took = wait_for(lambda: reader.latest_version() == 1, 2.0)
        assert took < 1.0
        latest = reader.latest()
        assert latest is not None and latest.config == config(1)
    finally:
        writer.close()
        reader.close()


def test_concurrent_saves_take_distinct_versions(url: str) -> None:
    stores = [open_store(url) for _ in range(4)]
    done: list[int] = []

    def save_many(each: ConfigStore) -> None:
        for n in range(10):
            done.append(each.save("default", CONNECTOR, config(n)).version)

    threads = [threading.Thread(target=save_many, args=(s,)) for s in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(done) == list(range(1, 41))
    for each in stores:
        each.close()


def test_a_restarted_server_is_followed_again(url: str, server: PostgresServer) -> None:
    reader = open_store(url)
    try:
        writer = open_store(url)
        writer.save("default", CONNECTOR, config(1))
        wait_for(lambda: reader.latest_version() == 1)
        writer.close()
        server.stop("immediate")  # as a crash would
        assert reader.latest_version() == 1  # the last version read is still served
        with pytest.raises(StoreError):
            reader.latest()
        server.start()
        writer = open_store(url)
        writer.save("default", CONNECTOR, config(2))
        writer.close()
        wait_for(lambda: reader.latest_version() == 2, 15.0)
        latest = reader.latest()  # the reader's own connection is made again
        assert latest is not None and latest.config == config(2)
    finally:
        reader.close()


def test_rotate_key_with_two_keys_in_the_environment(
    store: ConfigStore, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    store.save("default", CONNECTOR, config(1))
    old = os.environ[KEY_ENV]
    fresh = base64.b64encode(new_key()).decode()
    monkeypatch.setenv(KEY_ENV, f"{fresh},{old}")
    rotated = open_store(url)
    assert rotate_key(rotated).versions == 1
    rotated.close()
    monkeypatch.setenv(KEY_ENV, fresh)
    again = open_store(url)
    latest = again.latest()
    assert latest is not None and latest.config == config(1)
    again.close()
