"""The Tencent Cloud SMS connector (Logto id ``tencent-short-message-service``)."""

from .plugin import CONNECTOR_ID, TencentSmsConnector, connector

__all__ = ["CONNECTOR_ID", "TencentSmsConnector", "connector"]
