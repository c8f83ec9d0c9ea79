"""The connector kit: what every connector and every host share.

The Python counterpart of Logto's connector kit: hook specs (pluggy project
``logto_connector``), template types, metadata and payload shapes, :class:`ConnectorError`
with Logto's :class:`ErrorCode` strings, and the :class:`ConnectorHost` that loads connectors.
"""

from ._errors import ConnectorError, ErrorCode, UnknownConnectorError
from ._hookspecs import PROJECT_NAME, hookimpl, hookspec
from ._host import ENTRY_POINT_GROUP, ConnectorHost
from ._secrets import SECRET_MASK, SecretPath, mask_secrets, secret_paths
from ._types import (
    ConnectorMetadata,
    FormItem,
    SendPayload,
    SendResult,
    TemplateType,
)
from ._validation import Problem

__all__ = [
    "ENTRY_POINT_GROUP",
    "PROJECT_NAME",
    "SECRET_MASK",
    "ConnectorError",
    "ConnectorHost",
    "ConnectorMetadata",
    "ErrorCode",
    "FormItem",
    "Problem",
    "SecretPath",
    "SendPayload",
    "SendResult",
    "TemplateType",
    "UnknownConnectorError",
    "hookimpl",
    "hookspec",
    "mask_secrets",
    "secret_paths",
]
