"""Following the newest version of one named document in the config store.

The gateway asks on every request; one cheap ``latest_version`` read answers it, and a
version is read, decrypted and checked only when that number changes.  A version that cannot
be used is logged and skipped (the one before stays in force), and so is a store that cannot
be reached for a moment.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Generic, TypeVar

from ..store import StoreError

if TYPE_CHECKING:
    from ..store import ConfigStore, ConfigVersion

log = logging.getLogger("connector.service")

T = TypeVar("T")


class Unusable(Exception):
    """A saved version that cannot be used; the message says why (it is logged)."""


class NewestVersion(Generic[T]):
    """What ``read`` makes of the newest usable version of ``name`` (``what`` names it in
    the log: "config", "guards")."""

    def __init__(self, what: str, name: str, read: Callable[[ConfigVersion], T]) -> None:
        self.what = what
        self.name = name
        self._read = read
        self._lock = threading.Lock()
        self._seen: int | None = None  # the newest version number looked at
        self.value: T | None = None

    def current(self, store: Callable[[], ConfigStore]) -> T | None:
        """The value of the newest usable version, or None while there is none."""
        try:
            opened = store()
            newest = opened.latest_version(self.name)
        except StoreError as exc:
            # Locked past the busy timeout, the file replaced, the server away: keep serving.
            log.warning("config store unavailable, keeping the %s in use: %s", self.what, exc)
            return self.value
        if newest is None or newest == self._seen:
            return self.value
        with self._lock:
            if newest != self._seen:
                self._load(opened, newest)
        return self.value

    def forget(self) -> None:
        """Start again (a new connection after a fork must look for itself)."""
        self._seen, self.value = None, None

    def _load(self, store: ConfigStore, newest: int) -> None:
        try:
            saved = store.get(self.name, newest)
        except StoreError as exc:
            log.warning("cannot read %s %r version %s: %s", self.what, self.name, newest, exc)
            return  # asked again on the next request
        self._seen = newest
        if saved is None:
            return
        try:
            self.value = self._read(saved)
        except Unusable as exc:
            log.warning("%s %r version %s is not used: %s", self.what, self.name, newest, exc)
