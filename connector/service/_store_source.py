"""A config source backed by the config store: every worker follows a save without a restart."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ..kit import ConnectorError, ConnectorHost
from ..store import DEFAULT_NAME, StoreError
from ._config import ActiveConfig, send_deadline

log = logging.getLogger("connector.service")


class _Saved(Protocol):
    @property
    def version(self) -> int: ...
    @property
    def connector_id(self) -> str: ...
    @property
    def config(self) -> Mapping[str, Any]: ...


class _Store(Protocol):
    """The part of :class:`connector.store.ConfigStore` a source reads."""

    def latest_version(self, name: str = DEFAULT_NAME) -> int | None: ...
    def get(self, name: str, version: int) -> _Saved | None: ...
    def close(self) -> None: ...


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
        open_store: Callable[[], _Store],
        name: str = DEFAULT_NAME,
    ) -> None:
        self.name = name
        self._host = host
        self._open = open_store
        self._lock = threading.Lock()
        self._store: _Store | None = None
        self._pid = -1
        self._seen: int | None = None  # the newest version number looked at
        self._active: ActiveConfig | None = None

    def store(self) -> _Store:
        """This process's connection to the store (opened on first use in each process)."""
        store = self._store
        if store is not None and self._pid == os.getpid():
            return store
        with self._lock:
            if self._store is None or self._pid != os.getpid():
                # After a fork the parent's connection is left alone: never used, never closed.
                self._store, self._pid = self._open(), os.getpid()
                self._seen, self._active = None, None
            return self._store

    def current(self) -> ActiveConfig | None:
        """The newest usable version, or None while there is none."""
        try:
            store = self.store()
            newest = store.latest_version(self.name)
        except StoreError as exc:
            # Locked for longer than the busy timeout, or the file replaced: keep serving.
            log.warning("config store unavailable, keeping the version in use: %s", exc)
            return self._active
        if newest is None or newest == self._seen:
            return self._active
        with self._lock:
            if newest != self._seen:
                self._load(store, newest)
        return self._active

    def close(self) -> None:
        """Close this process's connection (the next :meth:`current` opens a new one)."""
        with self._lock:
            if self._store is not None and self._pid == os.getpid():
                self._store.close()
            self._store = None

    def _load(self, store: _Store, newest: int) -> None:
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
