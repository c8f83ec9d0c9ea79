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

from ..kit import load_schema
from .phone import Route

DEFAULT_PARAMS = ("code",)
# Tencent API keys are ASCII; the SecretId travels in the Authorization header, where any
# other character would break the request rather than be refused by Tencent.
_API_KEY = re.compile(r"[\x21-\x7e]+")
_HOST_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*\.?")


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
    if intl_block is None:
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
    return {
        item["usageType"]: Template(
            item["usageType"], item["templateCode"], tuple(item.get("params", DEFAULT_PARAMS))
        )
        for item in items
    }


def problems(config: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """What the schema cannot say: the keys' characters, control characters in the sign,
    repeated usage types, the endpoint's safety, the CA file."""
    for key in ("accessKeyId", "accessKeySecret"):
        if not _API_KEY.fullmatch(config[key]):
            # Never quote the value: for the secret that would be a leak.
            yield (
                key,
                (
                    "has a character no Tencent API key has (a space, a look-alike "
                    "letter or an invisible one); copy it again from the console"
                ),
            )
    yield from _control_characters("signName", config["signName"])
    yield from _duplicate_types("templates", config["templates"])
    intl = config.get("international")
    if isinstance(intl, Mapping):
        yield from _control_characters("international.signName", intl.get("signName"))
        yield from _duplicate_types("international.templates", intl["templates"])
    if "endpoint" in config:
        reason = endpoint_problem(config["endpoint"])
        if reason:
            yield "endpoint", reason
    ca_bundle = config.get("caBundle")
    if ca_bundle is not None and not os.path.isfile(ca_bundle):
        yield "caBundle", "no such file; give the path of a PEM file with the CA certificates"


def _control_characters(path: str, text: object) -> Iterator[tuple[str, str]]:
    if isinstance(text, str) and any(unicodedata.category(c) in ("Cc", "Cf") for c in text):
        yield (
            path,
            (
                "has a control or invisible formatting character; type the sign name "
                "again exactly as the SMS console shows it"
            ),
        )


def _duplicate_types(
    path: str, templates: Sequence[Mapping[str, Any]]
) -> Iterator[tuple[str, str]]:
    seen: dict[str, int] = {}
    for index, item in enumerate(templates):
        usage = item["usageType"]
        if usage in seen:
            yield (
                f"{path}[{index}].usageType",
                f"{usage} already has a template (templates[{seen[usage]}]); "
                "keep one template per usageType",
            )
        else:
            seen[usage] = index


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
