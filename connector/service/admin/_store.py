"""The part of the config store the console uses (the agreed ``connector.store`` interface).

Until ``connector.store`` is on main the console codes against this copy of its protocol;
when it lands, these names become imports from ``connector.store``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol


class ConfigVersion(Protocol):
    """One saved version of a named config."""

    @property
    def name(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def connector_id(self) -> str: ...
    @property
    def config(self) -> dict[str, Any]: ...
    @property
    def saved_at(self) -> datetime: ...
    @property
    def note(self) -> str: ...


class ConfigStore(Protocol):
    """Versioned configs by name; every save is a new version."""

    def latest(self, name: str = "default") -> ConfigVersion | None: ...
    def save(
        self, name: str, connector_id: str, config: Mapping[str, Any], note: str = ""
    ) -> ConfigVersion: ...
    def history(self, name: str = "default") -> Sequence[ConfigVersion]: ...
    def restore(self, name: str, version: int, note: str = "") -> ConfigVersion: ...
