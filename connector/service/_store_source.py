"""A config source backed by the config store: every worker follows a save without a restart."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..kit import ConnectorError, ConnectorHost
from ..store import DEFAULT_NAME
from ._config import ActiveConfig, send_deadline
from ._newest import NewestVersion, Unusable

if TYPE_CHECKING:
    from ..store import ConfigStore, ConfigVersion

log = logging.getLogger("connector.service")


class StoreConfigSource:
    """The newest version of one named config in a store.

    :meth:`current` asks the store for the newest version number (one indexed read) and reads,
    decrypts and checks a version only when that number changed, so a save through the admin
    console or ``config set`` reaches every thread and every worker on its next request.  A
    newest version with errors (saved past the checks, or for a connector no longer
    installed) is logged and skipped: the version before stays in service (none yet: the
    gateway answers 503).  ``open_store`` is called once in each process: a database
    connection must not cross a fork (gunicorn's workers); :meth:`close` before forking.
    """

    def __init__(
        self,
        host: ConnectorHost,
        open_store: Callable[[], ConfigStore],
        name: str = DEFAULT_NAME,
    ) -> None:
        self.name = name
        self._host = host
        self._open = open_store
        self._lock = threading.Lock()
        self._store: ConfigStore | None = None
        self._pid = -1
        self._newest = NewestVersion("config", name, self._read)

    def store(self) -> ConfigStore:
        """This process's connection to the store (opened on first use in each process)."""
        store = self._store
        if store is not None and self._pid == os.getpid():
            return store
        with self._lock:
            if self._store is None or self._pid != os.getpid():
                # After a fork the parent's connection is left alone: never used, never closed.
                self._store, self._pid = self._open(), os.getpid()
                self._newest.forget()
            return self._store

    def current(self) -> ActiveConfig | None:
        """The newest usable version, or None while there is none."""
        return self._newest.current(self.store)

    def close(self) -> None:
        """Close this process's connection (the next :meth:`current` opens a new one)."""
        with self._lock:
            if self._store is not None and self._pid == os.getpid():
                self._store.close()
            self._store = None

    def _read(self, saved: ConfigVersion) -> ActiveConfig:
        try:
            cid = str(self._host.metadata(saved.connector_id)["id"])
            report = self._host.check_config(cid, saved.config)
            config = report.raise_for_errors()
        except ConnectorError as exc:
            raise Unusable(exc.message) from None
        warnings = tuple(str(problem) for problem in report.warnings)
        deadline = send_deadline(self._host, cid, config)
        version = f"store:{self.name}:{saved.version}"
        log.info("serving config %r version %s (%s)", self.name, saved.version, cid)
        return ActiveConfig(cid, config, version, deadline, warnings)
