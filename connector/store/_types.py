"""What a config store keeps and promises, whichever database is behind it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from ._keys import KeyRing

DEFAULT_NAME = "default"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class StoreError(Exception):
    """The store cannot do what was asked: a one-line reason a person can act on."""


@dataclass(frozen=True)
class ConfigVersion:
    """One saved version of a named config, decrypted."""

    name: str
    version: int
    connector_id: str
    # Left out of repr: it holds the connector's secrets.
    config: dict[str, Any] = field(repr=False)
    saved_at: datetime
    note: str

    def summary(self) -> dict[str, Any]:
        """Everything but the config, JSON-ready (``savedAt`` in ISO 8601, UTC)."""
        return {
            "name": self.name,
            "version": self.version,
            "connectorId": self.connector_id,
            "savedAt": self.saved_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
            "note": self.note,
        }


class ConfigStore(Protocol):
    """Versioned connector configs: every save is a new version; nothing is overwritten.

    Safe to share between threads, and several processes may open one store at once.
    """

    def latest(self, name: str = DEFAULT_NAME) -> ConfigVersion | None:
        """The newest version of ``name``, or None when it was never saved."""
        ...

    def latest_version(self, name: str = DEFAULT_NAME) -> int | None:
        """The newest version number of ``name`` (one indexed read: cheap to ask often)."""
        ...

    def get(self, name: str, version: int) -> ConfigVersion | None:
        """One version of ``name``, or None when there is no such version."""
        ...

    def save(
        self, name: str, connector_id: str, config: Mapping[str, Any], note: str = ""
    ) -> ConfigVersion:
        """Save ``config`` as the next version of ``name`` (one transaction) and return it."""
        ...

    def history(self, name: str = DEFAULT_NAME) -> list[ConfigVersion]:
        """Every version of ``name``, newest first (empty when it was never saved)."""
        ...

    def restore(self, name: str, version: int, note: str = "") -> ConfigVersion:
        """Save a copy of an old version as the newest one; raise StoreError if it is unknown."""
        ...

    def names(self) -> list[str]:
        """The names of every saved config, sorted."""
        ...

    @property
    def keys(self) -> KeyRing:
        """The key ring in use (its first key seals new versions)."""
        ...

    def use_keys(self, keys: KeyRing) -> None:
        """Seal and open with ``keys`` from now on (a rotation's new ring)."""
        ...

    def rekey(self) -> int:
        """Seal every version again under the key ring's first key (one transaction); return
        how many versions there are.  The step of a key rotation."""
        ...

    def close(self) -> None:
        """Release the database; the store cannot be used afterwards."""
        ...


def check_name(name: object) -> str:
    """``name`` when it is a usable config name; else StoreError saying what one looks like."""
    if isinstance(name, str) and _NAME.fullmatch(name):
        return name
    raise StoreError(
        "a config name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"
    )
