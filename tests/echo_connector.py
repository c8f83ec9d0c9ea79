"""A second connector, for tests only: it 'sends' by remembering the message.

It is registered explicitly (``ConnectorHost(plugins=[...])`` or ``--plugin``), never through
an entry point, and proves that connectors coexist and that a send reaches only the one named.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector.kit import ConnectorError, ErrorCode, SendResult, hookimpl

METADATA: dict[str, Any] = {
    "id": "echo-sms",
    "target": "echo",
    "platform": None,
    "name": {"en": "Echo SMS (tests)"},
    "description": {"en": "Keeps messages in memory instead of sending them."},
    "logo": "./logo.svg",
    "logoDark": None,
    "readme": "./README.md",
    "formItems": [
        {
            "key": "prefix",
            "label": "Prefix",
            "type": "Text",
            "required": True,
            "description": "Put before every message.",
        },
    ],
}

SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["prefix"],
    "properties": {"prefix": {"type": "string", "minLength": 1, "title": "Prefix"}},
}


class EchoConnector:
    """Remembers each send in ``sent``."""

    def __init__(self, metadata: dict[str, Any] | None = None) -> None:
        self.metadata = metadata or METADATA
        self.sent: list[dict[str, Any]] = []

    @hookimpl
    def connector_metadata(self) -> dict[str, Any]:
        return self.metadata

    @hookimpl
    def connector_config_schema(self) -> dict[str, Any]:
        return SCHEMA

    @hookimpl
    def connector_resource(self, path: str) -> bytes | None:
        return {
            "./logo.svg": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
            "./README.md": b"# Echo\n",
        }.get(path)

    @hookimpl
    def send_message(
        self, to: str, type: str, payload: Mapping[str, Any], config: Mapping[str, Any]
    ) -> SendResult:
        if to == "0":
            raise ConnectorError(ErrorCode.INVALID_REQUEST_PARAMETERS, "echo refuses 0")
        self.sent.append({"to": to, "type": type, "text": f"{config['prefix']} {payload['code']}"})
        return SendResult(connector_id="echo-sms", to=to)


#: For ``logto-connector --plugin tests.echo_connector:connector``.
connector = EchoConnector()
