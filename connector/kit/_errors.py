"""One exception for every failure a connector reports, with Logto's error code strings."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from typing import Any


class ErrorCode(str, enum.Enum):
    """Logto's ``ConnectorErrorCodes``: the strings a host sees (and the HTTP status for each)."""

    GENERAL = "general"
    INVALID_METADATA = "invalid_metadata"
    UNEXPECTED_TYPE = "unexpected_type"
    INVALID_CONFIG_GUARD = "invalid_config_guard"
    INVALID_REQUEST_PARAMETERS = "invalid_request_parameters"
    INSUFFICIENT_REQUEST_PARAMETERS = "insufficient_request_parameters"
    INVALID_CONFIG = "invalid_config"
    INVALID_CERTIFICATE = "invalid_certificate"
    INVALID_RESPONSE = "invalid_response"
    TEMPLATE_NOT_FOUND = "template_not_found"
    TEMPLATE_NOT_SUPPORTED = "template_not_supported"
    RATE_LIMIT_EXCEEDED = "rate_limit_exceeded"
    USAGE_LIMIT_EXCEEDED = "usage_limit_exceeded"
    NOT_IMPLEMENTED = "not_implemented"
    SOCIAL_AUTH_CODE_INVALID = "social_auth_code_invalid"
    SOCIAL_INVALID_ACCESS_TOKEN = "social_invalid_access_token"
    SOCIAL_INVALID_ID_TOKEN = "social_invalid_id_token"
    AUTHORIZATION_FAILED = "authorization_failed"

    @property
    def http_status(self) -> int:
        """The HTTP status Logto's core answers when a connector raises this code."""
        return _HTTP_STATUS.get(self, 400)

    def __str__(self) -> str:
        return self.value


_HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.RATE_LIMIT_EXCEEDED: 429,
    ErrorCode.USAGE_LIMIT_EXCEEDED: 429,
    ErrorCode.NOT_IMPLEMENTED: 501,
    ErrorCode.SOCIAL_AUTH_CODE_INVALID: 401,
    ErrorCode.SOCIAL_INVALID_ACCESS_TOKEN: 401,
    ErrorCode.SOCIAL_INVALID_ID_TOKEN: 401,
    ErrorCode.AUTHORIZATION_FAILED: 401,
}


class ConnectorError(Exception):
    """A connector or host refused or failed: a Logto error code, a sentence, and safe details.

    ``data`` carries what a host or an admin can act on (the provider's error code and request
    id, the list of config problems).  It never holds a credential: whoever raises puts only
    plain, non-secret values in it.
    """

    def __init__(
        self, code: ErrorCode | str, message: str, data: Mapping[str, Any] | None = None
    ) -> None:
        self.code = ErrorCode(code)
        self.message = message
        self.data: dict[str, Any] = dict(data or {})
        super().__init__(message)

    @property
    def http_status(self) -> int:
        """The HTTP status a Logto-style host answers for this error."""
        return self.code.http_status

    def to_dict(self) -> dict[str, Any]:
        """A stable, JSON-ready form: ``{"code", "message", "data"}``."""
        return {"code": self.code.value, "message": self.message, "data": dict(self.data)}

    def __str__(self) -> str:
        return f"{self.code.value}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code.value!r}, message={self.message!r})"


class UnknownConnectorError(ConnectorError, LookupError):
    """No loaded connector has the id (or target) asked for."""

    def __init__(self, connector_id: str, known: list[str]) -> None:
        listed = ", ".join(known) or "none"
        super().__init__(
            ErrorCode.GENERAL,
            f"no connector with id {connector_id!r}; installed: {listed}",
            {"connectorId": connector_id},
        )
