"""The PostgreSQL config store (psycopg 3): one database shared by every gateway and machine.

A save is one transaction that also sends ``NOTIFY logto_connector_config``.  Each gateway
process keeps one listening connection (started on its first ``latest_version``) and answers
``latest_version`` from memory, kept current by those notifications: a save reaches every
gateway within milliseconds, a send costs no database round trip, and a gateway keeps
serving the config it has while PostgreSQL is away.  The listener reads every name's newest
version again each time it (re)connects, after ``LISTEN``, so a save made while it was
disconnected is not missed.  Polling would make every send wait for the database or, spaced
out, leave gateways seconds apart; LISTEN/NOTIFY is PostgreSQL's own mechanism for this.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._keys import (
    KEY_ENV,
    KeyRing,
    context_of,
    new_key,
    read_key_file,
    ring_from_env,
    write_key_file,
)
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

if TYPE_CHECKING:
    import psycopg


log = logging.getLogger("connector.store")

#: The channel a save notifies, with ``"<version>:<name>"`` as the payload.
CHANNEL = "logto_connector_config"
# Taken while migrating, so two gateways starting at once do not both create the tables.
_MIGRATION_LOCK = 0x6C6F67746F
# The store's tables live in a schema of their own, so the database may hold other things.
_CONNECT: dict[str, Any] = {
    "autocommit": True,
    "connect_timeout": 5,
    "options": "-c search_path=logto_connector",
}
_RECONNECT_SECONDS = (0.5, 1.0, 2.0, 5.0)

# Each entry moves the schema one version up; the database records how far it has come in
# schema_version.  Append only: a released entry never changes.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        # 1: every saved version of every named config, sealed as in the SQLite store.
        """CREATE TABLE config_versions (
            name TEXT NOT NULL,
            version INTEGER NOT NULL,
            connector_id TEXT NOT NULL,
            saved_at TIMESTAMPTZ NOT NULL,
            note TEXT NOT NULL,
            key_id TEXT NOT NULL,
            sealed BYTEA NOT NULL,
            PRIMARY KEY (name, version)
        )""",
    ),
    (
        # 2: delivery receipts by the provider's serial no, as in the SQLite store: the number
        # only masked and as a SHA-256 (what makes a repeated report the same row).
        """CREATE TABLE receipts (
            serial_no TEXT NOT NULL,
            phone_key TEXT NOT NULL,
            connector_id TEXT NOT NULL,
            phone_masked TEXT NOT NULL,
            status TEXT NOT NULL,
            code TEXT NOT NULL,
            description TEXT NOT NULL,
            received_at DOUBLE PRECISION,
            stored_at TIMESTAMPTZ NOT NULL,
            PRIMARY KEY (serial_no, phone_key)
        )""",
    ),
)


def shown_url(url: str) -> str:
    """The URL without its password (for messages and reprs)."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception:  # a URL psycopg cannot read: show only its scheme
        return url.split("://", 1)[0] + "://…"
    user = f"{parts['user']}@" if parts.get("user") else ""
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{parts.get('host', '')}{port}/{parts.get('dbname', '')}"


class PostgresStore(SealedStore):
    """A :class:`ConfigStore` in PostgreSQL.  One connection behind a lock serves every
    thread of a process; a second one listens for saves once ``latest_version`` is asked."""

    _INSERT_RECEIPT = (
        f"INSERT INTO receipts ({RECEIPT_COLUMNS}) "  # noqa: S608
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
    )

    def __init__(self, url: str, keys: KeyRing | None, key_path: Path | None) -> None:
        self.url = url
        self.shown = shown_url(url)
        self._lock = threading.Lock()
        self._db = self._connect()
        self._versions: dict[str, int] = {}
        self._versions_lock = threading.Lock()
        self._listener: threading.Thread | None = None
        self._closing = threading.Event()
        try:
            self._migrate()
            self._keys = keys if keys is not None else self._ring(key_path)
            missing_keys(self._keys, self._key_ids(), self.shown)
        except BaseException:
            self._db.close()
            raise

    def __repr__(self) -> str:
        return f"PostgresStore({self.shown!r})"

    # -- reading ---------------------------------------------------------------------------

    def latest_version(self, name: str = DEFAULT_NAME) -> int | None:
        """The newest version number of ``name``, from memory kept current by NOTIFY."""
        import psycopg

        name = check_name(name)
        if self._listener is None:
            with self._lock:
                if self._listener is None:
                    try:
                        self._load_versions(self._live())
                    except psycopg.Error as exc:
                        raise self._error(exc) from None
                    self._listener = threading.Thread(
                        target=self._listen, name="store-listener", daemon=True
                    )
                    self._listener.start()
        with self._versions_lock:
            return self._versions.get(name)

    def latest(self, name: str = DEFAULT_NAME) -> ConfigVersion | None:
        """The newest version of ``name``, or None."""
        rows = self._query(
            "SELECT name, version, connector_id, saved_at, note, key_id, sealed "
            "FROM config_versions "
            "WHERE name = %s ORDER BY version DESC LIMIT 1",
            (check_name(name),),
        )
        return self._version(rows[0]) if rows else None

    def get(self, name: str, version: int) -> ConfigVersion | None:
        """Version ``version`` of ``name``, or None."""
        rows = self._query(
            "SELECT name, version, connector_id, saved_at, note, key_id, sealed "
            "FROM config_versions "
            "WHERE name = %s AND version = %s",
            (check_name(name), int(version)),
        )
        return self._version(rows[0]) if rows else None

    def history(self, name: str = DEFAULT_NAME) -> list[ConfigVersion]:
        """Every version of ``name``, newest first."""
        rows = self._query(
            "SELECT name, version, connector_id, saved_at, note, key_id, sealed "
            "FROM config_versions "
            "WHERE name = %s ORDER BY version DESC",
            (check_name(name),),
        )
        return [self._version(row) for row in rows]

    def names(self) -> list[str]:
        """Every saved name, sorted."""
        rows = self._query("SELECT DISTINCT name FROM config_versions ORDER BY name", ())
        return [str(row[0]) for row in rows]

    def receipts(self, serial_no: str) -> list[StoredReceipt]:
        """The receipts kept for one serial no (one per number it went to), oldest first."""
        rows = self._query(
            f"SELECT {RECEIPT_COLUMNS} FROM receipts WHERE serial_no = %s "  # noqa: S608
            "ORDER BY stored_at, phone_key",
            (serial_no,),
        )
        return [stored_receipt(row) for row in rows]

    # -- writing ---------------------------------------------------------------------------

    def save(
        self, name: str, connector_id: str, config: Mapping[str, Any], note: str = ""
    ) -> ConfigVersion:
        """Save the next version of ``name`` in one transaction, and notify every gateway."""
        name, document = document_to_save(name, connector_id, config)
        note = str(note)
        keys = self._sealing_keys()
        with self._write() as db:
            # One saver per name at a time: two never take the same next version.
            db.execute(
                "SELECT pg_advisory_xact_lock(hashtext(%s))",
                (f"config_versions:{name}",),
            )
            row = db.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM config_versions WHERE name = %s",
                (name,),
            ).fetchone()
            version = int(row[0]) if row else 1
            saved_at = datetime.now(timezone.utc)
            kid, sealed = keys.seal(document, context_of(name, version, connector_id))
            db.execute(
                "INSERT INTO config_versions "
                "(name, version, connector_id, saved_at, note, key_id, sealed) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (name, version, connector_id, saved_at, note, kid, sealed),
            )
            # Delivered at commit, to every listening gateway (this one included).
            db.execute("SELECT pg_notify(%s, %s)", (CHANNEL, f"{version}:{name}"))
        self._seen(name, version)
        return ConfigVersion(name, version, connector_id, json.loads(document), saved_at, note)

    def rekey(self) -> int:
        """Seal every version again under the first key of the ring, in one transaction."""
        with self._write() as db:
            rows = db.execute(
                "SELECT name, version, connector_id, saved_at, note, key_id, sealed "
                "FROM config_versions FOR UPDATE"
            ).fetchall()
            for row in rows:
                kid, sealed = reseal_row(self._keys, row)
                db.execute(
                    "UPDATE config_versions SET key_id = %s, sealed = %s "
                    "WHERE name = %s AND version = %s",
                    (kid, sealed, row[0], row[1]),
                )
        return len(rows)

    def close(self) -> None:
        """Close the connections and stop listening."""
        self._closing.set()
        with self._lock:
            self._db.close()
        if self._listener is not None:
            self._listener.join(5)

    def _stored_at(self) -> object:
        return datetime.now(timezone.utc)

    # -- inside ----------------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[Any]:
        import psycopg

        try:
            return psycopg.connect(self.url, **_CONNECT)
        except psycopg.Error as exc:
            raise self._error(exc) from None

    def _error(self, exc: Exception) -> StoreError:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "password" in first.lower():  # never echo what the server said about one
            first = "the server refused the credentials"
        return StoreError(f"store {self.shown}: {first}")

    def _live(self) -> psycopg.Connection[Any]:
        """The connection, made again when PostgreSQL dropped it (a restart, a failover)."""
        if self._db.closed or self._db.broken:
            self._db.close()
            self._db = self._connect()
        return self._db

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        import psycopg

        with self._lock:
            for attempt in (1, 2):  # a read is safe to repeat on a fresh connection
                try:
                    return self._live().execute(sql, params).fetchall()
                except psycopg.OperationalError as exc:
                    if attempt == 2 or not self._db.broken:
                        raise self._error(exc) from None
                except psycopg.Error as exc:
                    raise self._error(exc) from None
        raise AssertionError("unreachable")

    @contextmanager
    def _write(self) -> Iterator[psycopg.Connection[Any]]:
        import psycopg

        with self._lock:
            try:
                db = self._live()
                with db.transaction():
                    yield db
            except psycopg.Error as exc:
                raise self._error(exc) from None

    def _version(self, row: tuple[Any, ...]) -> ConfigVersion:
        saved_at = row[3]
        assert isinstance(saved_at, datetime)
        found, self._keys = open_row(self._keys, row, saved_at.astimezone(timezone.utc))
        return found

    def _migrate(self) -> None:
        with self._write() as db:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            db.execute("CREATE SCHEMA IF NOT EXISTS logto_connector")
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                db.execute("INSERT INTO schema_version VALUES (0)")
            at = int(row[0]) if row else 0
            if at > len(MIGRATIONS):
                raise StoreError(
                    f"{self.shown} was written by a newer logto-connector "
                    f"(store schema {at}; this one knows up to {len(MIGRATIONS)})"
                )
            for statements in MIGRATIONS[at:]:
                for statement in statements:
                    db.execute(statement)
            db.execute("UPDATE schema_version SET version = %s", (len(MIGRATIONS),))

    def _key_ids(self) -> set[str]:
        return {str(r[0]) for r in self._query("SELECT DISTINCT key_id FROM config_versions", ())}

    def _ring(self, key_path: Path | None) -> KeyRing:
        ring = ring_from_env()
        if ring is not None:
            return ring
        if key_path is None:
            raise StoreError(
                f"a PostgreSQL store needs its key: set {KEY_ENV} (the same on every machine) "
                "or give a key file"
            )
        if not key_path.exists():
            if self._key_ids():
                raise StoreError(
                    f"{self.shown} holds sealed configs but the key file {str(key_path)!r} is "
                    f"missing; give the key file the store was saved with or set {KEY_ENV}"
                )
            write_key_file(key_path, [new_key()], replace=False)
        return read_key_file(key_path)

    def _seen(self, name: str, version: int) -> None:
        with self._versions_lock:
            if version > self._versions.get(name, 0):
                self._versions[name] = version

    def _load_versions(self, db: psycopg.Connection[Any]) -> None:
        rows = db.execute("SELECT name, MAX(version) FROM config_versions GROUP BY name").fetchall()
        with self._versions_lock:
            self._versions = {str(name): int(version) for name, version in rows}

    def _listen(self) -> None:
        """LISTEN, read every newest version, then follow the notifications; reconnect."""
        import psycopg

        failures = 0
        while not self._closing.is_set():
            try:
                with psycopg.connect(self.url, **_CONNECT) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._load_versions(conn)  # after LISTEN: no save falls in between
                    if failures:
                        log.warning("store %s: listening again", self.shown)
                    failures = 0
                    while not self._closing.is_set():
                        for note in conn.notifies(timeout=1.0):
                            version, _, name = note.payload.partition(":")
                            if version.isdigit():
                                self._seen(name, int(version))
            except psycopg.Error as exc:
                if self._closing.is_set():
                    return
                if failures == 0:
                    log.warning(
                        "store %s: lost the listening connection (%s); serving the last "
                        "config read until it is back",
                        self.shown,
                        self._error(exc),
                    )
                delay = _RECONNECT_SECONDS[min(failures, len(_RECONNECT_SECONDS) - 1)]
                failures += 1
                self._closing.wait(delay)
