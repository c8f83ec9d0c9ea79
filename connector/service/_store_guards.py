"""Guards kept in the config store beside the config they guard: a save is enforced at once.

The guards of config ``NAME`` are the store's config ``NAME.guards`` (its "connector" is
:data:`GUARDS_KIND`), versioned and sealed like every config, so one PostgreSQL store gives
every gateway the same guards.  ``logto-connector guards set FILE --store …`` saves them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..store import DEFAULT_NAME
from ._guards import GuardSettings, GuardSettingsError
from ._newest import NewestVersion, Unusable

if TYPE_CHECKING:
    from ..store import ConfigStore, ConfigVersion

log = logging.getLogger("connector.service")

#: What the store records as the "connector" of a guards document.
GUARDS_KIND = "logto-connector.guards"
_SUFFIX = ".guards"


def guards_name(config_name: str) -> str:
    """The store name of the guards of config ``config_name``."""
    return config_name + _SUFFIX


class StoreGuardSource:
    """The newest saved guards of one config; ``None`` (no guards) while none were saved.

    ``store`` gives this process's store connection (the config source's
    :meth:`~StoreConfigSource.store`, so both share it).  One cheap ``latest_version`` per
    send; the document is read and checked only when that number changes.  A version that
    is not valid (saved around the command line's check) is logged and the one before stays
    enforced; so does the last one read while the store cannot be reached.
    """

    def __init__(self, store: Callable[[], ConfigStore], config_name: str = DEFAULT_NAME) -> None:
        self._store = store
        self.name = guards_name(config_name)
        self._newest = NewestVersion("guards", self.name, _read)

    def current(self) -> GuardSettings | None:
        """The guards to enforce now."""
        return self._newest.current(self._store)


def _read(saved: ConfigVersion) -> GuardSettings:
    try:
        settings = GuardSettings.from_document(dict(saved.config))
    except GuardSettingsError as exc:
        raise Unusable(str(exc)) from None
    log.info("enforcing guards %r version %s", saved.name, saved.version)
    return settings
