"""Two severities: errors refuse a config, warnings leave it usable; both reach every caller.

Also the regression tests of issue 10's validation defects (2, 5, 9, 10).
"""

from __future__ import annotations

import copy
import json
import types
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from connector.kit import (
    ConfigReport,
    ConnectorError,
    ConnectorHost,
    ErrorCode,
    Problem,
    hookimpl,
)
from connector.tencent_sms import CONNECTOR_ID
from tests.conftest import NINE_TYPES
from tests.echo_connector import EchoConnector

PLACEHOLDER = "<template-code>"


def _report(host: ConnectorHost, config: object) -> ConfigReport:
    return host.check_config(CONNECTOR_ID, config)


def _paths(problems: tuple[Problem, ...]) -> list[str]:
    return [p.path for p in problems]


# -- the report ------------------------------------------------------------------------------


def test_a_clean_config_has_neither_errors_nor_warnings(
    host: ConnectorHost, logto_config: dict[str, Any]
) -> None:
    report = _report(host, logto_config)
    assert (report.ok, report.errors, report.warnings) == (True, (), ())
    assert report.config is logto_config
    assert logto_config["accessKeySecret"] not in repr(report) + json.dumps(report.to_dict())
    assert report.to_dict() == {
        "ok": True,
        "connectorId": CONNECTOR_ID,
        "errors": [],
        "warnings": [],
    }


def test_logtos_form_default_with_placeholders_is_usable_with_a_warning_per_type(
    host: ConnectorHost, logto_config: dict[str, Any]
) -> None:
    # What an admin migrating from Logto has: the nine-entry form default, real codes only
    # where they send.
    real = {t["usageType"]: t["templateCode"] for t in logto_config["templates"]}
    logto_config["templates"] = [
        {"usageType": t, "templateCode": real.get(t, PLACEHOLDER)} for t in NINE_TYPES
    ]
    report = _report(host, logto_config)
    assert report.ok
    assert report.config is logto_config
    assert _paths(report.warnings) == [f"templates[{i}].templateCode" for i in (3, 5, 6, 7, 8)]
    assert all(w.severity == "warning" for w in report.warnings)
    assert "MfaVerification counts as unset" in report.warnings[3].message
    # The warnings do not stop anything: validate_config and config_problems are content.
    assert host.validate_config(CONNECTOR_ID, logto_config) is logto_config
    assert host.config_problems(CONNECTOR_ID, logto_config) == []
    doc = report.to_dict()
    assert doc["ok"] is True and len(doc["warnings"]) == 5
    assert doc["warnings"][0]["severity"] == "warning"


def test_a_placeholder_generic_template_is_an_error(
    host: ConnectorHost, logto_config: dict[str, Any]
) -> None:
    logto_config["templates"][3]["templateCode"] = PLACEHOLDER
    report = _report(host, logto_config)
    assert not report.ok and report.config is None
    assert _paths(report.errors) == ["templates[3].templateCode"]
    assert report.errors[0].severity == "error"
    with pytest.raises(ConnectorError) as info:
        host.validate_config(CONNECTOR_ID, logto_config)
    assert info.value.code is ErrorCode.INVALID_CONFIG
    assert [p["path"] for p in info.value.data["problems"]] == ["templates[3].templateCode"]


def test_an_error_carries_the_warnings_along(
    host: ConnectorHost, logto_config: dict[str, Any]
) -> None:
    logto_config["templates"][3]["templateCode"] = PLACEHOLDER  # error
    logto_config["templates"][0]["templateCode"] = PLACEHOLDER  # warning
    with pytest.raises(ConnectorError) as info:
        host.validate_config(CONNECTOR_ID, logto_config)
    assert [p["path"] for p in info.value.data["problems"]] == ["templates[3].templateCode"]
    assert [p["path"] for p in info.value.data["warnings"]] == ["templates[0].templateCode"]


def _template(config: dict[str, Any], usage: str) -> dict[str, Any]:
    found: dict[str, Any] = next(t for t in config["templates"] if t["usageType"] == usage)
    return found


def test_a_placeholder_type_is_sent_with_the_generic_template(
    host: ConnectorHost, emulator: Any
) -> None:
    config = emulator.connector_config()
    _template(config, "SignIn")["templateCode"] = PLACEHOLDER
    result = host.send_message(
        CONNECTOR_ID, config, to="8613800138000", type="SignIn", payload={"code": "123456"}
    )
    assert result.detail["templateId"] == _template(config, "Generic")["templateCode"]


def test_a_repeated_usage_type_keeps_the_first_as_logto_does(
    host: ConnectorHost, emulator: Any
) -> None:
    config = emulator.connector_config()
    first, generic = _template(config, "SignIn"), _template(config, "Generic")
    config["templates"].append({"usageType": "SignIn", "templateCode": generic["templateCode"]})
    report = _report(host, config)
    assert report.ok
    assert _paths(report.warnings) == [f"templates[{len(config['templates']) - 1}].usageType"]
    result = host.send_message(
        CONNECTOR_ID, config, to="8613800138000", type="SignIn", payload={"code": "123456"}
    )
    assert result.detail["templateId"] == first["templateCode"]


@pytest.mark.parametrize(
    ("usage", "words"),
    [
        ("Signup", "never used; did you mean"),
        ("", "never used"),
        ("Test", "deprecated"),
    ],
)
def test_a_usage_type_no_flow_sends_is_a_warning(
    host: ConnectorHost, logto_config: dict[str, Any], usage: str, words: str
) -> None:
    logto_config["templates"].append({"usageType": usage, "templateCode": "1234571"})
    report = _report(host, logto_config)
    assert report.ok
    assert _paths(report.warnings) == ["templates[4].usageType"]
    assert words in report.warnings[0].message


@pytest.mark.parametrize("value", [{}, None])
def test_an_empty_international_block_means_not_set(
    host: ConnectorHost, emulator: Any, value: object
) -> None:
    config = emulator.connector_config()
    config.pop("international", None)
    if value is not None:
        config["international"] = value  # what Logto's console saves for an untouched field
    assert _report(host, config).to_dict()["errors"] == []
    result = host.send_message(
        CONNECTOR_ID, config, to="+8613800138000", type="SignIn", payload={"code": "123456"}
    )
    assert result.detail["route"] == "mainland"


def test_a_cached_verdict_keeps_its_warnings(
    host: ConnectorHost, logto_config: dict[str, Any]
) -> None:
    logto_config["note"] = "kept for the admin"
    first = _report(host, logto_config)
    again = _report(host, copy.deepcopy(logto_config))
    assert first.warnings == again.warnings and _paths(again.warnings) == ["note"]


# -- issue 10's defects ------------------------------------------------------------------------


def test_defect_2_a_secret_pasted_as_a_key_is_never_quoted_whole(
    host: ConnectorHost, logto_config: dict[str, Any]
) -> None:
    secret = "Zq8sL2vN4xT6wY1bC3dF5gH7jK9mP0rS"
    logto_config[secret] = "accessKeySecret"
    logto_config["templates"][1][secret] = "x"
    report = _report(host, logto_config)
    text = json.dumps(report.to_dict()) + "".join(str(p) for p in report.warnings)
    assert secret[:8] not in text
    assert "unknown key of 32 characters" in text
    assert _paths(report.warnings) == ["templates[1]", "(config)"]  # document order
    # A schema's own unknown-key refusal (another connector's additionalProperties: false)
    echo = ConnectorHost(plugins=[EchoConnector()])
    with pytest.raises(ConnectorError) as info:
        echo.validate_config("echo-sms", {"prefix": "p", secret: "x"})
    assert secret[:8] not in json.dumps(info.value.to_dict()) + str(info.value)
    # A short key or a typo is still named, so an admin can find it.
    assert _paths(_report(host, {**logto_config, "signname": "A"}).warnings)[-1] == "signname"


@pytest.mark.parametrize(
    "hook_result",
    [KeyError("accessKeyId"), ValueError("bad"), [("path",)], [42], [("p", "m", "fatal")]],
)
def test_defect_5_a_validate_config_hook_that_fails_is_a_clean_error(
    hook_result: object,
) -> None:
    class Broken(EchoConnector):
        @hookimpl
        def validate_config(self, config: Mapping[str, Any]) -> Any:
            if isinstance(hook_result, Exception):
                raise hook_result
            return hook_result

    host = ConnectorHost(plugins=[Broken()])
    with pytest.raises(ConnectorError) as info:
        host.check_config("echo-sms", {"prefix": "p"})
    assert info.value.code is ErrorCode.GENERAL
    assert "echo-sms failed while checking the config" in info.value.message
    with pytest.raises(ConnectorError):
        host.send_message(
            "echo-sms", {"prefix": "p"}, to="8613800138000", type="SignIn", payload={"code": "1"}
        )


def test_a_hook_may_answer_with_problems_pairs_or_triples() -> None:
    class Checks(EchoConnector):
        @hookimpl
        def validate_config(self, config: Mapping[str, Any]) -> Iterator[object]:
            yield Problem("prefix", "looks odd", "warning")
            yield ("prefix", "is too loud", "warning")
            if config["prefix"] == "bad":
                yield ("prefix", "is bad")

    host = ConnectorHost(plugins=[Checks()])
    report = host.check_config("echo-sms", {"prefix": "p"})
    assert report.ok and [w.message for w in report.warnings] == ["looks odd", "is too loud"]
    bad = host.check_config("echo-sms", {"prefix": "bad"})
    assert [(e.path, e.message, e.severity) for e in bad.errors] == [("prefix", "is bad", "error")]


def test_defect_9_a_repeat_inside_international_is_reported_at_its_own_path(
    host: ConnectorHost, logto_config: dict[str, Any]
) -> None:
    logto_config["international"] = {
        "templates": [
            {"usageType": "Generic", "templateCode": "2234570"},
            {"usageType": "Generic", "templateCode": "2234571"},
        ]
    }
    report = _report(host, logto_config)
    assert _paths(report.warnings) == ["international.templates[1].usageType"]
    assert "(international.templates[0])" in report.warnings[0].message


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\u0085", "\n"])
@pytest.mark.parametrize("where", ["signName", "international.signName"])
def test_defect_9_a_sign_with_a_line_separator_is_refused(
    host: ConnectorHost, logto_config: dict[str, Any], separator: str, where: str
) -> None:
    sign = f"Acme{separator}Inc"
    if where == "signName":
        logto_config["signName"] = sign
    else:
        logto_config["international"] = {
            "signName": sign,
            "templates": [{"usageType": "Generic", "templateCode": "2234570"}],
        }
    report = _report(host, logto_config)
    assert _paths(report.errors) == [where]
    assert "line break" in report.errors[0].message


def test_defect_9_problems_come_in_document_order(
    host: ConnectorHost, logto_config: dict[str, Any]
) -> None:
    config = {"region": "AP", "signName": " Acme", **logto_config}
    config["region"], config["signName"] = "AP", " Acme"
    config["templates"] = [
        {"usageType": "Generic", "templateCode": str(i)} for i in range(12)
    ] + logto_config["templates"]
    config["templates"][2]["templateCode"] = 2
    config["templates"][10]["templateCode"] = 10
    report = _report(host, config)
    assert _paths(report.errors) == [
        "region",
        "signName",
        "templates[2].templateCode",
        "templates[10].templateCode",
    ]
    # And the connector's own checks, in the order the config has them.
    ordered = copy.deepcopy(logto_config)
    ordered["templates"] = [
        {"usageType": "SignIn", "templateCode": PLACEHOLDER},
        *logto_config["templates"],
    ] + [{"usageType": "BindMfa", "templateCode": PLACEHOLDER} for _ in range(10)]
    warnings = _paths(_report(host, ordered).warnings)
    assert warnings[:3] == [
        "templates[0].templateCode",  # the first SignIn, a placeholder
        "templates[2].usageType",  # SignIn again
        "templates[5].templateCode",  # the first BindMfa
    ]
    assert warnings[-1] == "templates[14].usageType"


def test_defect_10_a_mapping_payload_that_is_not_a_dict_is_accepted(
    host: ConnectorHost, emulator: Any
) -> None:
    payload = types.MappingProxyType({"code": "123456"})
    host.validate_request("8613800138000", "SignIn", payload)
    odd = types.MappingProxyType({"code": "123456", "locale": "zh-CN"})
    result = host.send_message(
        CONNECTOR_ID, emulator.connector_config(), to="8613800138000", type="SignIn", payload=odd
    )
    assert result.to == "+8613800138000"
    config = types.MappingProxyType(emulator.connector_config())
    assert host.check_config(CONNECTOR_ID, config).ok
