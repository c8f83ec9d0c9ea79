"""The host: finds connectors, checks them once, validates configs, dispatches sends."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

from . import _hookspecs
from ._cache import FingerprintCache, config_fingerprint
from ._check import CheckFinding
from ._errors import ConnectorError, ErrorCode, UnknownConnectorError
from ._receipts import DeliveryReceipt
from ._report import ConfigReport, problems_error
from ._request import plainly_valid
from ._resources import load_schema
from ._types import ConnectorMetadata, SendResult
from ._validation import SEVERITIES, Problem, SchemaChecker

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

ENTRY_POINT_GROUP = "logto.connectors"
_VALID_CACHE_SIZE = 256
log = logging.getLogger("connector.kit")


@dataclass
class _Loaded:
    """One connector as the host keeps it: its own plugin manager and its compiled checks."""

    connector_id: str
    source: str
    pm: pluggy.PluginManager
    meta: ConnectorMetadata
    config_schema: dict[str, Any]
    _checker: SchemaChecker | None = None
    # The warnings of configs that passed, by fingerprint (never the config: it holds a secret).
    valid: FingerprintCache[tuple[Problem, ...]] = field(
        default_factory=lambda: FingerprintCache[tuple[Problem, ...]](_VALID_CACHE_SIZE)
    )

    @property
    def checker(self) -> SchemaChecker:
        # Compiled on first use so that listing connectors never pays for it.
        if self._checker is None:
            self._checker = SchemaChecker(self.config_schema, root_name="(config)")
        return self._checker


class ConnectorHost:
    """Loads connectors and is the one way to talk to them.

    ``ConnectorHost()`` loads every plugin of the ``logto.connectors`` entry-point group;
    ``ConnectorHost(plugins=[...])`` loads exactly the objects given.  Every connector is
    checked at load (metadata against the metadata schema, config schema against the draft
    2020-12 meta-schema, ids unique).  An installed connector that fails is left out, logged,
    and kept in :attr:`load_errors` (the first of two with one id stays); an explicitly given
    one that fails raises :class:`ConnectorError` naming it.  A host is safe to share between
    threads.
    """

    def __init__(
        self,
        plugins: Iterable[object] | None = None,
        *,
        entry_point_group: str = ENTRY_POINT_GROUP,
    ) -> None:
        self._by_id: dict[str, _Loaded] = {}
        self._aliases: dict[str, str] = {}
        #: Installed connectors that were refused (they did not load, or failed a check).
        self.load_errors: list[ConnectorError] = []
        if plugins is not None:  # the caller chose these: any refusal is theirs to see
            for plugin in plugins:
                self._add(_describe(plugin), plugin)
            return
        # importlib.metadata, as pluggy's load_setuptools_entrypoints reads them (imported
        # here: a host given its plugins never pays for it).
        from importlib import metadata

        found = metadata.entry_points(group=entry_point_group)
        for ep in sorted(found, key=lambda e: e.name):
            # One broken package must not take every other connector down with it.
            source = f"entry point {ep.name!r} ({ep.value})"
            try:
                self._add(source, _load_entry_point(ep, source))
            except ConnectorError as exc:
                self.load_errors.append(exc)
                log.warning("connector refused: %s", exc.message)

    # -- loading -------------------------------------------------------------------------

    def add(self, plugin: object, source: str | None = None) -> str:
        """Load one more connector object (checked like any other); return its id."""
        return self._add(source or _describe(plugin), plugin)

    def _add(self, source: str, plugin: object) -> str:
        pm = pluggy.PluginManager(_hookspecs.PROJECT_NAME)
        pm.add_hookspecs(_hookspecs)
        try:
            pm.register(plugin, name=source)
        except (ValueError, pluggy.PluginValidationError) as exc:
            raise ConnectorError(
                ErrorCode.INVALID_METADATA, f"connector {source} does not fit the hooks: {exc}"
            ) from None
        try:
            meta = pm.hook.connector_metadata()
            schema = pm.hook.connector_config_schema()
        except Exception as exc:
            raise ConnectorError(
                ErrorCode.INVALID_METADATA,
                f"connector {source} failed to describe itself ({type_name(exc)}: {exc})",
            ) from None
        if not isinstance(meta, dict):
            raise ConnectorError(
                ErrorCode.INVALID_METADATA,
                f"connector {source}: connector_metadata() must return an object",
            )
        _check_metadata(source, meta)
        _check_config_schema(source, schema)
        connector_id = meta["id"]
        if connector_id in self._by_id:
            other = self._by_id[connector_id].source
            raise ConnectorError(
                ErrorCode.INVALID_METADATA,
                f"two connectors have the id {connector_id!r}: {other} and {source}; "
                "uninstall one of them",
                {"connectorId": connector_id, "sources": [other, source]},
            )
        self._by_id[connector_id] = _Loaded(connector_id, source, pm, meta, schema)  # type: ignore[arg-type]
        self._aliases.setdefault(meta["target"], connector_id)
        return str(connector_id)

    def _get(self, connector_id: str) -> _Loaded:
        loaded = self._by_id.get(connector_id) or self._by_id.get(
            self._aliases.get(connector_id, "")
        )
        if loaded is None:
            raise UnknownConnectorError(connector_id, self.ids())
        return loaded

    # -- what a console shows -------------------------------------------------------------

    def ids(self) -> list[str]:
        """The ids of every loaded connector, sorted."""
        return sorted(self._by_id)

    def source(self, connector_id: str) -> str:
        """Where a connector came from (its entry point, or the object given)."""
        return self._get(connector_id).source

    def metadata(self, connector_id: str, *, resolve: bool = False) -> ConnectorMetadata:
        """A copy of a connector's metadata (by id or target).

        With ``resolve=True`` the logo becomes a ``data:`` URI and the readme its text, as
        a console needs them (what Logto's core does when it loads a connector).
        """
        loaded = self._get(connector_id)
        meta: dict[str, Any] = json.loads(json.dumps(loaded.meta))
        if resolve:
            for key in ("logo", "logoDark"):
                if isinstance(meta.get(key), str):
                    meta[key] = _resolve_logo(loaded.pm, meta[key])
            readme = _read_resource(loaded.pm, meta["readme"])
            if readme is not None:
                meta["readme"] = readme.decode("utf-8", errors="replace")
        return meta  # type: ignore[return-value]

    def config_schema(self, connector_id: str) -> dict[str, Any]:
        """A copy of the JSON Schema a connector's config must satisfy."""
        schema: dict[str, Any] = json.loads(json.dumps(self._get(connector_id).config_schema))
        return schema

    # -- validation and sending ------------------------------------------------------------

    def check_config(self, connector_id: str, config: object) -> ConfigReport:
        """The verdict on a config: its errors and its warnings; nothing is raised.

        A config with warnings only is usable (``report.ok``); an admin console and a
        gateway show the warnings where they show errors.
        """
        loaded = self._get(connector_id)
        if isinstance(config, Mapping) and not isinstance(config, dict):
            config = dict(config)  # a Mapping is what the API promises; the schema wants a dict
        key = config_fingerprint(config)
        if key is not None:
            warnings = loaded.valid.get(key)
            if warnings is not None:
                assert isinstance(config, Mapping)
                return ConfigReport(loaded.connector_id, config, (), warnings)
        checker = loaded.checker
        if not checker.is_valid(config):
            return ConfigReport(loaded.connector_id, None, tuple(checker.problems(config)))
        assert isinstance(config, Mapping)
        found = _connector_problems(loaded, config)
        errors = tuple(p for p in found if p.severity == "error")
        warnings = tuple(p for p in found if p.severity == "warning")
        if errors:
            return ConfigReport(loaded.connector_id, None, errors, warnings)
        if key is not None:
            loaded.valid.put(key, warnings)
        return ConfigReport(loaded.connector_id, config, (), warnings)

    def config_problems(self, connector_id: str, config: object) -> list[Problem]:
        """Every error of a config (empty when it is usable); nothing is raised.  Warnings
        are left out: :meth:`check_config` gives both."""
        return list(self.check_config(connector_id, config).errors)

    def validate_config(self, connector_id: str, config: object) -> Mapping[str, Any]:
        """Return the config when it has no errors; else raise ``ConnectorError(invalid_config)``
        listing every problem with its path (``data``: ``problems``, ``warnings``).  Secrets
        are never quoted."""
        return self.check_config(connector_id, config).raise_for_errors()

    def validate_request(self, to: object, type: object, payload: object) -> None:
        """Check a send request (``to``, ``type``, ``payload``) against the send-request schema."""
        if plainly_valid(to, type, payload):
            return
        if isinstance(payload, Mapping) and not isinstance(payload, dict):
            payload = dict(payload)  # e.g. a MappingProxyType: the API promises any Mapping
        request = {"to": to, "type": type, "payload": payload}
        checker = _request_checker()
        if not checker.is_valid(request):
            raise problems_error(
                ErrorCode.INVALID_REQUEST_PARAMETERS, "send request", checker.problems(request)
            )

    def send_message(
        self,
        connector_id: str,
        config: object,
        *,
        to: str,
        type: str,
        payload: Mapping[str, Any],
    ) -> SendResult:
        """Validate the config and the request, then send through exactly that connector."""
        loaded = self._get(connector_id)
        valid_config = self.validate_config(loaded.connector_id, config)
        self.validate_request(to, str(type), payload)
        result = _invoke(
            loaded,
            "send messages",
            "send_message",
            to=to,
            type=str(type),
            payload=payload,
            config=valid_config,
        )
        if not isinstance(result, SendResult):
            raise ConnectorError(
                ErrorCode.INVALID_RESPONSE,
                f"connector {loaded.connector_id} returned {type_name(result)}, not a SendResult",
            )
        return result

    # -- account checks and delivery receipts (optional hooks) -----------------------------

    def recipient_number(self, connector_id: str, config: Mapping[str, Any], to: str) -> str | None:
        """The E.164 number a send of ``to`` under this (validated) config would go to, or
        ``None`` when the connector cannot say.  Raises the connector's ``ConnectorError``
        for a number a send would refuse."""
        loaded = self._get(connector_id)
        try:
            number = _invoke(loaded, "read numbers", "recipient_number", to=to, config=config)
        except ConnectorError as exc:
            if exc.code is ErrorCode.NOT_IMPLEMENTED:
                return None
            raise
        if not isinstance(number, str):
            raise ConnectorError(
                ErrorCode.INVALID_RESPONSE,
                f"connector {loaded.connector_id} read a number as something other than text",
            )
        return number

    def check_account(self, connector_id: str, config: object) -> list[CheckFinding]:
        """Check a config against the provider account: one finding per checked item.

        The config is validated first.  Raises ``ConnectorError(not_implemented)`` when the
        connector cannot check accounts, and the connector's error when nothing could be
        checked (wrong credentials, provider unreachable).
        """
        loaded = self._get(connector_id)
        valid_config = self.validate_config(loaded.connector_id, config)
        found = _invoke(loaded, "check accounts", "check_account", config=valid_config)
        return _all_of(loaded, found, CheckFinding)

    def parse_status_callback(self, connector_id: str, body: bytes) -> list[DeliveryReceipt]:
        """The receipts in the body of a provider's status callback (push) request."""
        loaded = self._get(connector_id)
        parsed = _invoke(loaded, "read status callbacks", "parse_status_callback", body=body)
        return _all_of(loaded, parsed, DeliveryReceipt)

    def pull_receipts(
        self, connector_id: str, config: object, limit: int = 100
    ) -> list[DeliveryReceipt]:
        """Up to ``limit`` receipts waiting at the provider; each may come only once, so
        keep them."""
        loaded = self._get(connector_id)
        valid_config = self.validate_config(loaded.connector_id, config)
        pulled = _invoke(loaded, "pull receipts", "pull_receipts", config=valid_config, limit=limit)
        return _all_of(loaded, pulled, DeliveryReceipt)

    def receipts_for_number(
        self,
        connector_id: str,
        config: object,
        phone: str,
        since: float,
        until: float | None = None,
    ) -> list[DeliveryReceipt]:
        """The receipts of one number between two unix times (a look-up, not a queue)."""
        loaded = self._get(connector_id)
        valid_config = self.validate_config(loaded.connector_id, config)
        found = _invoke(
            loaded,
            "look up receipts",
            "receipts_for_number",
            config=valid_config,
            phone=phone,
            since=since,
            until=until,
        )
        return _all_of(loaded, found, DeliveryReceipt)


def _invoke(loaded: _Loaded, ability: str, hook: str, **kwargs: Any) -> Any:
    """Call one hook of one connector: its ConnectorError passes, any other exception is a
    bug (logged, turned into a clean error), and no answer means it lacks the ability."""
    try:
        result = getattr(loaded.pm.hook, hook)(**kwargs)
    except ConnectorError:
        raise
    except Exception as exc:
        # A connector bug: keep the traceback in the log, give the caller a clean error.
        log.warning("connector %s raised %s", loaded.connector_id, type_name(exc), exc_info=True)
        raise ConnectorError(
            ErrorCode.GENERAL,
            f"connector {loaded.connector_id} failed unexpectedly ({type_name(exc)})",
        ) from None
    if result is None:
        raise ConnectorError(
            ErrorCode.NOT_IMPLEMENTED, f"connector {loaded.connector_id} cannot {ability}"
        )
    return result


_T = TypeVar("_T")


def _all_of(loaded: _Loaded, items: Any, kind: type[_T]) -> list[_T]:
    """A hook's answer as a list, each item checked to be a ``kind``."""
    answer = list(items) if isinstance(items, Iterable) else [items]
    if not all(isinstance(item, kind) for item in answer):
        raise ConnectorError(
            ErrorCode.INVALID_RESPONSE,
            f"connector {loaded.connector_id} returned something other than "
            f"{kind.__name__} objects",
        )
    return answer


def type_name(value: object) -> str:
    """The class name of a value, for messages that must not quote the value itself."""
    return type(value).__name__


# -- helpers ------------------------------------------------------------------------------


def _connector_problems(loaded: _Loaded, config: Mapping[str, Any]) -> list[Problem]:
    """The connector's own checks (its ``validate_config`` hook), as problems.

    A hook that raises or answers in a shape the hook spec does not allow is a connector bug:
    the caller gets a clean ``ConnectorError`` and the log keeps the traceback.
    """
    cid = loaded.connector_id
    try:
        answer = loaded.pm.hook.validate_config(config=config)
        found = [_as_problem(item) for item in answer or ()]
    except Exception as exc:
        log.warning("connector %s validate_config raised %s", cid, type_name(exc), exc_info=True)
        raise ConnectorError(
            ErrorCode.GENERAL,
            f"connector {cid} failed while checking the config ({type_name(exc)})",
        ) from None
    return found


def _as_problem(item: object) -> Problem:
    if isinstance(item, Problem):
        if item.severity not in SEVERITIES:
            raise ValueError("unknown severity")
        return item
    if isinstance(item, tuple) and len(item) in (2, 3) and all(isinstance(x, str) for x in item):
        severity = item[2] if len(item) == 3 else "error"
        if severity not in SEVERITIES:
            raise ValueError("unknown severity")
        return Problem(item[0], item[1], severity)
    raise TypeError("validate_config must yield Problem objects or (path, message) pairs")


def _load_entry_point(ep: EntryPoint, source: str) -> object:
    try:
        return ep.load()
    except Exception as exc:
        raise ConnectorError(
            ErrorCode.INVALID_METADATA,
            f"cannot load {source}: {type_name(exc)}: {exc}",
        ) from None


def _describe(plugin: object) -> str:
    name = getattr(plugin, "__name__", None) or type_name(plugin)
    return f"plugin {name}"


@functools.cache
def _metadata_checker() -> SchemaChecker:
    return SchemaChecker(load_schema("connector-metadata.schema.json"), root_name="(metadata)")


def _check_metadata(source: str, meta: dict[str, Any]) -> None:
    checker = _metadata_checker()
    problems = [] if checker.is_valid(meta) else checker.problems(meta)
    items = meta.get("formItems")
    items = items if isinstance(items, list) else []
    keys = [item.get("key") for item in items if isinstance(item, dict)]
    problems += [
        Problem("formItems", f"key {key!r} appears more than once")
        for key in sorted({k for k in keys if keys.count(k) > 1}, key=str)
    ]
    if problems:
        raise problems_error(ErrorCode.INVALID_METADATA, f"metadata of {source}", problems)


def _check_config_schema(source: str, schema: object) -> None:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    if not isinstance(schema, dict):
        raise ConnectorError(
            ErrorCode.INVALID_METADATA,
            f"connector {source}: connector_config_schema() must return an object",
        )
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = format_schema_path(exc.absolute_path)
        raise ConnectorError(
            ErrorCode.INVALID_METADATA,
            f"connector {source}: its config schema is not valid JSON Schema 2020-12 "
            f"at {where}: {exc.message}",
        ) from None


def format_schema_path(parts: Iterable[object]) -> str:
    """A schema location as ``/properties/x`` (a JSON pointer)."""
    return "/" + "/".join(str(p) for p in parts)


@functools.cache
def _request_checker() -> SchemaChecker:
    return SchemaChecker(load_schema("send-request.schema.json"), root_name="(request)")


def _read_resource(pm: pluggy.PluginManager, path: str) -> bytes | None:
    if path.startswith(("data:", "https:", "http:")):
        return None
    data = pm.hook.connector_resource(path=path)
    return data if isinstance(data, bytes) else None


def _resolve_logo(pm: pluggy.PluginManager, path: str) -> str:
    import base64
    import mimetypes

    data = _read_resource(pm, path)
    if data is None:
        return path
    mime = mimetypes.guess_type(path)[0] or "application/octet-stream"
    if path.endswith(".svg"):
        mime = "image/svg+xml"
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
