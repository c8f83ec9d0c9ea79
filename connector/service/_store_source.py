"""A config source backed by the config store: every worker follows a save without a restart."""

from __future__ import annotations

import logging
import os
import threading

from ..kit import ConnectorError, ConnectorHost
from ..store import DEFAULT_NAME, ConfigStore, StoreError, open_store
from ._config import ActiveConfig, send_deadline

log = logging.getLogger("connector.service")


class StoreSource:
    """The newest version of one named config in a store.

    :meth:`current` asks the store for the newest version number (one indexed read) and reads,
    decrypts and validates a version only when that number changed, so a save through the
    admin console or ``config set`` reaches every thread and every worker on its next request.
    A version that is not valid for its connector (installed connectors change) is skipped with
    a warning and the one before stays in use.  The store is opened in each process on first
    use: a database connection must not cross a fork (gunicorn's workers).
    """

    def __init__(
        self,
        host: ConnectorHost,
        where: str | os.PathLike[str],
        name: str = DEFAULT_NAME,
        *,
        key_file: str | os.PathLike[str] | None = None,
    ) -> None:
        self.where = os.fspath(where)
        self.name = name
        self._host = host
        self._key_file = key_file
        self._lock = threading.Lock()
        self._store: ConfigStore | None = None
        self._pid = -1
        self._seen: int | None = None  # the newest version number looked at
        self._active: ActiveConfig | None = None

    def check(self) -> int | None:
        """Open the store once (raising :class:`StoreError` when it cannot be used: missing
        key, wrong key, not a store) and return the newest version of the name, if any."""
        return self._open().latest_version(self.name)

    def current(self) -> ActiveConfig | None:
        """The newest valid version, or None while the name has none."""
        try:
            store = self._open()
            newest = store.latest_version(self.name)
        except StoreError as exc:
            # The store went away for a moment (locked, file replaced): keep serving.
            log.warning("config store unavailable, keeping version in use: %s", exc)
            return self._active
        if newest is None or newest == self._seen:
            return self._active
        with self._lock:
            if newest != self._seen:
                self._load(store, newest)
        return self._active

    def close(self) -> None:
        """Close this process's connection to the store."""
        with self._lock:
            if self._store is not None and self._pid == os.getpid():
                self._store.close()
            self._store = None

    def _open(self) -> ConfigStore:
        store = self._store
        if store is not None and self._pid == os.getpid():
            return store
        with self._lock:
            if self._store is None or self._pid != os.getpid():
                # After a fork the parent's connection is left alone, never used or closed.
                self._store = open_store(self.where, key_file=self._key_file)
                self._pid = os.getpid()
                self._seen, self._active = None, None
            return self._store

    def _load(self, store: ConfigStore, newest: int) -> None:
        try:
            saved = store.get(self.name, newest)
        except StoreError as exc:
            log.warning("cannot read config %r version %s: %s", self.name, newest, exc)
            return  # asked again on the next request
        self._seen = newest
        if saved is None:
            return
        try:
            cid = str(self._host.metadata(saved.connector_id)["id"])
            report = self._host.check_config(cid, saved.config)
            config = report.raise_for_errors()
        except ConnectorError as exc:
            log.warning("config %r version %s is not used: %s", self.name, newest, exc.message)
            return
        warnings = tuple(str(problem) for problem in report.warnings)
        deadline = send_deadline(self._host, cid, config)
        version = f"store:{self.name}:{saved.version}"
        self._active = ActiveConfig(cid, config, version, deadline, warnings)
        log.info("serving config %r version %s (%s)", self.name, saved.version, cid)
