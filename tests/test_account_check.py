"""The account check (``host.check_account`` and ``logto-connector check``) on the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from connector.emulator import (
    DEMO_BOTH_TEMPLATE_ID,
    DEMO_INTERNATIONAL_TEMPLATE_IDS,
    DEMO_PENDING_SIGN,
    DEMO_REJECTED_SIGN,
    DEMO_REJECTED_TEMPLATE_ID,
    DEMO_SECRET_KEY,
    DEMO_TEMPLATE_IDS,
    DEMO_TWO_PARAM_TEMPLATE_ID,
    DEMO_UNAPPROVED_TEMPLATE_ID,
    Account,
    Emulator,
    Sign,
    Template,
)
from connector.kit import CheckFinding, ConnectorError, ConnectorHost, ErrorCode, hookimpl
from connector.tencent_sms import CONNECTOR_ID
from tests.cli_process import run_cli
from tests.echo_connector import EchoConnector

SIGN_IN = DEMO_TEMPLATE_IDS["SignIn"]
INTL_GENERIC = DEMO_INTERNATIONAL_TEMPLATE_IDS["Generic"]

PERSONAL = Account(
    secret_id="AKIDpersonal00000000000000000000000",
    secret_key="personal-secret",
    sdk_app_ids=("1400000010",),
    signs=(Sign("Personal"),),
    templates=(Template("400001", "Code {1}"),),
    enterprise=False,
)
SUB_ACCOUNT = Account(
    secret_id="AKIDsubaccount000000000000000000000",
    secret_key="sub-secret",
    sdk_app_ids=("1400000011",),
    signs=(Sign("Sub"),),
    templates=(Template("500001", "Code {1}"),),
    sub_account=True,
)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator(accounts=[PERSONAL, SUB_ACCOUNT]) as emulator:
        yield emulator


def config_with(emu: Emulator, templates: dict[str, str], **overrides: Any) -> dict[str, Any]:
    """The demo config with the four required usage types mapped to template ids."""
    items = [{"usageType": usage, "templateCode": code} for usage, code in templates.items()]
    return emu.connector_config(templates=items, **overrides)


def four(code: str, **others: str) -> dict[str, str]:
    """The four required usage types: SignIn, Register and ForgotPassword on approved
    templates, Generic on ``code`` (unless ``others`` changes them)."""
    return {
        "SignIn": SIGN_IN,
        "Register": DEMO_TEMPLATE_IDS["Register"],
        "ForgotPassword": DEMO_TEMPLATE_IDS["ForgotPassword"],
        "Generic": code,
        **others,
    }


def at(findings: list[CheckFinding], path: str) -> list[CheckFinding]:
    return [f for f in findings if f.path == path]


def only(findings: list[CheckFinding], path: str) -> CheckFinding:
    (finding,) = at(findings, path)
    return finding


GENERIC = "templates[3].templateCode"


def test_the_emulators_own_config_passes(host: ConnectorHost, emu: Emulator) -> None:
    findings = host.check_account(CONNECTOR_ID, emu.connector_config())
    assert findings
    assert {f.severity for f in findings} == {"ok"}
    sign = only(findings, "signName")
    assert (sign.subject, sign.route) == ("sign", "mainland")
    # Every configured template, on its route, is reported once.
    intl = [f for f in findings if f.path.startswith("international.templates[")]
    assert len(intl) == len(DEMO_INTERNATIONAL_TEMPLATE_IDS)
    assert all(f.route == "international" for f in intl)


@pytest.mark.parametrize(
    ("sign", "words"),
    [
        (DEMO_PENDING_SIGN, "under review"),
        (DEMO_REJECTED_SIGN, "rejected (reviewer: The text must name"),
        ("Nobody", "no Chinese mainland sign named 'Nobody'"),
    ],
)
def test_sign_findings(host: ConnectorHost, emu: Emulator, sign: str, words: str) -> None:
    finding = only(
        host.check_account(CONNECTOR_ID, emu.connector_config(signName=sign)), "signName"
    )
    assert finding.severity == "error"
    assert words in finding.message
    assert "console" in finding.advice


@pytest.mark.parametrize(
    ("code", "words", "advice"),
    [
        (DEMO_UNAPPROVED_TEMPLATE_ID, "still under review", "wait"),
        (DEMO_REJECTED_TEMPLATE_ID, "was rejected (reviewer:", "resubmit"),
        ("987654", "does not exist in this account", "another Tencent Cloud account"),
        (INTL_GENERIC, "is an international template; mainland numbers", "create a mainland"),
    ],
)
def test_template_findings(
    host: ConnectorHost, emu: Emulator, code: str, words: str, advice: str
) -> None:
    findings = host.check_account(CONNECTOR_ID, config_with(emu, four(code)))
    finding = only(findings, GENERIC)
    assert (finding.severity, finding.subject, finding.usage_type) == (
        "error",
        "template",
        "Generic",
    )
    assert words in finding.message
    assert advice in finding.advice
    assert only(findings, "templates[0].templateCode").severity == "ok"


def test_a_mainland_template_in_the_international_block(host: ConnectorHost, emu: Emulator) -> None:
    config = emu.connector_config(
        international={"templates": [{"usageType": "Generic", "templateCode": SIGN_IN}]}
    )
    finding = only(
        host.check_account(CONNECTOR_ID, config), "international.templates[0].templateCode"
    )
    assert finding.severity == "error" and finding.route == "international"
    assert "mainland template; international numbers need international templates" in (
        finding.message
    )


def test_wrong_parameter_count(host: ConnectorHost, emu: Emulator) -> None:
    findings = host.check_account(CONNECTOR_ID, config_with(emu, four(DEMO_TWO_PARAM_TEMPLATE_ID)))
    finding = only(findings, "templates[3].params")
    assert finding.severity == "error"
    assert "2 placeholder(s) but the config passes 1 value(s) (code)" in finding.message
    # Passing a second value fixes it.
    config = config_with(emu, four(DEMO_TWO_PARAM_TEMPLATE_ID))
    config["templates"][3]["params"] = ["code", "minutes"]
    assert only(host.check_account(CONNECTOR_ID, config), GENERIC).severity == "ok"


def test_a_template_that_does_not_get_the_code(host: ConnectorHost, emu: Emulator) -> None:
    config = config_with(emu, four(SIGN_IN))
    config["templates"][3]["params"] = ["minutes"]
    finding = only(host.check_account(CONNECTOR_ID, config), "templates[3].params")
    assert finding.severity == "warning"
    assert "users will not see their code" in finding.message


def test_without_an_international_block_mainland_templates_warn(
    host: ConnectorHost, emu: Emulator
) -> None:
    config = config_with(emu, four(SIGN_IN))
    del config["international"]
    findings = host.check_account(CONNECTOR_ID, config)
    warning = only(findings, "international")
    assert warning.severity == "warning"
    assert "SignIn, Register, ForgotPassword, Generic" in warning.message
    # Templates approved for both kinds serve every number: nothing to warn about.
    both = config_with(emu, {t: DEMO_BOTH_TEMPLATE_ID for t in four("")})
    del both["international"]
    findings = host.check_account(CONNECTOR_ID, both)
    assert at(findings, "international") == []
    assert {f.severity for f in findings} == {"ok"}


@pytest.mark.parametrize(
    ("account", "sign_checked"),
    [(PERSONAL, False), (SUB_ACCOUNT, True)],
    ids=["personal-verification", "sub-account"],
)
def test_accounts_that_may_not_look_get_could_not_check(
    host: ConnectorHost, emu: Emulator, account: Account, sign_checked: bool
) -> None:
    config = emu.connector_config(
        accessKeyId=account.secret_id,
        accessKeySecret=account.secret_key,
        sdkAppId=account.sdk_app_ids[0],
        signName=account.signs[0].name,
        templates=[{"usageType": t, "templateCode": account.templates[0].id} for t in four("")],
    )
    del config["international"]
    findings = host.check_account(CONNECTOR_ID, config)
    templates = [f for f in findings if f.subject == "template"]
    assert len(templates) == 4
    assert {f.severity for f in templates} == {"unchecked"}
    assert all(f.message.startswith("could not check the template") for f in templates)
    assert all(f.provider_code for f in templates)
    sign = only(findings, "signName")
    assert sign.severity == ("ok" if sign_checked else "unchecked")


def test_wrong_credentials_fail_the_whole_check(host: ConnectorHost, emu: Emulator) -> None:
    config = emu.connector_config(accessKeySecret="not-the-key")
    with pytest.raises(ConnectorError) as info:
        host.check_account(CONNECTOR_ID, config)
    assert info.value.code is ErrorCode.INVALID_CONFIG
    assert info.value.data["tencentCode"] == "AuthFailure.SignatureFailure"


def test_an_invalid_config_is_refused_before_asking(host: ConnectorHost, emu: Emulator) -> None:
    config = emu.connector_config()
    del config["signName"]
    with pytest.raises(ConnectorError) as info:
        host.check_account(CONNECTOR_ID, config)
    assert info.value.code is ErrorCode.INVALID_CONFIG
    assert emu.stats()["requests"] == 0


def test_a_connector_without_the_hook() -> None:
    host = ConnectorHost(plugins=[EchoConnector()])
    with pytest.raises(ConnectorError) as info:
        host.check_account("echo-sms", {"prefix": "x"})
    assert info.value.code is ErrorCode.NOT_IMPLEMENTED


# --- the command line -----------------------------------------------------------------------


def write(tmp_path: Path, config: dict[str, Any]) -> str:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return str(path)


def test_cli_check_passes(emu: Emulator, tmp_path: Path) -> None:
    result = run_cli("check", "tencent-sms", write(tmp_path, emu.connector_config()))
    assert result.returncode == 0, result.stderr
    assert "ok        signName: sign 'Emulator' exists and is approved" in result.stdout
    assert DEMO_SECRET_KEY not in result.stdout + result.stderr


def test_cli_check_reports_errors_with_advice(emu: Emulator, tmp_path: Path) -> None:
    config = config_with(emu, four(DEMO_REJECTED_TEMPLATE_ID), signName=DEMO_PENDING_SIGN)
    result = run_cli("check", "tencent-sms", write(tmp_path, config))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("error     signName: sign 'Pending' is still under review")
    assert any(line.startswith(f"error     {GENERIC}: template") for line in lines)
    assert any("→ edit and resubmit it" in line for line in lines)
    assert "found 2 error(s)" in result.stderr
    assert DEMO_SECRET_KEY not in result.stdout + result.stderr


def test_cli_check_json(emu: Emulator, tmp_path: Path) -> None:
    good = run_cli("check", "tencent-sms", write(tmp_path, emu.connector_config()), "--json")
    document = json.loads(good.stdout)
    assert good.returncode == 0 and document["ok"] is True
    assert document["counts"]["error"] == 0
    first = document["findings"][0]
    assert set(first) == {
        "path",
        "severity",
        "subject",
        "message",
        "advice",
        "route",
        "usageType",
        "providerCode",
    }
    config = config_with(emu, four("987654"))
    bad = run_cli("check", "tencent-sms", write(tmp_path, config), "--json")
    failure = json.loads(bad.stdout)
    assert bad.returncode == 1
    assert (failure["ok"], failure["code"]) == (False, "invalid_config")
    errors = [f for f in failure["data"]["findings"] if f["severity"] == "error"]
    assert [f["path"] for f in errors] == [GENERIC]


def test_cli_check_of_an_unreadable_file_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("check", "tencent-sms", str(tmp_path / "missing.json"))
    assert result.returncode == 2
    assert "cannot read config" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_international_sign_is_only_a_warning(host: ConnectorHost, emu: Emulator) -> None:
    config = emu.connector_config()
    config["international"]["signName"] = "Nobody"
    finding = only(host.check_account(CONNECTOR_ID, config), "international.signName")
    assert (finding.severity, finding.route) == ("warning", "international")
    assert "no international sign named 'Nobody'" in finding.message


class _Confused(EchoConnector):
    @hookimpl
    def check_account(self, config: Mapping[str, Any]) -> list[str]:
        return ["all good"]


def test_a_connector_answering_garbage() -> None:
    host = ConnectorHost(plugins=[_Confused()])
    with pytest.raises(ConnectorError) as info:
        host.check_account("echo-sms", {"prefix": "x"})
    assert info.value.code is ErrorCode.INVALID_RESPONSE
    assert "CheckFinding" in info.value.message


def test_only_the_templates_sends_use_are_checked(host: ConnectorHost, emu: Emulator) -> None:
    config = config_with(emu, four(SIGN_IN), international={})  # {}: as if there were none
    config["templates"] += [
        {"usageType": "SignIn", "templateCode": "987654"},  # a repeat: the first one wins
        {"usageType": "BindMfa", "templateCode": "<template-code>"},  # a form placeholder
    ]
    findings = host.check_account(CONNECTOR_ID, config)
    assert at(findings, "templates[4].templateCode") == []
    assert at(findings, "templates[5].templateCode") == []
    assert only(findings, "international").severity == "warning"
    assert {f.severity for f in findings if f.path != "international"} == {"ok"}


def test_a_lost_answer_says_nothing_was_sent(host: ConnectorHost, emu: Emulator) -> None:
    emu.inject("status", status=500)
    with pytest.raises(ConnectorError) as info:
        host.check_account(CONNECTOR_ID, emu.connector_config())
    assert "DescribeSmsSignList got no usable answer from Tencent" in info.value.message
    assert "may have been sent" not in info.value.message
    assert "delivery" not in info.value.data
