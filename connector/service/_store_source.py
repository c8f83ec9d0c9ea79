"""A config source backed by the config store: a save is served at once, in every worker."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ..kit import ConnectorError, ConnectorHost
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
    def latest(self, name: str = "default") -> _Saved | None: ...
    def latest_version(self, name: str = "default") -> int | None: ...


class StoreConfigSource:
    """Serves the newest version of one named config in a store.

    Each request costs one indexed read (``latest_version``); the config itself is read and
    checked only when that number changes.  ``open_store`` is called once per process (a
    gunicorn worker opens its own connection after the fork).  A newest version with errors
    is not served (``current()`` is ``None``: the gateway answers 503) and is logged.
    """

    def __init__(
        self, host: ConnectorHost, open_store: Callable[[], _Store], name: str = "default"
    ) -> None:
        self._host = host
        self._open = open_store
        self.name = name
        self._lock = threading.Lock()
        self._pid = -1
        self._store: _Store | None = None
        self._seen: int | None = None
        self._active: ActiveConfig | None = None

    def store(self) -> _Store:
        """This process's connection to the store."""
        with self._lock:
            if self._store is None or self._pid != os.getpid():
                self._store, self._pid = self._open(), os.getpid()
            return self._store

    def current(self) -> ActiveConfig | None:
        """The newest saved version, when it is usable."""
        store = self.store()
        version = store.latest_version(self.name)
        if version == self._seen:
            return self._active
        with self._lock:
            if version != self._seen:
                self._active = self._load(store)
                self._seen = version
            return self._active

    def _load(self, store: _Store) -> ActiveConfig | None:
        saved = store.latest(self.name)
        if saved is None:
            return None
        try:
            report = self._host.check_config(saved.connector_id, saved.config)
        except ConnectorError as exc:  # a connector that is no longer installed
            log.error("config %r version %d: %s", self.name, saved.version, exc.message)
            return None
        if not report.ok:
            log.error(
                "config %r version %d has %d error(s); not serving it",
                self.name,
                saved.version,
                len(report.errors),
            )
            return None
        config = report.raise_for_errors()
        log.info("serving config %r version %d", self.name, saved.version)
        return ActiveConfig(
            saved.connector_id,
            config,
            f"store:{self.name}:{saved.version}",
            send_deadline(self._host, saved.connector_id, config),
            tuple(str(p) for p in report.warnings),
        )
