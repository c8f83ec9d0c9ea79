"""Guards kept in the config store beside the config they guard: a save is enforced at once.

The guards of config ``NAME`` are the store's config ``NAME.guards`` (its "connector" is
:data:`GUARDS_KIND`), versioned and sealed like every config, so one PostgreSQL store gives
every gateway the same guards.  ``logto-connector guards set FILE --store …`` saves them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from ..store import DEFAULT_NAME, StoreError
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
    def latest_version(self, name: str = DEFAULT_NAME) -> int | None: ...
    def get(self, name: str, version: int) -> _Saved | None: ...


class StoreGuardSource:
    """The newest saved guards of one config; ``None`` (no guards) while none were saved.

    ``store`` gives this process's store connection (the config source's
    :meth:`~StoreConfigSource.store`, so both share it).  One cheap ``latest_version`` per
    send; the document is read and checked only when that number changes.  A version that
    is not valid (saved around the command line's check) is logged and the one before stays
    enforced; so does the last one read while the store cannot be reached.
    """

    def __init__(self, store: Callable[[], _Store], config_name: str = DEFAULT_NAME) -> None:
        self._store = store
        self.name = guards_name(config_name)
        self._lock = threading.Lock()
        self._seen: int | None = None
        self._settings: GuardSettings | None = None

    def current(self) -> GuardSettings | None:
        """The guards to enforce now."""
        try:
            store = self._store()
            newest = store.latest_version(self.name)
        except StoreError as exc:
            log.warning("config store unavailable, keeping the guards in force: %s", exc)
            return self._settings
        if newest is None or newest == self._seen:
            return self._settings
        with self._lock:
            if newest != self._seen:
                self._load(store, newest)
        return self._settings

    def _load(self, store: _Store, newest: int) -> None:
        try:
            saved = store.get(self.name, newest)
        except StoreError as exc:
            log.warning("cannot read guards %r version %s: %s", self.name, newest, exc)
            return  # asked again on the next send
        self._seen = newest
        if saved is None:
            return
        try:
            self._settings = GuardSettings.from_document(dict(saved.config))
        except GuardSettingsError as exc:
            log.warning("guards %r version %s are not used: %s", self.name, newest, exc)
            return
        log.info("enforcing guards %r version %s", self.name, newest)
