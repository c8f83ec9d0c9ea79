"""The shapes connectors and hosts exchange: template types, metadata, payloads, results."""

from __future__ import annotations

import enum
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict

if sys.version_info >= (3, 11):
    from typing import NotRequired
else:  # pragma: no cover - Python 3.10
    from typing_extensions import NotRequired


class TemplateType(str, enum.Enum):
    """Why a message is sent; a connector picks its template by this (Logto's ``TemplateType``)."""

    SIGN_IN = "SignIn"
    REGISTER = "Register"
    FORGOT_PASSWORD = "ForgotPassword"
    ORGANIZATION_INVITATION = "OrganizationInvitation"
    GENERIC = "Generic"
    USER_PERMISSION_VALIDATION = "UserPermissionValidation"
    BIND_NEW_IDENTIFIER = "BindNewIdentifier"
    MFA_VERIFICATION = "MfaVerification"
    BIND_MFA = "BindMfa"
    #: Deprecated (Logto's old ``VerificationCodeType``); old configs may still carry it.
    TEST = "Test"

    def __str__(self) -> str:
        return self.value


FormItemType = Literal["Text", "Number", "MultilineText", "Switch", "Select", "MultiSelect", "Json"]


class FormItem(TypedDict):
    """One field of the config form a console renders (Logto's ``ConnectorConfigFormItem``)."""

    key: str
    label: str
    type: FormItemType
    placeholder: NotRequired[str]
    required: NotRequired[bool]
    defaultValue: NotRequired[Any]
    showConditions: NotRequired[list[dict[str, Any]]]
    description: NotRequired[str]
    tooltip: NotRequired[str]
    isConfidential: NotRequired[bool]
    selectItems: NotRequired[list[dict[str, Any]]]


class ConnectorMetadata(TypedDict):
    """Logto's ``ConnectorMetadata`` as a connector publishes it."""

    id: str
    target: str
    platform: str | None
    name: dict[str, str]
    description: dict[str, str]
    logo: str
    logoDark: str | None
    readme: str
    formItems: NotRequired[list[FormItem]]
    configTemplate: NotRequired[str]
    customData: NotRequired[dict[str, Any]]
    isStandard: NotRequired[bool]
    type: NotRequired[str]


class SendPayload(TypedDict, total=False):
    """What goes into a message: the code and, from Logto, the locale it was asked in."""

    code: str
    locale: str
    uiLocales: str
    link: str


@dataclass(frozen=True)
class SendResult:
    """What a delivered send tells the host.

    The fields are what every connector has: ``to`` is the number as sent (E.164),
    ``request_id`` the provider's id for the request, ``attempts`` how many requests it took.
    Anything else the provider answered (for Tencent: ``route``, ``serialNo``, ``fee``,
    ``isoCode``) is the connector's own, in ``detail``, under the JSON keys a host shows.
    """

    connector_id: str
    to: str
    request_id: str | None = None
    attempts: int = 1
    detail: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form with camelCase keys, as a Logto host would show it: the common
        fields, then the connector's ``detail``."""
        return {
            "connectorId": self.connector_id,
            "to": self.to,
            "requestId": self.request_id,
            "attempts": self.attempts,
            **self.detail,
        }
