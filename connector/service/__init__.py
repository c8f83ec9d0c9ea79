"""The HTTP service: the gateway Logto's HTTP SMS connector calls, health and metrics.

It talks to connectors only through the kit's :class:`~connector.kit.ConnectorHost`, and
reads the config to send with from a :class:`ConfigSource` on every request::

    source = FileConfigSource(host, "tencent-short-message-service", "config.json")
    app = create_app(host, source, token="…")          # a Flask app; more blueprints may join
    serve(host, source, ServeOptions(port=8090, token="…", workers=2))   # gunicorn, gthread

``StoreConfigSource(host, lambda: open_store("configs.db"), "default")`` serves the newest
version saved in the config store instead, and follows every save without a restart.

Guards (country lists, sliding-window limits, a spend ceiling) sit in front of the host:
``create_app(..., guards=GuardSettings.read("guards.json"), counters=RedisCounters(url))``.
"""

from ._app import create_app, shutdown
from ._auth import BearerToken
from ._config import (
    DEFAULT_SEND_DEADLINE,
    TOKEN_ENV,
    ActiveConfig,
    ConfigSource,
    FileConfigSource,
    StaticConfigSource,
    read_token,
    send_deadline,
)
from ._counters import Check, Counters, CountersUnavailable, MemoryCounters, RedisCounters, Refusal
from ._gateway import ANSWER_MARGIN, MAX_BODY
from ._guards import (
    DEFAULT_ALLOW,
    GuardRefusal,
    Guards,
    GuardSettings,
    GuardSettingsError,
    region_of,
)
from ._masking import mask_number, scrub
from ._metrics import GatewayMetrics
from ._receipts import CALLBACK_TOKEN_ENV, CallbackSettings, callback_blueprint, parse_networks
from ._server import ServeOptions, is_loopback, serve
from ._store_guards import GUARDS_KIND, StoreGuardSource, guards_name
from ._store_source import StoreConfigSource

__all__ = [
    "ANSWER_MARGIN",
    "CALLBACK_TOKEN_ENV",
    "DEFAULT_ALLOW",
    "DEFAULT_SEND_DEADLINE",
    "GUARDS_KIND",
    "MAX_BODY",
    "TOKEN_ENV",
    "ActiveConfig",
    "BearerToken",
    "CallbackSettings",
    "Check",
    "ConfigSource",
    "Counters",
    "CountersUnavailable",
    "FileConfigSource",
    "GatewayMetrics",
    "GuardRefusal",
    "GuardSettings",
    "GuardSettingsError",
    "GuardSource",
    "Guards",
    "MemoryCounters",
    "RedisCounters",
    "Refusal",
    "ServeOptions",
    "StaticConfigSource",
    "StaticGuardSource",
    "StoreConfigSource",
    "StoreGuardSource",
    "callback_blueprint",
    "create_app",
    "guards_name",
    "is_loopback",
    "mask_number",
    "parse_networks",
    "read_token",
    "region_of",
    "scrub",
    "send_deadline",
    "serve",
    "shutdown",
]
