"""Where the gateway finds the connector config it sends with: a small source interface."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..kit import ConnectorHost, read_config_file

#: Seconds a send may take when the config names no deadline of its own.
DEFAULT_SEND_DEADLINE = 10.0
_DEADLINE_KEY = "sendTimeout"
#: The environment variable that holds the gateway's bearer token.
TOKEN_ENV = "LOGTO_CONNECTOR_TOKEN"


@dataclass(frozen=True)
class ActiveConfig:
    """The config the gateway sends with now: which connector, its config, and a version.

    ``deadline`` is the longest a send may take (seconds); the gateway answers within it plus
    one second whatever the connector does.  ``warnings`` are the config's warnings
    (``"path: message"``), shown by ``/readyz`` and at start.
    """

    connector_id: str
    config: Mapping[str, Any] = field(repr=False)  # it holds secrets
    version: str
    deadline: float = DEFAULT_SEND_DEADLINE
    warnings: tuple[str, ...] = ()


class ConfigSource(Protocol):
    """What the gateway asks, on every request, for the config to send with.

    ``current()`` must be cheap (it is called per request) and return ``None`` while no valid
    config is available (the gateway then answers 503 and ``/readyz`` is not ready).  A source
    backed by a store returns a new :class:`ActiveConfig` as soon as a save is made, so every
    worker follows without a restart.
    """

    def current(self) -> ActiveConfig | None:
        """The config to send with now, or ``None`` when there is none."""
        ...


def send_deadline(host: ConnectorHost, connector_id: str, config: Mapping[str, Any]) -> float:
    """The deadline of one send for this config, in seconds.

    Connectors that bound a whole send say so in a ``sendTimeout`` config key (seconds, with
    its default in the schema); otherwise :data:`DEFAULT_SEND_DEADLINE`.
    """
    value = config.get(_DEADLINE_KEY)
    if value is None:
        prop = host.config_schema(connector_id).get("properties", {}).get(_DEADLINE_KEY, {})
        value = prop.get("default") if isinstance(prop, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return DEFAULT_SEND_DEADLINE
    return float(value)


class StaticConfigSource:
    """A source that always gives one config, validated when the source is made.

    Raises :class:`ConnectorError` (``invalid_config``) listing every problem when ``config``
    is not valid for the connector, so a service never starts on a bad one.
    """

    def __init__(
        self, host: ConnectorHost, connector_id: str, config: object, version: str = "static"
    ) -> None:
        cid = str(host.metadata(connector_id)["id"])
        report = host.check_config(cid, config)
        valid = report.raise_for_errors()
        warnings = tuple(str(problem) for problem in report.warnings)
        self._active = ActiveConfig(cid, valid, version, send_deadline(host, cid, valid), warnings)

    def current(self) -> ActiveConfig:
        """The config given at start."""
        return self._active


class FileConfigSource(StaticConfigSource):
    """A read-only source: one config file (JSON), read and validated once, at start."""

    def __init__(
        self, host: ConnectorHost, connector_id: str, path: str | os.PathLike[str]
    ) -> None:
        self.path = os.fspath(path)
        config = read_config_file(self.path)  # UnreadableConfigError, or invalid_config
        version = f"file:{os.stat(self.path).st_mtime_ns}"
        super().__init__(host, connector_id, config, version)


def read_token(
    path: str | None, environ: Mapping[str, str] = os.environ, variable: str = TOKEN_ENV
) -> str | None:
    """The gateway's token: from ``path`` when given, else the environment ``variable``
    (``LOGTO_CONNECTOR_TOKEN``), else None.

    Raises ``ValueError`` saying why a token file cannot be used.
    """
    if path is None:
        token = environ.get(variable, "").strip()
        return token or None
    try:
        with open(path, encoding="utf-8") as handle:
            token = handle.read(4096).strip()
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise ValueError(f"cannot read token file {path!r}: {reason}") from None
    if not token:
        raise ValueError(f"token file {path!r} is empty")
    return token
