"""The Tencent Cloud SMS connector (Logto id ``tencent-short-message-service``).

``connector`` is what the ``logto.connectors`` entry point publishes.  Importing this package
loads the plugin and the kit, not the HTTP client or the phone-number library: those load on
the first send.
"""

from .plugin import CONNECTOR_ID, TencentSmsConnector, connector

__all__ = ["CONNECTOR_ID", "TencentSmsConnector", "connector"]
