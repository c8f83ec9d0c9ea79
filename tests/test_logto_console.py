"""What Logto's admin console saves from our form must validate.

The console (packages/console, the connector config form) fills each form item with the
stored value or the item's ``defaultValue`` (a Json item as JSON text), and on save turns the
form back into a config: an empty input is left out, a Number item becomes a number, a Json
item is parsed (``{}`` when the text does not parse), anything else is kept as it is.  A Json
item that starts without any value (no ``defaultValue``) and is never touched blocks the save.
:func:`console_save` follows those rules; the tests save the form untouched, with each item
touched, and with each optional item cleared, and validate what comes out.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import pytest

from connector.kit import ConnectorHost
from connector.tencent_sms import CONNECTOR_ID

UNSET = object()


class SaveBlocked(Exception):
    """The console refuses to save the form (a Json item holds no JSON)."""


def console_form(items: list[dict[str, Any]]) -> dict[str, Any]:
    """The form's starting values: the item's default, a Json item as indented JSON text."""
    form: dict[str, Any] = {}
    for item in items:
        value = item.get("defaultValue", UNSET)
        if item["type"] == "Json" and value is not UNSET:
            value = json.dumps(value, indent=2)
        form[item["key"]] = value
    return form


def console_save(items: list[dict[str, Any]], form: Mapping[str, Any]) -> dict[str, Any]:
    """The config the console saves from the form's values."""
    by_key = {item["key"]: item for item in items}
    config: dict[str, Any] = {}
    for key, value in form.items():
        item = by_key[key]
        if value == "" or (value is UNSET and item["type"] != "Json"):
            continue  # an empty input is left out
        if item["type"] == "Json":
            if value is UNSET:
                raise SaveBlocked(f"{key}: invalid_json_format")
            try:
                config[key] = json.loads(value)
            except ValueError:
                config[key] = {}
        elif item["type"] == "Number":
            number = float(value)
            config[key] = None if math.isnan(number) else number  # JSON has no NaN
        else:
            config[key] = value
    return config


def admin_input() -> dict[str, Any]:
    """What an admin types into the required fields (templates: the form default with the
    four required types filled in, placeholders left in the rest)."""
    return {
        "accessKeyId": "AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA",
        "accessKeySecret": "Gu5t9xGARNpq86cd98joQYCN3Cozk1qA",
        "signName": "Acme",
        "sdkAppId": "1400006666",
        "region": "ap-guangzhou",
    }


@pytest.fixture
def items(host: ConnectorHost) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(json.dumps(host.metadata(CONNECTOR_ID)["formItems"]))
    return found


def _filled(items: list[dict[str, Any]]) -> dict[str, Any]:
    form = console_form(items)
    form.update(admin_input())
    templates = json.loads(form["templates"])
    for number, template in enumerate(templates):
        if template["usageType"] in ("Register", "SignIn", "ForgotPassword", "Generic"):
            template["templateCode"] = str(1234567 + number)
    form["templates"] = json.dumps(templates, indent=2)
    return form


def test_every_optional_item_has_a_default_value(items: list[dict[str, Any]]) -> None:
    assert [i["key"] for i in items if not i.get("required") and "defaultValue" not in i] == []


def test_the_form_saved_untouched_validates(
    host: ConnectorHost, items: list[dict[str, Any]]
) -> None:
    config = console_save(items, _filled(items))
    assert config["international"] == {}  # what Logto's console saves for it
    report = host.check_config(CONNECTOR_ID, config)
    assert report.errors == ()
    # Only the five placeholder template types are worth a word; every default is silent.
    assert {w.path for w in report.warnings} == {
        f"templates[{i}].templateCode" for i in (3, 5, 6, 7, 8)
    }


def test_a_json_item_without_default_would_block_the_save(items: list[dict[str, Any]]) -> None:
    # The rule that makes the defaults necessary: without one the console cannot save at all.
    stripped = [{k: v for k, v in i.items() if k != "defaultValue"} for i in items]
    form = _filled(items)
    form["international"] = UNSET
    with pytest.raises(SaveBlocked):
        console_save(stripped, form)


@pytest.mark.parametrize(
    ("key", "typed"),
    [
        ("international", '{"templates": [{"usageType": "Generic", "templateCode": "2234570"}]}'),
        ("international", "{}"),
        ("international", "not json"),
        ("endpoint", "https://sms.ap-guangzhou.tencentcloudapi.com"),
        ("connectTimeout", "2"),
        ("readTimeout", "7.5"),
        ("sendTimeout", "20"),
        ("phoneFormat", "mainlandFirst"),
    ],
)
def test_each_optional_item_touched_saves_a_valid_config(
    host: ConnectorHost, items: list[dict[str, Any]], key: str, typed: str
) -> None:
    form = _filled(items)
    form[key] = typed
    report = host.check_config(CONNECTOR_ID, console_save(items, form))
    assert report.errors == ()


@pytest.mark.parametrize(
    "key", ["international", "endpoint", "caBundle", "connectTimeout", "phoneFormat"]
)
def test_each_optional_item_cleared_saves_a_valid_config(
    host: ConnectorHost, items: list[dict[str, Any]], key: str
) -> None:
    form = _filled(items)
    form[key] = ""
    config = console_save(items, form)
    assert key not in config
    assert host.check_config(CONNECTOR_ID, config).errors == ()


def test_each_default_on_its_own_is_valid_and_silent(
    host: ConnectorHost, items: list[dict[str, Any]], logto_config: dict[str, Any]
) -> None:
    for item in items:
        if item.get("required"):
            continue
        config = console_save(items, console_form([item]))
        report = host.check_config(CONNECTOR_ID, {**logto_config, **config})
        assert (report.errors, report.warnings) == ((), ()), item["key"]
