"""The SQLite config store: one file, WAL, one transaction per save, documents sealed."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ._keys import KeyRing, context_of, new_key, read_key_file, ring_from_env, write_key_file
from ._sealed import (
    RECEIPT_COLUMNS,
    SealedStore,
    document_to_save,
    missing_keys,
    open_row,
    reseal_row,
    stored_receipt,
)
from ._types import DEFAULT_NAME, ConfigVersion, StoredReceipt, StoreError, check_name

# Each entry moves the schema one version up; a store records how far it has come in
# ``schema_version``.  Append only: a released entry never changes.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        # 1: every saved version of every named config; the document is AES-GCM sealed
        # under the key named by key_id and bound to (name, version, connector_id).
        """CREATE TABLE config_versions (
            name TEXT NOT NULL,
            version INTEGER NOT NULL,
            connector_id TEXT NOT NULL,
            saved_at TEXT NOT NULL,
            note TEXT NOT NULL,
            key_id TEXT NOT NULL,
            sealed BLOB NOT NULL,
            PRIMARY KEY (name, version)
        ) WITHOUT ROWID""",
    ),
    (
        # 2: delivery receipts by the provider's serial no.  The number is kept only masked
        # and as a SHA-256 (what makes a repeated report the same row).
        """CREATE TABLE receipts (
            serial_no TEXT NOT NULL,
            phone_key TEXT NOT NULL,
            connector_id TEXT NOT NULL,
            phone_masked TEXT NOT NULL,
            status TEXT NOT NULL,
            code TEXT NOT NULL,
            description TEXT NOT NULL,
            received_at REAL,
            stored_at TEXT NOT NULL,
            PRIMARY KEY (serial_no, phone_key)
        ) WITHOUT ROWID""",
    ),
)

_BUSY_TIMEOUT_MS = 30_000
_COLUMNS = "name, version, connector_id, saved_at, note, key_id, sealed"


class SqliteStore(SealedStore):
    """A :class:`ConfigStore` in one SQLite file.  One connection behind a lock serves every
    thread of a process; several processes share the file through SQLite's own locking."""

    _INSERT_RECEIPT = (
        f"INSERT OR IGNORE INTO receipts ({RECEIPT_COLUMNS}) "  # noqa: S608
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )

    def __init__(self, path: Path, keys: KeyRing | None, key_path: Path | None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._db = _connect(path)
        try:
            self._migrate()
            self._keys = keys if keys is not None else _ring_for(self, key_path)
            self._check_keys()
        except BaseException:
            self._db.close()
            raise

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    # -- reading ---------------------------------------------------------------------------

    def latest_version(self, name: str = DEFAULT_NAME) -> int | None:
        """The newest version number of ``name`` (one read of the primary key)."""
        with self._read() as db:
            row = db.execute(
                "SELECT MAX(version) FROM config_versions WHERE name = ?", (check_name(name),)
            ).fetchone()
        return None if row is None or row[0] is None else int(row[0])

    def latest(self, name: str = DEFAULT_NAME) -> ConfigVersion | None:
        """The newest version of ``name``, or None."""
        with self._read() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM config_versions WHERE name = ? "  # noqa: S608
                "ORDER BY version DESC LIMIT 1",
                (check_name(name),),
            ).fetchone()
        return None if row is None else self._version(row)

    def get(self, name: str, version: int) -> ConfigVersion | None:
        """Version ``version`` of ``name``, or None."""
        with self._read() as db:
            row = db.execute(
                f"SELECT {_COLUMNS} FROM config_versions WHERE name = ? AND version = ?",  # noqa: S608
                (check_name(name), int(version)),
            ).fetchone()
        return None if row is None else self._version(row)

    def history(self, name: str = DEFAULT_NAME) -> list[ConfigVersion]:
        """Every version of ``name``, newest first."""
        with self._read() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM config_versions WHERE name = ? "  # noqa: S608
                "ORDER BY version DESC",
                (check_name(name),),
            ).fetchall()
        return [self._version(row) for row in rows]

    def names(self) -> list[str]:
        """Every saved name, sorted."""
        with self._read() as db:
            rows = db.execute("SELECT DISTINCT name FROM config_versions ORDER BY name").fetchall()
        return [str(row[0]) for row in rows]

    def receipts(self, serial_no: str) -> list[StoredReceipt]:
        """The receipts kept for one serial no (one per number it went to), oldest first."""
        with self._read() as db:
            rows = db.execute(
                f"SELECT {RECEIPT_COLUMNS} FROM receipts WHERE serial_no = ? "  # noqa: S608
                "ORDER BY stored_at, phone_key",
                (serial_no,),
            ).fetchall()
        return [stored_receipt(row) for row in rows]

    # -- writing ---------------------------------------------------------------------------

    def save(
        self, name: str, connector_id: str, config: Mapping[str, Any], note: str = ""
    ) -> ConfigVersion:
        """Save the next version of ``name`` in one transaction."""
        name, document = document_to_save(name, connector_id, config)
        note = str(note)
        keys = self._sealing_keys()
        with self._write() as db:
            row = db.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM config_versions WHERE name = ?",
                (name,),
            ).fetchone()
            version = int(row[0])
            saved_at = datetime.now(timezone.utc)
            kid, sealed = keys.seal(document, context_of(name, version, connector_id))
            db.execute(
                f"INSERT INTO config_versions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                (name, version, connector_id, saved_at.isoformat(), note, kid, sealed),
            )
        return ConfigVersion(name, version, connector_id, json.loads(document), saved_at, note)

    def rekey(self) -> int:
        """Seal every version again under the first key of the ring, in one transaction."""
        with self._write() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM config_versions").fetchall()  # noqa: S608
            for row in rows:
                kid, sealed = reseal_row(self._keys, row)
                db.execute(
                    "UPDATE config_versions SET key_id = ?, sealed = ? "
                    "WHERE name = ? AND version = ?",
                    (kid, sealed, row[0], row[1]),
                )
        return len(rows)

    def close(self) -> None:
        """Close the database."""
        with self._lock:
            self._db.close()

    def _stored_at(self) -> object:
        return datetime.now(timezone.utc).isoformat()

    # -- inside ----------------------------------------------------------------------------

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._db
            except sqlite3.Error as exc:
                raise _store_error(self.path, exc) from None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        # IMMEDIATE takes the write lock first: two processes never both read the same
        # "next version" and then collide.
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _store_error(self.path, exc) from None
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as exc:
                with suppress(sqlite3.Error):  # keep the first error, not the rollback's
                    self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise _store_error(self.path, exc) from None
                raise

    def _version(self, row: tuple[Any, ...]) -> ConfigVersion:
        found, self._keys = open_row(self._keys, row, datetime.fromisoformat(str(row[3])))
        return found

    def _migrate(self) -> None:
        with self._write() as db:
            tables = {
                str(r[0]) for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if "schema_version" not in tables:
                if tables:
                    raise StoreError(f"{str(self.path)!r} is an SQLite database of something else")
                db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
                db.execute("INSERT INTO schema_version VALUES (0)")
            row = db.execute("SELECT version FROM schema_version").fetchone()
            at = int(row[0]) if row else 0
            if at > len(MIGRATIONS):
                raise StoreError(
                    f"{str(self.path)!r} was written by a newer logto-connector "
                    f"(store schema {at}; this one knows up to {len(MIGRATIONS)})"
                )
            for statements in MIGRATIONS[at:]:
                for statement in statements:
                    db.execute(statement)
            db.execute("UPDATE schema_version SET version = ?", (len(MIGRATIONS),))

    def _key_ids(self) -> set[str]:
        with self._read() as db:
            return {str(r[0]) for r in db.execute("SELECT DISTINCT key_id FROM config_versions")}

    def _check_keys(self) -> None:
        missing_keys(self._keys, self._key_ids(), repr(str(self.path)))


def _connect(path: Path) -> sqlite3.Connection:
    try:
        db = sqlite3.connect(
            path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
        )
    except sqlite3.Error as exc:
        raise _store_error(path, exc) from None
    try:
        db.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        mode = db.execute("PRAGMA journal_mode = WAL").fetchone()
        if mode is None or str(mode[0]).lower() != "wal":
            raise StoreError(f"{str(path)!r}: SQLite refused write-ahead logging here")
        # In WAL mode NORMAL loses no committed save when a process dies (only on power loss
        # can the newest commits be rolled back, and then whole).
        db.execute("PRAGMA synchronous = NORMAL")
    except sqlite3.Error as exc:
        db.close()
        raise _store_error(path, exc) from None
    except BaseException:
        db.close()
        raise
    return db


def _store_error(path: Path, exc: sqlite3.Error) -> StoreError:
    text = str(exc)
    if "not a database" in text:
        return StoreError(f"{str(path)!r} is not a config store (not an SQLite database)")
    if "unable to open" in text:
        return StoreError(f"cannot open store {str(path)!r} (is it a file in an existing folder?)")
    if "readonly" in text:
        return StoreError(f"store {str(path)!r} is read-only here")
    if "locked" in text or "busy" in text:
        return StoreError(f"store {str(path)!r} stayed locked by another process")
    return StoreError(f"store {str(path)!r}: {text}")


def _ring_for(store: SqliteStore, key_path: Path | None) -> KeyRing:
    ring = ring_from_env()
    if ring is not None:
        return ring
    path = key_path if key_path is not None else default_key_path(store.path)
    if not path.exists():
        if store._key_ids():
            raise StoreError(
                f"{str(store.path)!r} holds sealed configs but its key file {str(path)!r} is "
                "missing; restore the key file or set LOGTO_CONNECTOR_KEY"
            )
        write_key_file(path, [new_key()], replace=False)
    return read_key_file(path)


def default_key_path(db_path: Path) -> Path:
    """Where a store's key file lives unless told otherwise: beside it, ``NAME.key``."""
    return db_path.with_name(db_path.name + ".key")
