"""A validated config turned into the settings one send needs.

The JSON an admin pasted stays a plain mapping everywhere else; this is the one place that
reads it.  The secret lives in a field that no repr shows.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from ..kit import (
    Problem,
    TemplateType,
    closest,
    format_path,
    load_schema,
    unknown_key_problem,
)
from .phone import Route

DEFAULT_PARAMS = ("code",)
#: The ``phoneFormat`` value that reads bare 11-digit ``1…`` numbers as mainland mobiles first.
MAINLAND_FIRST = "mainlandFirst"
# Tencent API keys are ASCII; the SecretId travels in the Authorization header, where any
# other character would break the request rather than be refused by Tencent.
_API_KEY = re.compile(r"[\x21-\x7e]+")
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?")
# Tencent template IDs are digits; anything else (the form's "<template-code>") is unset.
_TEMPLATE_ID = re.compile(r"[0-9]{1,20}")
_PLACEHOLDER = re.compile(r"<[^<>]*>")
GENERIC = TemplateType.GENERIC.value
_USAGE_TYPES = [t.value for t in TemplateType if t is not TemplateType.TEST]
_TEMPLATE_KEYS = ["usageType", "templateCode", "params"]
_INTERNATIONAL_KEYS = ["sdkAppId", "signName", "templates"]


@dataclass(frozen=True)
class Template:
    """One approved Tencent template and the payload keys that fill its ``{1}``, ``{2}``…"""

    usage_type: str
    template_id: str
    params: tuple[str, ...] = DEFAULT_PARAMS


@dataclass(frozen=True)
class RouteSettings:
    """The app, sign and templates that serve one route (mainland or international)."""

    name: Route
    sdk_app_id: str
    sign_name: str | None
    templates: Mapping[str, Template]


@dataclass(frozen=True)
class Settings:
    """Everything one send needs, read from a validated config."""

    secret_id: str
    secret_key: str = field(repr=False)
    region: str
    endpoint: str
    host: str
    ca_bundle: str | None
    connect_timeout: float
    read_timeout: float
    send_timeout: float
    mainland: RouteSettings
    international: RouteSettings

    def route(self, name: Route) -> RouteSettings:
        """The settings serving ``name``."""
        return self.mainland if name == "mainland" else self.international


@functools.cache
def _schema_defaults() -> dict[str, Any]:
    """The ``default`` of each optional setting: the config schema is the one place for them."""
    properties = load_schema("tencent-sms.config.schema.json")["properties"]
    return {key: prop["default"] for key, prop in properties.items() if "default" in prop}


def read_settings(config: Mapping[str, Any]) -> Settings:
    """Build :class:`Settings` from a config that has passed the schema and :func:`problems`."""
    config = {**_schema_defaults(), **config}
    endpoint = str(config["endpoint"]).rstrip("/")
    mainland = RouteSettings(
        "mainland", config["sdkAppId"], config["signName"], _templates(config["templates"])
    )
    intl_block = config.get("international")
    if not intl_block:  # absent, or {} as Logto's console saves an untouched field
        international = RouteSettings(
            "international", mainland.sdk_app_id, mainland.sign_name, mainland.templates
        )
    else:
        international = RouteSettings(
            "international",
            intl_block.get("sdkAppId", mainland.sdk_app_id),
            intl_block.get("signName"),
            _templates(intl_block["templates"]),
        )
    return Settings(
        secret_id=config["accessKeyId"],
        secret_key=config["accessKeySecret"],
        region=config["region"],
        endpoint=endpoint,
        host=urlsplit(endpoint).netloc.lower(),
        ca_bundle=config.get("caBundle"),
        connect_timeout=float(config["connectTimeout"]),
        read_timeout=float(config["readTimeout"]),
        send_timeout=float(config["sendTimeout"]),
        mainland=mainland,
        international=international,
    )


def _templates(items: Sequence[Mapping[str, Any]]) -> dict[str, Template]:
    """The template of each usage type: the first entry wins, as in Logto; an entry whose
    templateCode is not a template ID (a placeholder) leaves its type unset."""
    found: dict[str, Template] = {}
    for item in items:
        usage = item["usageType"]
        if usage in found or not _TEMPLATE_ID.fullmatch(item["templateCode"]):
            continue
        found[usage] = Template(
            usage, item["templateCode"], tuple(item.get("params", DEFAULT_PARAMS))
        )
    return found


def problems(config: Mapping[str, Any]) -> Iterator[Problem]:
    """What the schema cannot say, in the order the keys appear in the config.

    Errors: a form placeholder left in a key or the sign, characters no API key has, control
    characters or line breaks in a sign, a Generic template without a template ID, an unsafe
    endpoint, a missing CA file.  Warnings: unknown keys (ignored), placeholder or non-numeric
    template IDs (that type uses Generic), repeated usage types (the first wins, as in
    Logto), usage types no flow sends.
    """
    known = list(_schema_properties())
    for key, value in config.items():
        if key in ("accessKeyId", "accessKeySecret", "signName") and _PLACEHOLDER.fullmatch(value):
            # Logto's form shows "<access-key-id>" and the like; left in, every send fails.
            yield Problem(key, "is still the form's placeholder; enter the real value")
        elif key in ("accessKeyId", "accessKeySecret"):
            if not _API_KEY.fullmatch(value):
                # Never quote the value: for the secret that would be a leak.
                yield Problem(
                    key,
                    "has a character no Tencent API key has (a space, a look-alike "
                    "letter or an invisible one); copy it again from the console",
                )
        elif key == "signName":
            yield from _control_characters(["signName"], value)
        elif key == "templates":
            yield from _template_problems(["templates"], value)
        elif key == "international" and value:
            yield from _international_problems(value)
        elif key == "endpoint":
            reason = endpoint_problem(value)
            if reason:
                yield Problem("endpoint", reason)
        elif key == "caBundle":
            if not os.path.isfile(value):
                yield Problem(
                    "caBundle", "no such file; give the path of a PEM file with the CA certificates"
                )
        elif key not in known:
            yield unknown_key_problem(
                [], key, known, severity="warning", root="(config)", ignored=True
            )


@functools.cache
def _schema_properties() -> dict[str, Any]:
    properties: dict[str, Any] = load_schema("tencent-sms.config.schema.json")["properties"]
    return properties


def _international_problems(block: Mapping[str, Any]) -> Iterator[Problem]:
    for key, value in block.items():
        if key == "signName":
            yield from _control_characters(["international", "signName"], value)
        elif key == "templates":
            yield from _template_problems(["international", "templates"], value)
        elif key not in _INTERNATIONAL_KEYS:
            yield unknown_key_problem(
                ["international"],
                key,
                _INTERNATIONAL_KEYS,
                severity="warning",
                ignored=True,
            )


def _control_characters(parts: list[str | int], text: object) -> Iterator[Problem]:
    # Cc/Cf: control and invisible formatting characters; Zl/Zp: U+2028 and U+2029, line
    # and paragraph separators that a schema's "no line breaks" must also mean.
    if isinstance(text, str) and any(
        unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text
    ):
        yield Problem(
            format_path(parts),
            "has a control character, a line break or an invisible formatting character; "
            "type the sign name again exactly as the SMS console shows it",
        )


def _template_problems(
    parts: list[str | int], templates: Sequence[Mapping[str, Any]]
) -> Iterator[Problem]:
    """Each entry in turn: unknown keys, unknown or repeated usage types, template IDs."""
    where = format_path(parts)
    first: dict[str, int] = {}
    for index, item in enumerate(templates):
        at = [*parts, index]
        usage, code = item["usageType"], item["templateCode"]
        for key in item:
            if key not in _TEMPLATE_KEYS:
                yield unknown_key_problem(at, key, _TEMPLATE_KEYS, severity="warning", ignored=True)
        usage_path = format_path([*at, "usageType"])
        if usage in first:
            yield Problem(
                usage_path,
                f"{usage} already has a template ({where}[{first[usage]}]); the first one is "
                "used and this one ignored, as in Logto; keep one template per usageType",
                "warning",
            )
            continue
        first[usage] = index
        if usage == TemplateType.TEST.value:
            yield Problem(
                usage_path,
                "Test is deprecated and no flow sends it; this template is never used",
                "warning",
            )
        elif usage not in _USAGE_TYPES:
            hint = closest(usage, _USAGE_TYPES) if len(usage) <= 64 else None
            advice = f"did you mean {hint!r}?" if hint else "use one of " + ", ".join(_USAGE_TYPES)
            yield Problem(
                usage_path,
                f"is not a usage type any flow sends, so this template is never used; {advice}",
                "warning",
            )
        if not _TEMPLATE_ID.fullmatch(code):
            yield _template_code_problem([*at, "templateCode"], usage, code)


def _template_code_problem(parts: list[str | int], usage: str, code: str) -> Problem:
    what = "is empty" if code == "" else "is not a template ID (digits from the SMS console)"
    if _PLACEHOLDER.fullmatch(code):
        what = "is still a placeholder"
    if usage == GENERIC:
        return Problem(
            format_path(parts),
            f"{what}; the Generic template serves every type without its own, so it needs "
            "the ID of an approved template",
        )
    return Problem(
        format_path(parts),
        f"{what}, so {usage} counts as unset and its messages use the Generic template; "
        "give its template ID, or remove the entry",
        "warning",
    )


def endpoint_problem(endpoint: str) -> str | None:
    """Why an endpoint is unsafe or malformed, or ``None`` when it is fine.

    https to any host; plain http only to a loopback address (the emulator), since the
    request carries a signature over the message.  No user info, path, query or fragment.
    """
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:
        return "is not a valid URL; use e.g. https://sms.tencentcloudapi.com"
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "must be an https:// URL, e.g. https://sms.tencentcloudapi.com"
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        return "must not contain a user name or password"
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return "must be just scheme, host and optional port (no path, query or fragment)"
    if port == 0:
        return "has port 0; give a real port or none"
    if not (_is_ip(parts.hostname) or _HOST_NAME.fullmatch(parts.hostname)):
        return (
            "the host must be a DNS name or an IP address in ASCII (an international "
            "domain name goes in its xn-- form)"
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        return "plain http is only allowed to a loopback address; use https"
    return None


def _is_ip(hostname: str) -> bool:
    try:
        ipaddress.ip_address(hostname)
    except ValueError:
        return False
    return True


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False
