"""The Tencent Cloud SMS connector (Logto id ``tencent-short-message-service``).

The names below load on first use, so that importing a submodule (the emulator imports only
``signing``) does not pull in the plugin, the kit and pluggy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .plugin import CONNECTOR_ID, TencentSmsConnector, connector

__all__ = ["CONNECTOR_ID", "TencentSmsConnector", "connector"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import plugin

        return getattr(plugin, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
