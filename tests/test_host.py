"""The host: discovery, load-time checks, validation messages, dispatch to exactly one connector."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from connector.kit import (
    ConnectorError,
    ConnectorHost,
    ErrorCode,
    UnknownConnectorError,
    hookimpl,
)
from connector.tencent_sms import CONNECTOR_ID, TencentSmsConnector
from tests.echo_connector import METADATA, EchoConnector


def test_discovers_the_installed_entry_point() -> None:
    host = ConnectorHost()
    assert CONNECTOR_ID in host.ids()
    assert "entry point 'tencent-short-message-service'" in host.source(CONNECTOR_ID)
    assert host.metadata("tencent-sms")["id"] == CONNECTOR_ID  # target works as an alias


def test_metadata_is_logtos() -> None:
    meta = ConnectorHost().metadata(CONNECTOR_ID)
    assert (meta["id"], meta["target"], meta["platform"]) == (
        "tencent-short-message-service",
        "tencent-sms",
        None,
    )
    assert meta["name"]["en"] == "Tencent Short Message Service"
    assert meta["name"]["zh-CN"] == "腾讯云短信服务"
    assert {"en", "zh-CN", "es"} <= set(meta["description"])
    assert (meta["logo"], meta["logoDark"], meta["readme"]) == ("./logo.svg", None, "./README.md")


def test_resolved_metadata_inlines_logo_and_readme() -> None:
    meta = ConnectorHost().metadata(CONNECTOR_ID, resolve=True)
    assert meta["logo"].startswith("data:image/svg+xml;base64,")
    assert "{1}" in meta["readme"] and "sdkAppId" in meta["readme"]


def test_two_connectors_coexist_and_sends_reach_only_the_one_named(
    emulator: Any, tencent: TencentSmsConnector
) -> None:
    echo = EchoConnector()
    host = ConnectorHost(plugins=[tencent, echo])
    assert host.ids() == ["echo-sms", CONNECTOR_ID]

    result = host.send_message(
        "echo-sms",
        {"prefix": "code:"},
        to="8613800138000",
        type="SignIn",
        payload={"code": "123456"},
    )
    assert result.connector_id == "echo-sms"
    assert echo.sent == [{"to": "8613800138000", "type": "SignIn", "text": "code: 123456"}]
    assert emulator.stats()["requests"] == 0  # the Tencent connector saw nothing

    result = host.send_message(
        CONNECTOR_ID,
        emulator.connector_config(),
        to="8613800138000",
        type="SignIn",
        payload={"code": "654321"},
    )
    assert result.connector_id == CONNECTOR_ID
    assert len(echo.sent) == 1  # and the echo connector saw nothing of that one
    assert [m["text"] for m in emulator.outbox()] == [
        "Your sign-in code is 654321. It expires in 5 minutes."
    ]


def test_duplicate_id_is_refused_naming_both() -> None:
    with pytest.raises(ConnectorError) as info:
        ConnectorHost(plugins=[EchoConnector(), EchoConnector()])
    assert info.value.code is ErrorCode.INVALID_METADATA
    assert "two connectors have the id 'echo-sms'" in info.value.message
    assert info.value.message.count("plugin EchoConnector") == 2


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda m: m.pop("id"), "id: missing; ID is required"),
        (lambda m: m["name"].pop("en"), "name.en: missing"),
        (lambda m: m.update(platform="Mobile"), "platform"),
        (lambda m: m["formItems"][0].update(type="Checkbox"), "formItems[0].type"),
        (
            lambda m: m["formItems"].append(dict(m["formItems"][0])),
            "formItems: key 'prefix' appears more than once",
        ),
    ],
)
def test_bad_metadata_is_refused_with_a_clear_message(change: Any, expected: str) -> None:
    meta = copy.deepcopy(METADATA)
    change(meta)
    with pytest.raises(ConnectorError) as info:
        ConnectorHost(plugins=[EchoConnector(meta)])
    assert info.value.code is ErrorCode.INVALID_METADATA
    assert "metadata of plugin EchoConnector is invalid" in info.value.message
    assert expected in info.value.message


def test_invalid_config_schema_is_refused() -> None:
    class BadSchema(EchoConnector):
        @hookimpl
        def connector_config_schema(self) -> dict[str, Any]:
            return {"type": "object", "properties": {"x": {"type": "strng"}}}

    with pytest.raises(ConnectorError, match="not valid JSON Schema 2020-12 at /properties/x"):
        ConnectorHost(plugins=[BadSchema()])


def test_unknown_connector_names_the_installed_ones(host: ConnectorHost) -> None:
    with pytest.raises(UnknownConnectorError) as info:
        host.metadata("nope")
    assert "no connector with id 'nope'; installed: tencent-short-message-service" in str(
        info.value
    )


def test_logto_config_validates_unchanged(
    host: ConnectorHost, logto_config: dict[str, Any]
) -> None:
    before = json.dumps(logto_config, sort_keys=True)
    assert host.validate_config(CONNECTOR_ID, logto_config) is logto_config
    assert json.dumps(logto_config, sort_keys=True) == before


def test_nine_type_config_validates(host: ConnectorHost, nine_config: dict[str, Any]) -> None:
    assert host.config_problems(CONNECTOR_ID, nine_config) == []


def _problems(host: ConnectorHost, config: object) -> dict[str, str]:
    with pytest.raises(ConnectorError) as info:
        host.validate_config(CONNECTOR_ID, config)
    assert info.value.code is ErrorCode.INVALID_CONFIG
    found: dict[str, str] = {}
    for problem in info.value.data["problems"]:
        found[problem["path"]] = found.get(problem["path"], "") + " | " + problem["message"]
    return found


def _mutated(config: dict[str, Any], change: Any) -> dict[str, Any]:
    config = copy.deepcopy(config)
    change(config)
    return config


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (lambda c: c["templates"].pop(3), "templates", "no template for usageType Generic"),
        (
            lambda c: c["templates"][1].update(usageType="Signin"),
            "templates",
            "no template for usageType SignIn (usage types are case-sensitive)",
        ),
        (lambda c: c.update(signName=""), "signName", "must not be empty"),
        (
            lambda c: c.update(region="ap-guangzhou "),
            "region",
            "leading or trailing whitespace; remove it",
        ),
        (lambda c: c.update(sdkAppId="abc"), "sdkAppId", "digits"),
        (lambda c: c.update(signname=c.pop("signName")), "signName", "missing"),
        (
            lambda c: c["templates"][3].update(templateCode="<template-code>"),
            "templates[3].templateCode",
            "is still a placeholder; the Generic template serves every type",
        ),
        (
            lambda c: c.update(signName="Acme\u2028Inc"),
            "signName",
            "line break",
        ),
        (lambda c: c.pop("accessKeyId"), "accessKeyId", "missing; Access Key ID is required"),
        (
            lambda c: c.update(endpoint="http://sms.example.com"),
            "endpoint",
            "plain http is only allowed to a loopback address",
        ),
        (
            lambda c: c.update(international={"templates": []}),
            "international.templates",
            "at least 1",
        ),
    ],
)
def test_each_config_mistake_is_named(
    host: ConnectorHost, logto_config: dict[str, Any], change: Any, path: str, words: str
) -> None:
    problems = _problems(host, _mutated(logto_config, change))
    assert path in problems, problems
    assert words in problems[path]


def test_every_problem_is_listed_at_once(host: ConnectorHost, logto_config: dict[str, Any]) -> None:
    config = _mutated(logto_config, lambda c: c.update(signName="", sdkAppId="abc", region=" x"))
    assert {"signName", "sdkAppId", "region"} <= set(_problems(host, config))


def test_messages_never_quote_the_secret(host: ConnectorHost, logto_config: dict[str, Any]) -> None:
    secret = "TopSecret-Value-42 "
    config = _mutated(logto_config, lambda c: c.update(accessKeySecret=secret))
    with pytest.raises(ConnectorError) as info:
        host.validate_config(CONNECTOR_ID, config)
    assert "TopSecret" not in json.dumps(info.value.to_dict())
    assert "TopSecret" not in repr(info.value) + str(info.value)


@pytest.mark.parametrize("config", [None, [], "text", 3, {"templates": "x"}])
def test_config_that_is_not_an_object_is_refused(host: ConnectorHost, config: object) -> None:
    with pytest.raises(ConnectorError) as info:
        host.validate_config(CONNECTOR_ID, config)
    assert info.value.code is ErrorCode.INVALID_CONFIG


def test_request_is_validated_before_dispatch(logto_config: dict[str, Any]) -> None:
    echo = EchoConnector()
    host = ConnectorHost(plugins=[echo])
    with pytest.raises(ConnectorError) as info:
        host.send_message("echo-sms", {"prefix": "p"}, to="", type="Signin", payload={})
    assert info.value.code is ErrorCode.INVALID_REQUEST_PARAMETERS
    paths = {p["path"] for p in info.value.data["problems"]}
    assert {"to", "type", "payload.code"} <= paths
    assert echo.sent == []


def test_connector_bug_becomes_a_clean_error() -> None:
    class Buggy(EchoConnector):
        @hookimpl
        def send_message(self, to: str, type: str, payload: Any, config: Any) -> Any:
            raise ZeroDivisionError("secret-ish detail")

    host = ConnectorHost(plugins=[Buggy()])
    with pytest.raises(ConnectorError) as info:
        host.send_message(
            "echo-sms", {"prefix": "p"}, to="8613800138000", type="SignIn", payload={"code": "1"}
        )
    assert info.value.code is ErrorCode.GENERAL
    assert "failed unexpectedly (ZeroDivisionError)" in info.value.message
    assert "secret-ish" not in str(info.value)


def test_dispatch_cost_does_not_grow_with_connectors() -> None:
    # Each connector has its own plugin manager: a hook call reaches exactly one implementation.
    plugins = [EchoConnector(dict(METADATA, id=f"echo-{i}")) for i in range(20)]
    host = ConnectorHost(plugins=plugins)
    for cid in host.ids():
        assert len(host._get(cid).pm.hook.send_message.get_hookimpls()) == 1
    host.send_message(
        "echo-7", {"prefix": "p"}, to="8613800138000", type="SignIn", payload={"code": "1"}
    )
    assert [len(p.sent) for p in plugins] == [0] * 7 + [1] + [0] * 12


def test_formitems_and_schema_properties_stay_in_step(host: ConnectorHost) -> None:
    meta = host.metadata(CONNECTOR_ID)
    schema = host.config_schema(CONNECTOR_ID)
    assert [i["key"] for i in meta["formItems"]] == list(schema["properties"])
    assert [i["key"] for i in meta["formItems"] if i.get("required")] == schema["required"]
    secret = next(i for i in meta["formItems"] if i["key"] == "accessKeySecret")
    assert secret["isConfidential"] is True
    assert schema["properties"]["accessKeySecret"]["writeOnly"] is True
    assert all(i.get("description") or i.get("tooltip") for i in meta["formItems"])
    templates = next(i for i in meta["formItems"] if i["key"] == "templates")
    assert [t["usageType"] for t in templates["defaultValue"]] == [
        "SignIn",
        "Register",
        "ForgotPassword",
        "OrganizationInvitation",
        "Generic",
        "UserPermissionValidation",
        "BindNewIdentifier",
        "MfaVerification",
        "BindMfa",
    ]
    for name, prop in schema["properties"].items():
        assert {"title", "description", "examples"} <= set(prop), name


def test_every_hook_is_documented() -> None:
    from connector.kit import _hookspecs

    for name in (
        "connector_metadata",
        "connector_config_schema",
        "connector_resource",
        "validate_config",
        "send_message",
    ):
        doc = getattr(_hookspecs, name).__doc__ or ""
        assert len(doc.split()) > 20, name


def _install_entry_points(site: Any, name: str, lines: str) -> None:
    """A fake installed distribution with connectors in the logto.connectors group."""
    info = site / f"{name}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[logto.connectors]\n{lines}\n")


def test_a_broken_installed_connector_does_not_take_the_others_down(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    _install_entry_points(tmp_path, "broken_sms", "broken = no_such_module_here:connector")
    (tmp_path / "copycat_plugin.py").write_text(
        "from connector.tencent_sms import TencentSmsConnector\nconnector = TencentSmsConnector()\n"
    )
    _install_entry_points(tmp_path, "copycat_sms", "zz-copycat = copycat_plugin:connector")
    # A class where an instance belongs: its hooks fail when called.
    _install_entry_points(
        tmp_path, "classy_sms", "classy = connector.tencent_sms.plugin:TencentSmsConnector"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib

    importlib.invalidate_caches()
    host = ConnectorHost()
    assert CONNECTOR_ID in host.ids()
    messages = sorted(e.message for e in host.load_errors)
    assert len(messages) == 3
    assert messages[0].startswith("cannot load entry point 'broken'")
    assert messages[1].startswith("connector entry point 'classy'")
    assert "failed to describe itself (TypeError" in messages[1]
    assert "two connectors have the id 'tencent-short-message-service'" in messages[2]
    assert any("connector refused" in r.getMessage() for r in caplog.records)
