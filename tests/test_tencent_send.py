"""Sending through the Tencent connector to a real Tencent SMS emulator on loopback."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from connector.emulator import (
    DEMO_INTERNATIONAL_TEMPLATE_IDS,
    DEMO_TEMPLATE_IDS,
    DEMO_TWO_PARAM_TEMPLATE_ID,
    DEMO_UNAPPROVED_TEMPLATE_ID,
    Emulator,
)
from connector.kit import ConnectorError, ConnectorHost, ErrorCode
from connector.tencent_sms import CONNECTOR_ID
from connector.tencent_sms.errors import TENCENT_ERRORS, classify
from connector.tencent_sms.settings import read_settings
from connector.tencent_sms.templates import choose_template
from tests.conftest import required_templates

MAINLAND = "8613800138000"
US = "+14155552671"


def send(
    host: ConnectorHost,
    config: dict[str, Any],
    to: str = MAINLAND,
    type: str = "SignIn",
    **payload: Any,
) -> Any:
    payload.setdefault("code", "123456")
    return host.send_message(CONNECTOR_ID, config, to=to, type=type, payload=payload)


def refused(host: ConnectorHost, config: dict[str, Any], **kwargs: Any) -> ConnectorError:
    with pytest.raises(ConnectorError) as info:
        send(host, config, **kwargs)
    return info.value


def test_delivers_and_reports_tencents_answer(host: ConnectorHost, emulator: Emulator) -> None:
    result = send(host, emulator.connector_config())
    assert result.to == "+8613800138000"
    assert result.to_dict()["route"] == "mainland"
    assert result.detail["fee"] == 1 and result.detail["isoCode"] == "CN"
    [message] = emulator.outbox()
    assert message["requestId"] == result.request_id
    assert message["serialNo"] == result.detail["serialNo"]
    assert message["phoneNumber"] == "+8613800138000"
    assert message["templateId"] == DEMO_TEMPLATE_IDS["SignIn"]
    assert message["content"] == "【Emulator】Your sign-in code is 123456. It expires in 5 minutes."


def test_logto_four_template_config_falls_back_to_generic(
    host: ConnectorHost, emulator: Emulator
) -> None:
    config = emulator.connector_config(
        templates=[
            {"usageType": t, "templateCode": DEMO_TEMPLATE_IDS[t]}
            for t in ("Register", "SignIn", "ForgotPassword", "Generic")
        ]
    )
    result = send(host, config, type="MfaVerification")
    assert result.detail["templateId"] == DEMO_TEMPLATE_IDS["Generic"]
    assert emulator.outbox()[0]["text"].startswith("Your verification code is 123456")


def test_only_the_code_fills_the_template(host: ConnectorHost, emulator: Emulator) -> None:
    # Logto's connector sends every payload value: uiLocales became a second parameter and a
    # one-placeholder template refused the message.
    send(host, emulator.connector_config(), code="123456", locale="zh-CN", uiLocales="en")
    assert emulator.outbox()[0]["params"] == ["123456"]


def test_params_map_payload_keys_to_placeholders(host: ConnectorHost, emulator: Emulator) -> None:
    config = emulator.connector_config()
    config["templates"][0] = {
        "usageType": "SignIn",
        "templateCode": DEMO_TWO_PARAM_TEMPLATE_ID,
        "params": ["code", "minutes"],
    }
    send(host, config, code="424242", minutes=5)
    assert emulator.outbox()[0]["text"] == "424242 is your code; valid for 5 minutes."


def test_missing_payload_key_is_insufficient_parameters(
    host: ConnectorHost, emulator: Emulator
) -> None:
    config = emulator.connector_config()
    config["templates"][0] = {
        "usageType": "SignIn",
        "templateCode": DEMO_TWO_PARAM_TEMPLATE_ID,
        "params": ["code", "minutes"],
    }
    error = refused(host, config)
    assert error.code is ErrorCode.INSUFFICIENT_REQUEST_PARAMETERS
    assert "'minutes'" in error.message and "{2}" in error.message
    assert emulator.stats()["requests"] == 0


def test_international_block_serves_other_countries(
    host: ConnectorHost, emulator: Emulator
) -> None:
    config = emulator.connector_config()
    result = send(host, config, to=US)
    assert (result.to, result.detail["route"], result.detail["isoCode"]) == (
        US,
        "international",
        "US",
    )
    [message] = emulator.outbox()
    assert message["templateId"] == DEMO_INTERNATIONAL_TEMPLATE_IDS["SignIn"]
    assert message["international"] is True and message["sign"] in ("", None)

    send(host, config, to="85291234567", type="BindMfa")  # falls back to the Generic one
    assert emulator.outbox()[1]["templateId"] == DEMO_INTERNATIONAL_TEMPLATE_IDS["Generic"]


def test_international_block_with_its_own_app(host: ConnectorHost, emulator: Emulator) -> None:
    config = emulator.connector_config()
    config["international"]["sdkAppId"] = "1400000001"  # not an app of the demo account
    error = refused(host, config, to=US)
    assert error.data["tencentCode"] in (
        "InvalidParameterValue.SdkAppIdNotExist",
        "UnauthorizedOperation.SmsSdkAppIdVerifyFail",
    )
    assert send(host, config).detail["route"] == "mainland"  # mainland still uses the top-level app


def test_without_international_block_top_level_serves_every_number(
    host: ConnectorHost, emulator: Emulator
) -> None:
    config = emulator.connector_config()
    del config["international"]
    error = refused(host, config, to=US)  # a mainland template cannot go abroad
    assert error.code is ErrorCode.INVALID_CONFIG
    assert error.data["tencentCode"] == "UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone"
    assert "international block" in error.message
    assert error.data["route"] == "international"


def test_template_not_found_names_the_type(host: ConnectorHost, emulator: Emulator) -> None:
    config = emulator.connector_config()
    config["international"]["templates"] = [
        {"usageType": "Generic", "templateCode": DEMO_INTERNATIONAL_TEMPLATE_IDS["Generic"]}
    ]
    config["international"]["templates"][0]["usageType"] = "Generic"
    assert send(host, config, to=US, type="SignIn").detail["route"] == "international"

    # The schema insists on Generic, so only a connector called without a host meets this.
    settings = read_settings(
        dict(config, templates=[{"usageType": "Register", "templateCode": "1"}])
    )
    with pytest.raises(ConnectorError) as info:
        choose_template(settings.mainland, "SignIn")
    assert info.value.code is ErrorCode.TEMPLATE_NOT_FOUND
    assert "no template for usageType SignIn and no Generic template" in info.value.message


# -- each family of Tencent failure ---------------------------------------------------------


def test_wrong_secret_is_invalid_config(host: ConnectorHost, emulator: Emulator) -> None:
    error = refused(host, emulator.connector_config(accessKeySecret="wrong-secret"))
    assert error.code is ErrorCode.INVALID_CONFIG
    assert error.data["tencentCode"] == "AuthFailure.SignatureFailure"
    assert error.data["requestId"]
    assert "accessKeySecret" in error.message
    assert emulator.stats()["requests"] == 1 and emulator.outbox() == []


def test_unknown_secret_id(host: ConnectorHost, emulator: Emulator) -> None:
    error = refused(host, emulator.connector_config(accessKeyId="AKIDnobody"))
    assert (error.code, error.data["tencentCode"]) == (
        ErrorCode.INVALID_CONFIG,
        "AuthFailure.SecretIdNotFound",
    )


def test_unapproved_sign(host: ConnectorHost, emulator: Emulator) -> None:
    error = refused(host, emulator.connector_config(signName="Pending"))
    assert (error.code, error.data["tencentCode"]) == (
        ErrorCode.INVALID_CONFIG,
        "FailedOperation.SignatureIncorrectOrUnapproved",
    )


def test_unapproved_template(host: ConnectorHost, emulator: Emulator) -> None:
    config = emulator.connector_config()
    config["templates"][0]["templateCode"] = DEMO_UNAPPROVED_TEMPLATE_ID
    error = refused(host, config)
    assert error.code is ErrorCode.INVALID_CONFIG
    assert error.data["tencentCode"].startswith("FailedOperation.Template")


def test_wrong_parameter_count_is_invalid_config(host: ConnectorHost, emulator: Emulator) -> None:
    config = emulator.connector_config()
    config["templates"][0]["templateCode"] = DEMO_TWO_PARAM_TEMPLATE_ID
    error = refused(host, config)
    assert error.code is ErrorCode.INVALID_CONFIG
    assert error.data["tencentCode"] == "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"


def test_bad_code_parameter_is_invalid_request(host: ConnectorHost, emulator: Emulator) -> None:
    error = refused(host, emulator.connector_config(), code="12345678")
    assert error.code is ErrorCode.INVALID_REQUEST_PARAMETERS
    assert error.data["tencentCode"] == "InvalidParameterValue.TemplateParameterFormatError"


def test_per_number_limit_is_reported_from_the_item(
    host: ConnectorHost, emulator: Emulator
) -> None:
    config = emulator.connector_config()
    send(host, config)
    error = refused(host, config)  # the same content again within 30 s
    assert error.code is ErrorCode.RATE_LIMIT_EXCEEDED
    assert error.data["tencentCode"] == "LimitExceeded.PhoneNumberThirtySecondLimit"
    assert error.data["requestId"]
    assert len(emulator.outbox()) == 1


def test_hourly_limit(host: ConnectorHost, emulator: Emulator) -> None:
    config = emulator.connector_config()
    for i in range(5):
        send(host, config, code=f"10000{i}")
    error = refused(host, config, code="999999")
    assert error.code is ErrorCode.RATE_LIMIT_EXCEEDED
    assert error.data["tencentCode"] == "LimitExceeded.PhoneNumberOneHourLimit"
    assert send(host, config, to="8613800138001", code="999999").detail["route"] == "mainland"


@pytest.mark.parametrize(
    ("tencent_code", "expected"),
    [
        ("LimitExceeded.AppDailyLimit", ErrorCode.USAGE_LIMIT_EXCEEDED),
        ("UnauthorizedOperation.ServiceSuspendDueToArrears", ErrorCode.USAGE_LIMIT_EXCEEDED),
        ("FailedOperation.InsufficientBalanceInSmsPackage", ErrorCode.USAGE_LIMIT_EXCEEDED),
        ("InvalidParameterValue.IncorrectPhoneNumber", ErrorCode.INVALID_REQUEST_PARAMETERS),
        ("UnauthorizedOperation.RequestIpNotInWhitelist", ErrorCode.INVALID_CONFIG),
        ("FailedOperation.ContainSensitiveWord", ErrorCode.INVALID_REQUEST_PARAMETERS),
        ("InternalError.OtherError", ErrorCode.GENERAL),
        ("InternalError.SomethingNew", ErrorCode.GENERAL),
        ("InternalError.SigVerificationFail", ErrorCode.INVALID_CONFIG),
        ("SomethingNew.NeverSeen", ErrorCode.GENERAL),
    ],
)
def test_request_level_errors_map_to_logto_codes(
    host: ConnectorHost, emulator: Emulator, tencent_code: str, expected: ErrorCode
) -> None:
    emulator.inject("error", code=tencent_code, message="as Tencent says it")
    error = refused(host, emulator.connector_config())
    assert error.code is expected
    assert error.data["tencentCode"] == tencent_code
    assert error.data["tencentMessage"] == "as Tencent says it"
    assert error.data["requestId"]
    assert emulator.stats()["requests"] == 1
    # Only an internal error (other than a signature or clock check) may have sent it.
    may_have_sent = tencent_code.startswith("InternalError.") and tencent_code != (
        "InternalError.SigVerificationFail"
    )
    assert error.data["delivery"] == ("unknown" if may_have_sent else "not_sent")


def test_request_limit_exceeded_is_retried_then_reported(
    host: ConnectorHost, emulator: Emulator
) -> None:
    emulator.inject("error", count=3, code="RequestLimitExceeded", message="too fast")
    error = refused(host, emulator.connector_config())
    assert error.code is ErrorCode.RATE_LIMIT_EXCEEDED
    assert error.data["attempts"] == 3
    assert emulator.stats()["requests"] == 3 and emulator.outbox() == []


def test_internal_timeout_is_not_retried_and_says_delivery_unknown(
    host: ConnectorHost, emulator: Emulator
) -> None:
    emulator.inject("error", code="InternalError.Timeout", message="timeout")
    error = refused(host, emulator.connector_config())
    assert error.code is ErrorCode.GENERAL
    assert error.data["delivery"] == "unknown"
    assert "delivery is unknown" in error.message
    assert emulator.stats()["requests"] == 1


def test_unreadable_answer_is_invalid_response(host: ConnectorHost, emulator: Emulator) -> None:
    emulator.inject("malformed")
    error = refused(host, emulator.connector_config())
    assert error.code is ErrorCode.INVALID_RESPONSE
    assert emulator.stats()["requests"] == 1


def test_answer_without_an_item_for_the_number_is_invalid_response(
    host: ConnectorHost, emulator: Emulator
) -> None:
    emulator.inject(
        "wrong_shape",
        body={
            "Response": {
                "RequestId": "r-1",
                "SendStatusSet": [
                    {"PhoneNumber": "+8613900000000", "Code": "Ok", "SerialNo": "s", "Fee": 1}
                ],
            }
        },
    )
    error = refused(host, emulator.connector_config())
    assert error.code is ErrorCode.INVALID_RESPONSE
    assert error.data["requestId"] == "r-1"
    assert "no SendStatusSet entry" in error.message


def test_every_reference_code_is_in_the_table() -> None:
    from pathlib import Path

    listed = Path(__file__).parent / "data" / "tencent-sendsms-error-codes.txt"
    codes = [c for c in listed.read_text("utf-8").splitlines() if c and not c.startswith("#")]
    assert len(codes) > 60
    missing = [code for code in codes if code not in TENCENT_ERRORS]
    assert missing == []
    for code in TENCENT_ERRORS:
        assert classify(code)[0] in ErrorCode


def test_non_ascii_body_is_signed_exactly_as_sent(host: ConnectorHost, tmp_path: Any) -> None:
    # The body goes out as compact UTF-8 (not ASCII escapes); the emulator verifies the
    # signature over the bytes it received, so a mismatch would be SignatureFailure.
    import json

    from connector.emulator import load_accounts

    accounts = tmp_path / "accounts.json"
    accounts.write_text(
        json.dumps(
            {
                "accounts": [
                    {
                        "secretId": "AKIDchinese0000000000000000000000000",
                        "secretKey": "a-secret-for-the-chinese-sign",
                        "sdkAppIds": ["1400123456"],
                        "signs": [{"name": "腾讯云", "approved": True}],
                        "templates": [{"id": "300001", "text": "您的验证码是{1}，5分钟内有效。"}],
                    }
                ]
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    with Emulator(accounts=load_accounts(accounts)) as emu:
        config = {
            "accessKeyId": "AKIDchinese0000000000000000000000000",
            "accessKeySecret": "a-secret-for-the-chinese-sign",
            "signName": "腾讯云",
            "sdkAppId": "1400123456",
            "region": "ap-guangzhou",
            "templates": required_templates("300001"),
            "endpoint": emu.url,
        }
        send(host, config, code="246810")
        assert emu.outbox()[0]["content"] == "【腾讯云】您的验证码是246810，5分钟内有效。"


def test_one_session_per_config_reused_across_sends(
    host: ConnectorHost, tencent: Any, emulator: Emulator
) -> None:
    config = emulator.connector_config()
    for i in range(3):
        send(host, config, to=f"861380013800{i}")
    assert len(tencent._clients) == 1
    send(host, dict(config, readTimeout=4), to="8613800138009")
    assert len(tencent._clients) == 2


def test_every_send_logs_one_line_refusals_included(
    host: ConnectorHost, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    config = emulator.connector_config()
    with caplog.at_level("INFO", logger="connector.tencent_sms"):
        send(host, config, code="111111")
        refused(host, config, to="+1234")  # not a possible number: no request at all
        config["templates"][0] = {
            "usageType": "SignIn",
            "templateCode": DEMO_TWO_PARAM_TEMPLATE_ID,
            "params": ["code", "minutes"],
        }
        refused(host, config)  # a payload key missing
    lines = [
        r.getMessage()
        for r in caplog.records
        if r.name == "connector.tencent_sms" and r.levelname == "INFO"
    ]
    assert len(lines) == 3
    assert "outcome=delivered" in lines[0] and "to=+86138****8000" in lines[0]
    assert "outcome=error:invalid_request_parameters" in lines[1]
    assert "outcome=error:insufficient_request_parameters" in lines[2]
    assert not any("111111" in line for line in lines)


def test_a_ca_file_that_went_away_is_invalid_config_not_sent(
    host: ConnectorHost, tmp_path: Any
) -> None:
    with Emulator(tls=True) as emu:
        ca = tmp_path / "ca.pem"
        assert emu.ca_bundle is not None
        shutil.copyfile(emu.ca_bundle, ca)
        config = emu.connector_config(caBundle=str(ca))
        host.validate_config(CONNECTOR_ID, config)  # the file is there when checked
        ca.unlink()
        error = refused(host, config, to="8613800138007")
        assert error.code is ErrorCode.INVALID_CONFIG
        assert error.data["delivery"] == "not_sent"
        assert "caBundle" in error.message
        assert emu.stats()["requests"] == 0
