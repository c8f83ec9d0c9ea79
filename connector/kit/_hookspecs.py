"""The hooks a connector implements.  These docstrings are the connector author's guide.

A connector is any object (a module, a class instance) whose methods are marked with
:data:`hookimpl` and named after the hooks below.  Publish it through the entry-point group
``logto.connectors``::

    [project.entry-points."logto.connectors"]
    my-sms = "my_package.plugin:connector"

Each connector is loaded into a plugin manager of its own, so a host calls exactly the
connector it names; a connector never sees another's calls.

A connector imports only what ``connector.kit`` exports (``make lint`` refuses
``connector.kit._*`` elsewhere).  Besides the names below, that is :class:`SendResult`,
:class:`ConnectorError` and :class:`ErrorCode`; :class:`FingerprintCache` and
:func:`config_fingerprint`, to keep per-config state (a client and its connection pool) keyed
by a digest rather than by the config and its secret; and :func:`read_data` /
:func:`load_schema`, for the schemas and metadata files this distribution ships.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import pluggy

from ._check import CheckFinding
from ._receipts import DeliveryReceipt
from ._types import ConnectorMetadata, SendResult
from ._validation import Problem

PROJECT_NAME = "logto_connector"
_F = TypeVar("_F", bound=Callable[..., Any])

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
#: Mark a connector's implementation of a hook: ``@hookimpl def send_message(...)``.
hookimpl: Callable[[_F], _F] = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec(firstresult=True)
def connector_metadata() -> ConnectorMetadata:  # type: ignore[empty-body]
    """Return the connector's metadata in Logto's ``ConnectorMetadata`` shape.

    Required keys: ``id`` (unique among loaded connectors), ``target``, ``platform`` (``None``
    for SMS), ``name`` and ``description`` (objects keyed by language tag, ``en`` required),
    ``logo``, ``logoDark`` and ``readme`` (paths relative to the connector, served through
    :func:`connector_resource`, or ``data:``/``https:`` URIs), and ``formItems`` (the config
    form a console renders).  The host checks it against ``connector-metadata.schema.json``
    when it loads the connector and refuses the connector with a clear error if it does not fit.
    """


@hookspec(firstresult=True)
def connector_config_schema() -> dict[str, Any]:  # type: ignore[empty-body]
    """Return the JSON Schema (draft 2020-12) that the connector's config must satisfy.

    The host checks it against the draft 2020-12 meta-schema at load, compiles it once, and
    validates every config before the connector sees it.  Mark secrets ``writeOnly: true``:
    the host never echoes their values.  ``title``, ``description`` and ``examples`` on each
    property make the messages an admin reads precise.
    """


@hookspec(firstresult=True)
def connector_resource(path: str) -> bytes | None:
    """Return the bytes of a file the metadata names by relative path (logo, readme).

    ``path`` is exactly the string from the metadata, e.g. ``"./logo.svg"``.  Return ``None``
    for a path the connector does not have.  A host uses it to inline the logo as a ``data:``
    URI and the readme as text, the way Logto's console shows them.
    """


@hookspec(firstresult=True)
def validate_config(config: Mapping[str, Any]) -> Iterable[Problem | tuple[str, ...]] | None:
    """Optional: check what a JSON Schema cannot say, on a config that already fits the schema.

    Return one :class:`Problem` per problem (an empty iterable or ``None`` when the config is
    fine), in the order their places appear in the config.  ``path`` is a dotted path such as
    ``"templates[3].usageType"`` (:func:`format_path` builds one).  ``severity`` is
    ``"error"`` when every send would fail or the config is unsafe (the host refuses the
    config), ``"warning"`` when only some sends are affected or something looks wrong (the
    config is accepted and the warning shown wherever errors are).  ``(path, message)`` pairs
    are errors, and ``(path, message, severity)`` triples are accepted too.

    Never put a secret's value in a message, nor an unknown key whole
    (:func:`unknown_key_problem` words that).  Raising is a bug: the host turns it into a
    ``ConnectorError(general)``.
    """


@hookspec(firstresult=True)
def send_message(  # type: ignore[empty-body]
    to: str, type: str, payload: Mapping[str, Any], config: Mapping[str, Any]
) -> SendResult:
    """Send one message and return what the provider answered.

    ``to`` is the recipient as the host got it (Logto sends digits with the country code and
    no ``+``); ``type`` is a :class:`TemplateType` value; ``payload`` holds ``code`` and may
    hold ``locale``, ``uiLocales`` or ``link``; ``config`` has already been validated by the
    host against :func:`connector_config_schema` and :func:`validate_config`.

    Return a :class:`SendResult`: the number as sent, the provider's request id, the number
    of attempts, and in ``detail`` whatever else the provider answered, under the JSON keys a
    host shows (``to_dict()`` merges them in).

    Raise :class:`ConnectorError` for every failure, with the Logto error code that fits, a
    sentence an admin can act on, and the provider's code and request id in ``data``.  Must
    be safe to call from many threads at once.
    """


@hookspec(firstresult=True)
def recipient_number(to: str, config: Mapping[str, Any]) -> str | None:
    """Optional: the number ``send_message(to, …, config)`` would send to, in E.164.

    Read exactly as a send reads it (the same separators, prefixes and config settings), so
    that a host's rules about numbers (country lists, per-number limits) judge the number as
    sent, whatever its spelling.  Raise ``ConnectorError(invalid_request_parameters)`` for a
    number a send would refuse; return ``None`` when the connector cannot say.
    """


@hookspec(firstresult=True)
def check_account(config: Mapping[str, Any]) -> Iterable[CheckFinding] | None:
    """Optional: check a valid config against the provider account, before any user needs it.

    Return one :class:`CheckFinding` per checked item (a sender name, a template…): its
    ``path`` into the config, a ``severity`` (``ok``, ``warning``, ``error``, or
    ``unchecked`` when the account may not use the provider's look-up APIs: that is a
    finding, not a failure), what was found, and what to do in the provider's console.
    Raise :class:`ConnectorError` when nothing could be checked (wrong credentials, network).
    Return ``None`` (or leave the hook out) when the connector cannot check accounts.
    """


@hookspec(firstresult=True)
def parse_status_callback(body: bytes) -> list[DeliveryReceipt] | None:
    """Optional: read the body of the provider's delivery-status callback (push) request.

    Return the receipts it carries (possibly none).  Raise :class:`ConnectorError`
    (``invalid_request_parameters``) for a body that is not the provider's format, saying
    what is wrong without quoting phone numbers.  Return ``None`` when the connector has no
    callback format.
    """


@hookspec(firstresult=True)
def pull_receipts(config: Mapping[str, Any], limit: int) -> list[DeliveryReceipt] | None:
    """Optional: fetch up to ``limit`` receipts waiting at the provider for this config.

    Providers such as Tencent hand each receipt out once: the caller must keep what it gets.
    Return an empty list when none are waiting, ``None`` when the connector cannot pull.
    """


@hookspec(firstresult=True)
def receipts_for_number(
    config: Mapping[str, Any], phone: str, since: float, until: float | None
) -> list[DeliveryReceipt] | None:
    """Optional: look up the receipts of one number (E.164) between two unix times.

    A look-up, not a queue: it does not take receipts away from :func:`pull_receipts`.
    Return ``None`` when the connector cannot look receipts up.
    """
