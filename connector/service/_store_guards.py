"""Guards kept in the config store beside the config they guard: a save is enforced at once.

The guards of config ``NAME`` are the store's config ``NAME.guards`` (its "connector" is
:data:`GUARDS_KIND`), versioned and sealed like every config, so one PostgreSQL store gives
every gateway the same guards.  ``logto-connector guards set FILE --store …`` saves them.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ._guards import GuardSettings, GuardSettingsError

log = logging.getLogger("connector.service")

#: What the store records as the "connector" of a guards document.
GUARDS_KIND = "logto-connector.guards"
_SUFFIX = ".guards"


def guards_name(config_name: str) -> str:
    """The store name of the guards of config ``config_name``."""
    return config_name + _SUFFIX


class _Saved(Protocol):
    @property
    def version(self) -> int: ...
    @property
    def config(self) -> Mapping[str, Any]: ...


class _Store(Protocol):
    def latest(self, name: str = "default") -> _Saved | None: ...
    def latest_version(self, name: str = "default") -> int | None: ...


class StoreGuardSource:
    """The newest saved guards of one config; ``None`` (no guards) while none were saved.

    One cheap ``latest_version`` per send; the document is read and checked only when that
    number changes.  A saved version that is not valid (saved around the CLI's check) is
    logged and the last valid one stays enforced.
    """

    def __init__(self, open_store: Callable[[], _Store], config_name: str = "default") -> None:
        self._open = open_store
        self.name = guards_name(config_name)
        self._lock = threading.Lock()
        self._pid = -1
        self._store: _Store | None = None
        self._seen: int | None = None
        self._settings: GuardSettings | None = None

    def _current_store(self) -> _Store:
        with self._lock:
            if self._store is None or self._pid != os.getpid():  # a worker after the fork
                self._store, self._pid = self._open(), os.getpid()
            return self._store

    def current(self) -> GuardSettings | None:
        """The guards to enforce now."""
        store = self._current_store()
        version = store.latest_version(self.name)
        if version == self._seen:
            return self._settings
        with self._lock:
            if version != self._seen:
                saved = store.latest(self.name)
                self._seen = version
                if saved is not None:
                    try:
                        self._settings = GuardSettings.from_document(dict(saved.config))
                        log.info("enforcing guards %r version %d", self.name, saved.version)
                    except GuardSettingsError as exc:
                        log.error("guards %r version %d: %s", self.name, saved.version, exc)
            return self._settings
