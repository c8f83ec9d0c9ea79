"""The config store: versions, history, restore, concurrency, crashes, and secrets at rest."""

from __future__ import annotations

import base64
import hashlib
import os
import random
import signal
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timezone
from pathlib import Path
from typing import Any

import pytest

from connector.kit import DeliveryReceipt
from connector.store import (
    KEY_ENV,
    MIGRATIONS,
    ConfigStore,
    StoreError,
    key_id,
    new_key,
    open_store,
    rotate_key,
)
from tests.cli_process import ROOT
from tests.shared_servers import free_port
from tests.store_writer import CONNECTOR, SECRET, document, note_of

TENCENT = "tencent-short-message-service"


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


@pytest.fixture
def no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keys from the key file only."""
    monkeypatch.delenv(KEY_ENV, raising=False)


@pytest.fixture
def env_key(monkeypatch: pytest.MonkeyPatch) -> bytes:
    """A key in LOGTO_CONNECTOR_KEY (inherited by the writer processes)."""
    key = new_key()
    monkeypatch.setenv(KEY_ENV, b64(key))
    return key


@pytest.fixture
def store(tmp_path: Path, no_env_key: None) -> Iterator[ConfigStore]:
    opened = open_store(tmp_path / "configs.db")
    yield opened
    opened.close()


def config(secret: str = SECRET, code: str = "1234567") -> dict[str, Any]:
    return {"accessKeyId": "AKIDexample", "accessKeySecret": secret, "templateCode": code}


def store_files(path: Path) -> list[Path]:
    """The database and its WAL companions, as they are on disk right now."""
    return [p for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists()]


def writer(path: Path, name: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store_writer", str(path), name, str(count)],
        cwd=ROOT,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        stdout=subprocess.PIPE,
        text=True,
    )


def assert_whole_versions(store: ConfigStore) -> list[tuple[str, int]]:
    """Versions numbered 1..N without a gap, each document the one its note names."""
    history = store.history()
    assert [v.version for v in history] == list(range(len(history), 0, -1))
    seen = []
    for v in history:
        who, seq = v.note.split(":")
        assert v.config == document(who, int(seq)), v.version
        assert v.connector_id == CONNECTOR
        seen.append((who, int(seq)))
    return seen


# -- versions ------------------------------------------------------------------------------


def test_every_save_is_a_new_version_per_name(store: ConfigStore) -> None:
    assert store.latest() is None and store.latest_version() is None
    first = store.save("default", TENCENT, config(code="1"), note="first")
    second = store.save("default", TENCENT, config(code="2"), note="second")
    other = store.save("staging", TENCENT, config(code="9"))
    assert (first.version, second.version, other.version) == (1, 2, 1)
    assert store.latest_version() == 2 and store.latest_version("staging") == 1
    latest = store.latest()
    assert latest is not None and latest.config["templateCode"] == "2"
    assert latest.note == "second" and latest.saved_at.tzinfo == timezone.utc
    old = store.get("default", 1)
    assert old is not None and old.config == config(code="1") and old.note == "first"
    assert store.get("default", 3) is None
    assert [v.note for v in store.history()] == ["second", "first"]
    assert store.history("nothing") == []
    assert store.names() == ["default", "staging"]


def test_restore_saves_a_copy_as_the_newest_version(store: ConfigStore) -> None:
    store.save("default", TENCENT, config(code="1"), note="good")
    store.save("default", TENCENT, config(code="2"), note="broken")
    restored = store.restore("default", 1)
    assert restored.version == 3 and restored.note == "restored version 1"
    assert restored.config == config(code="1")
    assert [v.version for v in store.history()] == [3, 2, 1]  # nothing was overwritten
    assert store.restore("default", 2, note="back again").note == "back again"
    with pytest.raises(StoreError, match="has no version 7"):
        store.restore("default", 7)


def test_a_saved_config_cannot_be_changed_through_what_was_returned(store: ConfigStore) -> None:
    saved = store.save("default", TENCENT, config())
    saved.config["accessKeySecret"] = "changed"
    latest = store.latest()
    assert latest is not None and latest.config == config()


def test_bad_names_and_documents_are_refused(store: ConfigStore) -> None:
    for name in ("", "../x", "a b", "x" * 65, "-lead"):
        with pytest.raises(StoreError, match="config name"):
            store.save(name, TENCENT, config())
    with pytest.raises(StoreError, match="JSON"):
        store.save("default", TENCENT, {"n": float("nan")})
    with pytest.raises(StoreError, match="connector id"):
        store.save("default", "", config())
    assert store.names() == []


def test_a_version_repr_shows_no_secret(store: ConfigStore) -> None:
    saved = store.save("default", TENCENT, config())
    assert SECRET not in repr(saved) and SECRET not in str(saved)
    assert "version=1" in repr(saved)


def test_the_schema_version_is_recorded(store: ConfigStore, tmp_path: Path) -> None:
    with sqlite3.connect(tmp_path / "configs.db") as db:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(len(MIGRATIONS),)]


# -- concurrency and crashes ---------------------------------------------------------------


def test_threads_saving_and_reading_at_once(store: ConfigStore) -> None:
    errors: list[BaseException] = []
    seen_by_reader: list[list[int]] = [[], []]

    def save_many(name: str) -> None:
        try:
            for seq in range(1, 26):
                store.save("default", CONNECTOR, document(name, seq), note_of(name, seq))
        except BaseException as exc:
            errors.append(exc)

    def read_many(seen_versions: list[int]) -> None:
        try:
            for _ in range(200):
                seen_versions.append(store.latest_version() or 0)
                store.latest()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=save_many, args=(f"t{i}",)) for i in range(6)]
    threads += [threading.Thread(target=read_many, args=(seen,)) for seen in seen_by_reader]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    seen = assert_whole_versions(store)
    assert sorted(seen) == sorted((f"t{i}", s) for i in range(6) for s in range(1, 26))
    for seen_versions in seen_by_reader:  # a reader never sees the store go back in time
        assert seen_versions == sorted(seen_versions)


def test_two_processes_saving_into_one_file(tmp_path: Path, env_key: bytes) -> None:
    path = tmp_path / "configs.db"
    open_store(path).close()  # both start on an existing store
    procs = [writer(path, name, 40) for name in ("p1", "p2")]
    for proc in procs:
        assert proc.wait(timeout=90) == 0
    with_reader = open_store(path)
    try:
        seen = assert_whole_versions(with_reader)
    finally:
        with_reader.close()
    assert sorted(seen) == sorted((n, s) for n in ("p1", "p2") for s in range(1, 41))


def test_a_writer_killed_mid_save_leaves_only_whole_versions(
    tmp_path: Path, env_key: bytes
) -> None:
    path = tmp_path / "configs.db"
    acknowledged: dict[str, int] = {}
    for round_ in range(3):
        name = f"k{round_}"
        proc = writer(path, name, 0)
        assert proc.stdout is not None
        for _ in range(15):  # wait until saves are flowing, then kill at a random moment
            assert proc.stdout.readline()
        time.sleep(random.uniform(0.0, 0.03))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        acknowledged[name] = max(int(line) for line in proc.stdout.read().split() or ["15"])
        proc.stdout.close()
    assert Path(f"{path}-wal").exists()  # the dead writers left a WAL to recover from
    reopened = open_store(path)
    try:
        seen = assert_whole_versions(reopened)
    finally:
        reopened.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    for name, last in acknowledged.items():
        # Every save the writer reported is there, in order, and nothing half-written.
        saved = sorted(s for who, s in seen if who == name)
        assert saved[:last] == list(range(1, last + 1))
        assert len(saved) in (last, last + 1)  # the one in flight is whole or absent


# -- secrets at rest and keys ---------------------------------------------------------------


def test_no_secret_in_the_database_files(tmp_path: Path, no_env_key: None) -> None:
    path = tmp_path / "configs.db"
    opened = open_store(path)
    try:
        for i in range(30):
            opened.save("default", TENCENT, config(), note=f"visible-note-{i}")
        opened.restore("default", 1)
        files = store_files(path)
        assert Path(f"{path}-wal") in files  # checked while the WAL still holds the saves
        data = b"".join(p.read_bytes() for p in files)
        # The grep sees what is written: the notes are stored in clear, the secret is not.
        assert b"visible-note-29" in data
        assert SECRET.encode() not in data
        assert SECRET.encode("utf-16-le") not in data
        assert base64.b64encode(SECRET.encode()) not in data
        assert b"AKIDexample" not in data  # whole documents are sealed, not only the secret
    finally:
        opened.close()
    assert SECRET.encode() not in b"".join(p.read_bytes() for p in store_files(path))


def test_the_key_file_is_created_private_beside_the_store(tmp_path: Path, no_env_key: None) -> None:
    path = tmp_path / "configs.db"
    first = open_store(path)
    first.save("default", TENCENT, config())
    first.close()
    key_path = tmp_path / "configs.db.key"
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    again = open_store(path)
    latest = again.latest()
    assert latest is not None and latest.config == config()
    again.close()
    elsewhere = tmp_path / "keys" / "store.key"
    elsewhere.parent.mkdir()
    other = open_store(tmp_path / "other.db", key_file=elsewhere)
    other.close()
    assert elsewhere.exists() and not (tmp_path / "other.db.key").exists()


def test_the_environment_key_is_used_and_no_key_file_is_written(
    tmp_path: Path, env_key: bytes
) -> None:
    opened = open_store(tmp_path / "configs.db")
    opened.save("default", TENCENT, config())
    assert opened.keys.current_id == key_id(env_key)
    opened.close()
    assert not (tmp_path / "configs.db.key").exists()


def test_a_wrong_key_is_a_clear_error(
    tmp_path: Path, env_key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "configs.db"
    opened = open_store(path)
    opened.save("default", TENCENT, config())
    opened.close()
    monkeypatch.setenv(KEY_ENV, b64(new_key()))
    with pytest.raises(StoreError) as caught:
        open_store(path)
    message = str(caught.value)
    assert key_id(env_key) in message and "LOGTO_CONNECTOR_KEY" in message
    assert b64(env_key) not in message
    for bad in ("not-base64!", b64(b"short")):
        monkeypatch.setenv(KEY_ENV, bad)
        with pytest.raises(StoreError, match="base64 of 32 random bytes"):
            open_store(path)


def test_a_missing_or_exposed_key_file_is_refused(tmp_path: Path, no_env_key: None) -> None:
    path = tmp_path / "configs.db"
    opened = open_store(path)
    opened.save("default", TENCENT, config())
    opened.close()
    key_path = tmp_path / "configs.db.key"
    key_path.chmod(0o644)
    with pytest.raises(StoreError, match="readable by other users; chmod 600"):
        open_store(path)
    key_path.rename(tmp_path / "elsewhere.key")
    with pytest.raises(StoreError, match=r"key file .* is missing"):
        open_store(path)
    assert not key_path.exists()  # a store with versions never gets a fresh, useless key


def test_altered_or_moved_ciphertext_does_not_open(store: ConfigStore, tmp_path: Path) -> None:
    store.save("default", TENCENT, config(code="1"))
    store.save("default", TENCENT, config(code="2"))
    with sqlite3.connect(tmp_path / "configs.db") as db:
        (sealed,) = db.execute("SELECT sealed FROM config_versions WHERE version = 1").fetchone()
        db.execute("UPDATE config_versions SET sealed = ? WHERE version = 2", (sealed,))
        flipped = bytes(sealed[:-1]) + bytes([sealed[-1] ^ 1])
        db.execute("UPDATE config_versions SET sealed = ? WHERE version = 1", (flipped,))
    for version in (1, 2):
        with pytest.raises(StoreError, match=f"version {version} is damaged or was altered"):
            store.get("default", version)


def test_rotating_a_key_file(tmp_path: Path, no_env_key: None) -> None:
    path = tmp_path / "configs.db"
    key_path = tmp_path / "configs.db.key"
    opened = open_store(path)
    for code in ("1", "2", "3"):
        opened.save("default", TENCENT, config(code=code))
    old_text = key_path.read_text()
    # A second process keeps the store open through the rotation.
    bystander = open_store(path)
    done = rotate_key(opened)
    assert done.versions == 3 and len(done.retired) == 1
    new_text = key_path.read_text()
    assert new_text != old_text and len(new_text.split()) == 1
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
    opened.save("default", TENCENT, config(code="4"))
    opened.close()
    # The bystander reads the new key from the file when it meets a version sealed with it.
    latest = bystander.latest()
    assert latest is not None and latest.config["templateCode"] == "4"
    bystander.close()
    old_key = base64.b64decode(old_text.strip())
    with pytest.raises(StoreError, match="does not hold"):
        open_store(path, key=old_key)
    reopened = open_store(path)
    assert [v.config["templateCode"] for v in reopened.history()] == ["4", "3", "2", "1"]
    reopened.close()


def test_a_save_after_another_process_rotated_seals_with_the_new_key(
    tmp_path: Path, no_env_key: None
) -> None:
    """A console that keeps running through `config rotate-key` must not seal with the key
    the rotation dropped: the version it saves would open nowhere after a restart."""
    path = tmp_path / "configs.db"
    console = open_store(path)
    console.save("default", TENCENT, config(code="1"))
    rotator = open_store(path)
    rotate_key(rotator)
    rotator.close()
    console.save("default", TENCENT, config(code="2"))
    console.close()
    reopened = open_store(path)  # a restart: only the key file's new key
    assert [v.config["templateCode"] for v in reopened.history()] == ["2", "1"]
    reopened.close()


def test_rotating_an_environment_key(
    tmp_path: Path, env_key: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "configs.db"
    opened = open_store(path)
    opened.save("default", TENCENT, config())
    with pytest.raises(StoreError, match="NEW,OLD"):
        rotate_key(opened)
    opened.close()
    fresh = new_key()
    monkeypatch.setenv(KEY_ENV, f"{b64(fresh)},{b64(env_key)}")
    both = open_store(path)
    done = rotate_key(both)
    both.close()
    assert done.key_id == key_id(fresh) and done.retired == [key_id(env_key)]
    monkeypatch.setenv(KEY_ENV, b64(fresh))  # the old key can now go
    only_new = open_store(path)
    latest = only_new.latest()
    assert latest is not None and latest.config == config()
    only_new.close()


# -- what is not a store ----------------------------------------------------------------------


def test_what_is_not_a_store_is_refused_clearly(tmp_path: Path, no_env_key: None) -> None:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("hello, this is not a database " * 100)
    with pytest.raises(StoreError, match="not a config store"):
        open_store(text_file)
    other_db = tmp_path / "other.db"
    with sqlite3.connect(other_db) as db:
        db.execute("CREATE TABLE t (x)")
    with pytest.raises(StoreError, match="SQLite database of something else"):
        open_store(other_db)
    with pytest.raises(StoreError, match="in an existing folder"):
        open_store(tmp_path / "missing" / "configs.db")
    with pytest.raises(StoreError, match="mysql:// stores are not supported"):
        open_store("mysql://localhost/configs")
    port = free_port()  # nothing listens there
    with pytest.raises(StoreError, match=f"store postgresql://127.0.0.1:{port}/configs: "):
        open_store(f"postgresql://127.0.0.1:{port}/configs")


def test_a_store_from_a_newer_release_is_refused(tmp_path: Path, no_env_key: None) -> None:
    path = tmp_path / "configs.db"
    open_store(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StoreError, match="newer logto-connector"):
        open_store(path)


def test_a_receipts_number_is_kept_as_a_keyed_digest(tmp_path: Path, no_env_key: None) -> None:
    """The stored digest of a receipt's number is not its plain SHA-256 (which anyone could
    brute-force from the database alone) and differs under another key; repeats still match."""
    phone = "+8613711112222"
    receipt = DeliveryReceipt(TENCENT, "s-1", phone, "delivered", "DELIVRD")
    digests: list[str] = []
    for name in ("a.db", "b.db"):
        opened = open_store(tmp_path / name)
        try:
            assert opened.add_receipts([receipt]) == [receipt]
            assert opened.add_receipts([receipt]) == []
        finally:
            opened.close()
        with sqlite3.connect(tmp_path / name) as raw:
            [(digest,)] = raw.execute("SELECT phone_key FROM receipts").fetchall()
        digests.append(str(digest))
    plain = {hashlib.sha256(p.encode()).hexdigest() for p in (phone, phone[1:], phone[3:])}
    assert not plain & set(digests)
    assert digests[0] != digests[1]  # each store's own key
    assert all(len(d) == 64 for d in digests)


def test_receipts_across_a_key_rotation(tmp_path: Path, no_env_key: None) -> None:
    """Receipts stay readable after a rotation and repeats are still ignored under the new
    key; a repeat of a report kept before the rotation is kept again (as README says)."""
    opened = open_store(tmp_path / "configs.db")
    try:
        opened.save("default", TENCENT, config())
        before = DeliveryReceipt(TENCENT, "s-1", "+8613711112222", "delivered", "DELIVRD")
        assert opened.add_receipts([before]) == [before]
        rotate_key(opened)
        assert [r.code for r in opened.receipts("s-1")] == ["DELIVRD"]
        after = DeliveryReceipt(TENCENT, "s-2", "+8613711113333", "failed", "UNDELIV")
        assert opened.add_receipts([after]) == [after]
        assert opened.add_receipts([after]) == []
        assert opened.add_receipts([before]) == [before]  # the digest changed with the key
        assert len(opened.receipts("s-1")) == 2
    finally:
        opened.close()
