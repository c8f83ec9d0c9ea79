"""The connector kit: what every connector and every host share.

The Python counterpart of Logto's connector kit: hook specs (pluggy project
``logto_connector``), template types, metadata and payload shapes, :class:`ConnectorError`
with Logto's :class:`ErrorCode` strings, and the :class:`ConnectorHost` that loads connectors.

Connectors use only the names below (``make lint`` refuses imports of ``connector.kit._*``
from outside the kit): besides the hook contract, :class:`FingerprintCache` and
:func:`config_fingerprint` to keep per-config state (a client, a session) without holding a
copy of a secret, and :func:`read_data` / :func:`load_schema` for the schemas and metadata
this distribution ships.  Hosts read an admin's config file with :func:`read_config_file`.
"""

from ._cache import FingerprintCache, config_fingerprint
from ._config_file import MAX_CONFIG_BYTES, UnreadableConfigError, read_config_file
from ._errors import ConnectorError, ErrorCode, UnknownConnectorError
from ._hookspecs import PROJECT_NAME, hookimpl, hookspec
from ._host import ENTRY_POINT_GROUP, ConnectorHost
from ._report import ConfigReport
from ._resources import load_schema, read_data
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
    "MAX_CONFIG_BYTES",
    "PROJECT_NAME",
    "ConfigReport",
    "ConnectorError",
    "ConnectorHost",
    "ConnectorMetadata",
    "ErrorCode",
    "FingerprintCache",
    "FormItem",
    "Problem",
    "SendPayload",
    "SendResult",
    "Severity",
    "TemplateType",
    "UnknownConnectorError",
    "UnreadableConfigError",
    "closest",
    "config_fingerprint",
    "format_path",
    "hookimpl",
    "hookspec",
    "keep_secrets",
    "load_schema",
    "mask_secrets",
    "read_config_file",
    "read_data",
    "secret_keys",
    "unknown_key_problem",
    "without_secrets",
]
