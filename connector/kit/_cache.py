"""A small thread-safe LRU keyed by a config's fingerprint.

Hosts and connectors both remember work per config (a validated config, a client with its
HTTP session).  Keys are digests of the config's exact JSON, never the config itself, so no
cache keeps a copy of a secret.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

V = TypeVar("V")


def config_fingerprint(config: object) -> bytes | None:
    """A digest of a config's exact JSON, or ``None`` when it is not plain JSON data.

    Two configs have one fingerprint exactly when they serialise alike: ``1`` and ``true``
    differ, and so does key order (a reordered copy only costs a cache miss; not sorting
    keeps this cheap enough to run on every send).
    """
    try:
        text = json.dumps(config, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        return None
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


class FingerprintCache(Generic[V]):
    """An LRU of at most ``size`` entries."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[bytes, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: bytes) -> V | None:
        """The value for ``key`` (marking it recently used), or ``None``."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def get_or_create(self, key: bytes, create: Callable[[], V]) -> V:
        """The value for ``key``, made with ``create()`` the first time (once, under the lock)."""
        with self._lock:
            value = self._items.get(key)
            if value is None:
                value = self._items[key] = create()
            self._items.move_to_end(key)
            self._trim()
            return value

    def put(self, key: bytes, value: V) -> None:
        """Remember ``value`` under ``key``."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            self._trim()

    def pop_all(self) -> list[V]:
        """Forget every entry; return the values."""
        with self._lock:
            values = list(self._items.values())
            self._items.clear()
        return values

    def __len__(self) -> int:
        return len(self._items)

    def _trim(self) -> None:
        while len(self._items) > self._size:
            self._items.popitem(last=False)
