"""The connector kit: what every connector and every host share.

The Python counterpart of Logto's connector kit: hook specs (pluggy project
``logto_connector``), template types, metadata and payload shapes, :class:`ConnectorError`
with Logto's :class:`ErrorCode` strings, and the :class:`ConnectorHost` that loads connectors.
"""

from ._errors import ConnectorError, ErrorCode, UnknownConnectorError
from ._hookspecs import PROJECT_NAME, hookimpl, hookspec
from ._host import ENTRY_POINT_GROUP, ConnectorHost
from ._report import ConfigReport
from ._secrets import MASK, keep_secrets, mask_secrets, secret_keys, without_secrets
from ._types import (
    ConnectorMetadata,
    FormItem,
    SendPayload,
    SendResult,
    TemplateType,
)
from ._validation import Problem, Severity, closest, format_path, unknown_key_problem

__all__ = [
    "ENTRY_POINT_GROUP",
    "MASK",
    "PROJECT_NAME",
    "ConfigReport",
    "ConnectorError",
    "ConnectorHost",
    "ConnectorMetadata",
    "ErrorCode",
    "FormItem",
    "Problem",
    "SendPayload",
    "SendResult",
    "Severity",
    "TemplateType",
    "UnknownConnectorError",
    "closest",
    "format_path",
    "hookimpl",
    "hookspec",
    "keep_secrets",
    "mask_secrets",
    "secret_keys",
    "unknown_key_problem",
    "without_secrets",
]
