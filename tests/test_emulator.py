"""The Tencent SMS emulator, driven over loopback by Tencent's own SDK and by plain requests."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import ssl
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from connector.emulator import (
    DEMO_INTERNATIONAL_TEMPLATE_IDS,
    DEMO_INTERNATIONAL_TWO_PARAM_TEMPLATE_ID,
    DEMO_PENDING_SIGN,
    DEMO_SDK_APP_ID,
    DEMO_SECRET_ID,
    DEMO_SECRET_KEY,
    DEMO_SIGN,
    DEMO_TEMPLATE_IDS,
    DEMO_TWO_PARAM_TEMPLATE_ID,
    DEMO_UNAPPROVED_TEMPLATE_ID,
    Account,
    AccountsError,
    Emulator,
    FaultError,
    FrequencyLimits,
    Sign,
    Template,
    load_accounts,
    serve,
)
from connector.signing import sign
from tests.cli_process import run_cli

MAINLAND = "+8613711112222"
HONG_KONG = "+85291234567"
SIGN_IN = DEMO_TEMPLATE_IDS["SignIn"]
REPO = Path(__file__).resolve().parent.parent

OTHER = Account(
    secret_id="AKIDother000000000000000000000000000",
    secret_key="other-secret-key",
    sdk_app_ids=("1400000001",),
    signs=(Sign("Other"),),
    templates=(Template("300001", "Other code {1}"),),
)


# --- helpers ------------------------------------------------------------------------------


def sms(
    numbers: Sequence[str] = (MAINLAND,),
    template: str = SIGN_IN,
    params: Sequence[str] = ("123456",),
    sign_name: str | None = DEMO_SIGN,
    app: str = DEMO_SDK_APP_ID,
    **extra: Any,
) -> dict[str, Any]:
    """A SendSms body; ``None`` values are left out, as the SDK leaves them out."""
    body = {
        "PhoneNumberSet": list(numbers),
        "SmsSdkAppId": app,
        "SignName": sign_name,
        "TemplateId": template,
        "TemplateParamSet": list(params),
        **extra,
    }
    return {k: v for k, v in body.items() if v is not None}


def signed_post(
    emu: Emulator,
    body: object,
    *,
    secret_id: str = DEMO_SECRET_ID,
    secret_key: str = DEMO_SECRET_KEY,
    timestamp: int | None = None,
    headers: Mapping[str, str] | None = None,
    signed_headers: Sequence[str] = ("content-type", "host"),
    service: str = "sms",
    payload: bytes | None = None,
    tamper: bytes | None = None,
    tamper_headers: Mapping[str, str] | None = None,
    session: requests.Session | None = None,
    verify: bool | str = True,
) -> requests.Response:
    """POST a SendSms request signed with TC3, the way a careful client would.

    ``headers`` override the standard ones before signing; ``payload`` gives the exact body
    bytes (default: ``body`` as JSON); ``tamper`` and ``tamper_headers`` replace the body and
    some headers after signing.
    """
    if payload is None:
        payload = json.dumps(body).encode("utf-8")
    ts = int(emu.now()) if timestamp is None else timestamp
    sent = {
        "Content-Type": "application/json",
        "Host": urlsplit(emu.url).netloc,
        "X-TC-Action": "SendSms",
        "X-TC-Version": "2021-01-11",
        "X-TC-Region": "ap-guangzhou",
        "X-TC-Timestamp": str(ts),
        **(headers or {}),
    }
    parts = sign(
        secret_id=secret_id,
        secret_key=secret_key,
        service=service,
        timestamp=ts,
        headers=sent,
        body=payload,
        signed_headers=signed_headers,
    )
    sent["Authorization"] = parts.authorization
    sent.update(tamper_headers or {})
    post = session.post if session is not None else requests.post
    return post(emu.url + "/", data=tamper or payload, headers=sent, timeout=5, verify=verify)


def answer(resp: requests.Response) -> dict[str, Any]:
    """The ``Response`` object of a SendSms answer, after checking the envelope."""
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/json"
    data: dict[str, Any] = resp.json()["Response"]
    assert data["RequestId"]
    return data


def error_code(resp: requests.Response) -> str:
    """Tencent's request-level error code (fails when the request succeeded)."""
    code: str = answer(resp)["Error"]["Code"]
    return code


def item_codes(resp: requests.Response) -> list[str]:
    """The per-number codes of a successful call."""
    return [item["Code"] for item in answer(resp)["SendStatusSet"]]


def sdk_client(
    emu: Emulator,
    secret_key: str = DEMO_SECRET_KEY,
    *,
    method: str = "POST",
    unsigned_payload: bool = False,
) -> sms_client.SmsClient:
    """Tencent's official SMS client, pointed at the emulator over plain http."""
    profile = HttpProfile(
        protocol="http", endpoint=urlsplit(emu.url).netloc, reqTimeout=5, reqMethod=method
    )
    client_profile = ClientProfile(httpProfile=profile)
    client_profile.unsignedPayload = unsigned_payload
    return sms_client.SmsClient(
        credential.Credential(DEMO_SECRET_ID, secret_key), "ap-guangzhou", client_profile
    )


def sdk_request(**fields: Any) -> models.SendSmsRequest:
    """A SendSmsRequest model with the demo defaults of ``sms``."""
    request = models.SendSmsRequest()
    request.from_json_string(json.dumps(sms(**fields)))
    return request


def sdk_error(emu: Emulator, secret_key: str = DEMO_SECRET_KEY, **fields: Any) -> str:
    """The error code the official SDK raises for this request."""
    with pytest.raises(TencentCloudSDKException) as info:
        sdk_client(emu, secret_key).SendSms(sdk_request(**fields))
    assert info.value.requestId
    code: str = info.value.code
    return code


@pytest.fixture
def unlimited() -> Iterator[Emulator]:
    """An emulator without per-number frequency limits."""
    with Emulator(limits=None) as emu:
        yield emu


# --- the official SDK as a client ---------------------------------------------------------


def test_official_sdk_delivers_and_the_outbox_has_the_rendered_text(emulator: Emulator) -> None:
    resp = sdk_client(emulator).SendSms(sdk_request(params=["654321"], SessionContext="ctx-1"))

    (status,) = resp.SendStatusSet
    assert (status.Code, status.Message, status.PhoneNumber) == ("Ok", "send success", MAINLAND)
    assert (status.Fee, status.IsoCode, status.SessionContext) == (1, "CN", "ctx-1")
    assert status.SerialNo
    (message,) = emulator.outbox()
    assert message["text"] == "Your sign-in code is 654321. It expires in 5 minutes."
    assert message["content"] == "【Emulator】Your sign-in code is 654321. It expires in 5 minutes."
    assert message["phoneNumber"] == MAINLAND
    assert (message["sign"], message["templateId"], message["sdkAppId"]) == (
        DEMO_SIGN,
        SIGN_IN,
        DEMO_SDK_APP_ID,
    )
    assert (message["requestId"], message["serialNo"]) == (resp.RequestId, status.SerialNo)
    assert emulator.stats() == {"requests": 1, "delivered": 1}


@pytest.mark.parametrize(("method", "unsigned"), [("GET", False), ("POST", True), ("GET", True)])
def test_official_sdk_request_forms_are_accepted_and_verified(
    method: str, unsigned: bool, emulator: Emulator
) -> None:
    # GET carries the parameters in the query (PhoneNumberSet.0=...), signed as the
    # canonical query string; UNSIGNED-PAYLOAD signs that word instead of the body.
    client = sdk_client(emulator, method=method, unsigned_payload=unsigned)
    resp = client.SendSms(sdk_request(params=["135790"], SessionContext="ctx-2"))
    (status,) = resp.SendStatusSet
    assert (status.Code, status.PhoneNumber, status.SessionContext) == ("Ok", MAINLAND, "ctx-2")
    (message,) = emulator.outbox()
    assert message["text"] == "Your sign-in code is 135790. It expires in 5 minutes."
    assert message["requestId"] == resp.RequestId
    # Verified, not waved through: the wrong secret still fails in the same form.
    wrong = sdk_client(emulator, "not-the-secret", method=method, unsigned_payload=unsigned)
    with pytest.raises(TencentCloudSDKException) as info:
        wrong.SendSms(sdk_request(params=["135790"]))
    assert info.value.code == "AuthFailure.SignatureFailure"


def test_a_get_whose_query_was_changed_after_signing_is_refused(emulator: Emulator) -> None:
    client = sdk_client(emulator, method="GET")
    seen: dict[str, Any] = {}
    real_send = requests.Session.request

    def tamper(self: requests.Session, method: str, url: str, **kwargs: Any) -> Any:
        seen["url"] = url
        return real_send(self, method, url.replace("135790", "999999"), **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(requests.Session, "request", tamper)
        with pytest.raises(TencentCloudSDKException) as info:
            client.SendSms(sdk_request(params=["135790"]))
    assert "TemplateParamSet.0=135790" in seen["url"]
    assert info.value.code == "AuthFailure.SignatureFailure"
    assert emulator.outbox() == []


def test_official_sdk_sends_international_without_a_sign(emulator: Emulator) -> None:
    resp = sdk_client(emulator).SendSms(
        sdk_request(
            numbers=[HONG_KONG, "+16502530000"],
            template=DEMO_INTERNATIONAL_TEMPLATE_IDS["Generic"],
            sign_name=None,
        )
    )
    assert [(s.Code, s.IsoCode) for s in resp.SendStatusSet] == [("Ok", "HK"), ("Ok", "US")]
    assert [m["content"] for m in emulator.outbox()] == [
        "Your verification code is 123456. It expires in 5 minutes."
    ] * 2


def test_official_sdk_wrong_secret_is_a_signature_failure(emulator: Emulator) -> None:
    assert sdk_error(emulator, secret_key="not-the-key") == "AuthFailure.SignatureFailure"
    assert emulator.outbox() == []


def test_official_sdk_timestamp_ten_minutes_old_has_expired(emulator: Emulator) -> None:
    emulator.advance_clock(600)
    assert sdk_error(emulator) == "AuthFailure.SignatureExpire"
    emulator.advance_clock(-600)
    assert sdk_client(emulator).SendSms(sdk_request()).SendStatusSet[0].Code == "Ok"


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"app": "1400999999"}, "InvalidParameterValue.SdkAppIdNotExist"),
        ({"sign_name": DEMO_PENDING_SIGN}, "FailedOperation.SignatureIncorrectOrUnapproved"),
        ({"sign_name": "Nobody"}, "FailedOperation.SignatureIncorrectOrUnapproved"),
        ({"sign_name": None}, "FailedOperation.SignatureIncorrectOrUnapproved"),
        ({"params": ["1", "2"]}, "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"),
        ({"params": []}, "FailedOperation.TemplateParamSetNotMatchApprovedTemplate"),
        ({"template": "999999"}, "FailedOperation.TemplateIncorrectOrUnapproved"),
        (
            {"template": DEMO_UNAPPROVED_TEMPLATE_ID},
            "FailedOperation.TemplateIncorrectOrUnapproved",
        ),
        ({"params": ["12ab"]}, "InvalidParameterValue.TemplateParameterFormatError"),
        ({"params": ["1234567"]}, "InvalidParameterValue.TemplateParameterFormatError"),
    ],
)
def test_official_sdk_raises_tencents_codes(
    emulator: Emulator, fields: dict[str, Any], code: str
) -> None:
    assert sdk_error(emulator, **fields) == code
    assert emulator.outbox() == []


# --- signature checks ---------------------------------------------------------------------


def test_answers_are_json_with_exactly_that_content_type(emulator: Emulator) -> None:
    ok = signed_post(emulator, sms())
    refused = signed_post(emulator, sms(), secret_key="wrong")
    for resp in (ok, refused):
        assert resp.headers["Content-Type"] == "application/json"
    assert item_codes(ok) == ["Ok"]
    assert error_code(refused) == "AuthFailure.SignatureFailure"


def test_authorization_missing_or_garbled(emulator: Emulator) -> None:
    resp = requests.post(emulator.url, json=sms(), timeout=5)
    assert error_code(resp) == "AuthFailure.InvalidAuthorization"
    resp = requests.post(
        emulator.url, json=sms(), headers={"Authorization": "Bearer abc"}, timeout=5
    )
    assert error_code(resp) == "AuthFailure.InvalidAuthorization"


def test_unknown_secret_id(emulator: Emulator) -> None:
    resp = signed_post(emulator, sms(), secret_id="AKIDnobody")
    assert error_code(resp) == "AuthFailure.SecretIdNotFound"


def test_any_signed_headers_are_rebuilt_as_received(emulator: Emulator) -> None:
    resp = signed_post(
        emulator, sms(), signed_headers=("content-type", "host", "x-tc-action", "x-tc-region")
    )
    assert item_codes(resp) == ["Ok"]


def test_signed_headers_must_cover_content_type_and_host(emulator: Emulator) -> None:
    resp = signed_post(emulator, sms(), signed_headers=("content-type",))
    assert error_code(resp) == "AuthFailure.SignatureFailure"


def test_host_is_verified_as_received_port_included(emulator: Emulator) -> None:
    netloc = urlsplit(emulator.url).netloc
    hostname = urlsplit(emulator.url).hostname or ""
    assert item_codes(signed_post(emulator, sms(), headers={"Host": hostname})) == ["Ok"]
    # Signed without the port, sent with it (what a client that drops the port does).
    resp = signed_post(
        emulator, sms(params=["2"]), headers={"Host": hostname}, tamper_headers={"Host": netloc}
    )
    assert error_code(resp) == "AuthFailure.SignatureFailure"


def test_signature_covers_the_body_bytes(emulator: Emulator) -> None:
    tampered = json.dumps(sms(params=["999999"])).encode()
    resp = signed_post(emulator, sms(), tamper=tampered)
    assert error_code(resp) == "AuthFailure.SignatureFailure"


def test_scope_must_name_sms_and_the_utc_date(emulator: Emulator) -> None:
    assert error_code(signed_post(emulator, sms(), service="cvm")) == (
        "AuthFailure.SignatureFailure"
    )
    # 23:59:50 UTC: a client in UTC+8 would wrongly use the next day's date.
    ts = 1_700_006_390
    emulator.advance_clock(ts - time.time())
    resp = signed_post(emulator, sms(), timestamp=ts)
    assert item_codes(resp) == ["Ok"]
    auth = resp.request.headers["Authorization"]
    assert "/2023-11-14/sms/" in auth
    forged = {**resp.request.headers, "Authorization": auth.replace("-14/", "-15/")}
    resp = requests.post(emulator.url, data=resp.request.body, headers=forged, timeout=5)
    assert error_code(resp) == "AuthFailure.SignatureFailure"
    assert "UTC" in answer(resp)["Error"]["Message"]


def test_timestamp_window_is_300_seconds_both_ways(emulator: Emulator) -> None:
    now = int(emulator.now())
    assert item_codes(signed_post(emulator, sms(params=["1"]), timestamp=now - 250)) == ["Ok"]
    assert error_code(signed_post(emulator, sms(), timestamp=now - 400)) == (
        "AuthFailure.SignatureExpire"
    )
    assert error_code(signed_post(emulator, sms(), timestamp=now + 400)) == (
        "AuthFailure.SignatureExpire"
    )


# --- request checks -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({"X-TC-Action": "SendStatusStatistics"}, "InvalidAction"),
        ({"X-TC-Version": "2019-07-11"}, "NoSuchVersion"),
        ({"X-TC-Region": ""}, "MissingParameter"),
        ({"X-TC-Region": "mars-north-1"}, "UnsupportedRegion"),
    ],
)
def test_action_version_and_region(emulator: Emulator, headers: dict[str, str], code: str) -> None:
    assert error_code(signed_post(emulator, sms(), headers=headers)) == code


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("not an object", "FailedOperation.JsonParseFail"),
        ({"SmsSdkAppId": DEMO_SDK_APP_ID, "TemplateId": SIGN_IN}, "MissingParameter"),
        ({"PhoneNumberSet": [MAINLAND], "TemplateId": SIGN_IN}, "MissingParameter"),
        ({"PhoneNumberSet": [MAINLAND], "SmsSdkAppId": DEMO_SDK_APP_ID}, "MissingParameter"),
        (sms(numbers=[]), "MissingParameter.EmptyPhoneNumberSet"),
        (sms(numbers=[MAINLAND] * 201), "LimitExceeded.PhoneNumberCountLimit"),
        (sms(numbers=["12345", "+86abc"]), "InvalidParameterValue.IncorrectPhoneNumber"),
        (
            sms(numbers=[MAINLAND, HONG_KONG]),
            "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
        ),
        (
            sms(numbers=[HONG_KONG]),
            "UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone",
        ),
        (
            sms(template=DEMO_INTERNATIONAL_TEMPLATE_IDS["SignIn"]),
            "UnsupportedOperation.GlobalTemplateToChineseMainlandPhone",
        ),
        (sms(app=OTHER.sdk_app_ids[0]), "UnauthorizedOperation.SmsSdkAppIdVerifyFail"),
    ],
)
def test_body_checks(body: object, code: str) -> None:
    with Emulator(accounts=[OTHER]) as emu:
        assert error_code(signed_post(emu, body)) == code
        assert emu.outbox() == []


def test_body_that_is_not_json(emulator: Emulator) -> None:
    resp = signed_post(emulator, None, payload=b"{oops")
    assert error_code(resp) == "FailedOperation.JsonParseFail"


def test_two_hundred_numbers_are_fine(unlimited: Emulator) -> None:
    numbers = [f"+86137{i:08d}" for i in range(200)]
    assert item_codes(signed_post(unlimited, sms(numbers=numbers))) == ["Ok"] * 200


def test_other_account_sends_with_its_own_app() -> None:
    with Emulator(accounts=[OTHER]) as emu:
        body = sms(app="1400000001", template="300001", sign_name="Other")
        resp = signed_post(emu, body, secret_id=OTHER.secret_id, secret_key="other-secret-key")
        assert item_codes(resp) == ["Ok"]
        assert emu.outbox()[0]["content"] == "【Other】Other code 123456"


# --- phone numbers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw", ["+8613711112222", "008613711112222", "8613711112222", "13711112222"]
)
def test_mainland_number_forms(emulator: Emulator, raw: str) -> None:
    items = answer(signed_post(emulator, sms(numbers=[raw])))["SendStatusSet"]
    assert [(i["Code"], i["PhoneNumber"], i["IsoCode"]) for i in items] == [("Ok", MAINLAND, "CN")]


def test_malformed_numbers_among_good_ones_fail_one_by_one(emulator: Emulator) -> None:
    numbers = [MAINLAND, "+86 137 1111 2223", "+8613711112224", "12"]
    items = answer(signed_post(emulator, sms(numbers=numbers)))["SendStatusSet"]
    assert [i["Code"] for i in items] == [
        "Ok",
        "InvalidParameterValue.IncorrectPhoneNumber",
        "Ok",
        "InvalidParameterValue.IncorrectPhoneNumber",
    ]
    bad = items[1]
    assert (bad["SerialNo"], bad["Fee"], bad["IsoCode"]) == ("", 0, "DEF")
    assert [m["phoneNumber"] for m in emulator.outbox()] == [MAINLAND, "+8613711112224"]


# --- per-number frequency limits ----------------------------------------------------------


def test_same_content_within_thirty_seconds_is_refused_per_number(emulator: Emulator) -> None:
    assert item_codes(signed_post(emulator, sms())) == ["Ok"]
    resp = signed_post(emulator, sms(numbers=[MAINLAND, "+8613711112223"]))
    assert item_codes(resp) == ["LimitExceeded.PhoneNumberThirtySecondLimit", "Ok"]
    first = answer(resp)["SendStatusSet"][0]
    assert (first["SerialNo"], first["Fee"]) == ("", 0)
    # Other content may go at once; the same content again after 30 s.
    assert item_codes(signed_post(emulator, sms(params=["222222"]))) == ["Ok"]
    emulator.advance_clock(31)
    assert item_codes(signed_post(emulator, sms())) == ["Ok"]


def test_hourly_and_daily_limits(emulator: Emulator) -> None:
    def send(n: int) -> str:
        return item_codes(signed_post(emulator, sms(params=[f"{n:06d}"])))[0]

    assert [send(n) for n in range(5)] == ["Ok"] * 5
    assert send(5) == "LimitExceeded.PhoneNumberOneHourLimit"
    emulator.advance_clock(3601)
    assert [send(n) for n in range(10, 15)] == ["Ok"] * 5
    assert send(15) == "LimitExceeded.PhoneNumberOneHourLimit"
    emulator.advance_clock(3601)
    assert send(20) == "LimitExceeded.PhoneNumberDailyLimit"
    emulator.advance_clock(86400)
    assert send(30) == "Ok"
    assert len(emulator.outbox()) == 11


def test_limits_are_configurable_and_can_be_switched_off(unlimited: Emulator) -> None:
    codes = [item_codes(signed_post(unlimited, sms()))[0] for _ in range(12)]
    assert codes == ["Ok"] * 12
    with Emulator(limits=FrequencyLimits(same_content_seconds=None, per_hour=2)) as emu:
        codes = [item_codes(signed_post(emu, sms()))[0] for _ in range(3)]
        assert codes == ["Ok", "Ok", "LimitExceeded.PhoneNumberOneHourLimit"]


# --- faults -------------------------------------------------------------------------------


def test_fault_delay_then_a_normal_answer(emulator: Emulator) -> None:
    emulator.inject("delay", seconds=0.2)
    start = time.monotonic()
    resp = signed_post(emulator, sms())
    assert time.monotonic() - start >= 0.2
    assert item_codes(resp) == ["Ok"]


def test_fault_status(emulator: Emulator) -> None:
    emulator.inject("status", status=503)
    resp = signed_post(emulator, sms())
    assert resp.status_code == 503
    assert emulator.outbox() == []


def test_fault_malformed(emulator: Emulator) -> None:
    emulator.inject("malformed")
    resp = signed_post(emulator, sms())
    assert (resp.status_code, resp.headers["Content-Type"]) == (200, "application/json")
    with pytest.raises(ValueError, match=r"Expecting|Unterminated|Extra"):
        json.loads(resp.content)


def test_fault_wrong_shape(emulator: Emulator) -> None:
    emulator.inject("wrong_shape")
    emulator.inject("wrong_shape", body={"result": "ok"})
    first = signed_post(emulator, sms()).json()
    assert "Response" in first
    assert "SendStatusSet" not in first["Response"]
    assert "Error" not in first["Response"]
    assert signed_post(emulator, sms()).json() == {"result": "ok"}


def test_fault_drop_closes_without_an_answer(emulator: Emulator) -> None:
    emulator.inject("drop")
    with pytest.raises(requests.ConnectionError):
        signed_post(emulator, sms())
    assert emulator.outbox() == []
    assert emulator.stats() == {"requests": 1, "delivered": 0}


def test_fault_error_through_the_official_sdk(emulator: Emulator) -> None:
    emulator.inject("error", code="RequestLimitExceeded", message="too many")
    assert sdk_error(emulator) == "RequestLimitExceeded"
    emulator.inject("error", code="InternalError.Timeout")
    assert sdk_error(emulator) == "InternalError.Timeout"


def test_faults_apply_in_order_for_their_count_and_are_counted(emulator: Emulator) -> None:
    emulator.inject("error", count=2, code="InternalError.Timeout")
    emulator.inject("status", status=502)
    codes = [error_code(signed_post(emulator, sms(params=[str(n)]))) for n in range(2)]
    assert codes == ["InternalError.Timeout"] * 2
    assert signed_post(emulator, sms()).status_code == 502
    assert item_codes(signed_post(emulator, sms())) == ["Ok"]
    assert emulator.stats() == {"requests": 4, "delivered": 1}


def test_a_timestamp_of_five_thousand_digits_is_a_tencent_error(emulator: Emulator) -> None:
    resp = signed_post(emulator, sms(), tamper_headers={"X-TC-Timestamp": "9" * 5000})
    assert error_code(resp) == "InvalidParameterValue"
    assert "unix seconds" in answer(resp)["Error"]["Message"]


def test_deeply_nested_json_is_refused_as_tencent_would(emulator: Emulator) -> None:
    nested = b"[" * 100_000 + b"]" * 100_000
    assert error_code(signed_post(emulator, None, payload=nested)) == (
        "FailedOperation.JsonParseFail"
    )
    url = emulator.url + "/__emulator/faults"
    resp = requests.post(url, data=nested, timeout=5)
    assert resp.status_code == 400
    assert "nested too deeply" in resp.json()["error"]
    assert requests.get(url, timeout=5).json()["faults"] == []


@pytest.mark.parametrize(
    "half",
    [
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Le",
        b"GET / HT",
    ],
)
def test_stop_is_quiet_about_half_sent_requests(
    half: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="connector.emulator")
    emulator = Emulator()
    emulator.start()
    with socket.create_connection(("127.0.0.1", emulator.port)) as client:
        client.sendall(half)
        time.sleep(0.2)  # the server has read what there is and waits for the rest
        emulator.stop()
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_faults_over_http(emulator: Emulator) -> None:
    url = emulator.url + "/__emulator/faults"
    resp = requests.post(url, json={"kind": "status", "count": 2, "status": 500}, timeout=5)
    assert resp.json()["faults"] == [{"kind": "status", "status": 500, "body": None, "count": 2}]
    assert requests.get(url, timeout=5).json()["faults"][0]["count"] == 2
    assert requests.delete(url, timeout=5).json() == {"ok": True}
    assert item_codes(signed_post(emulator, sms())) == ["Ok"]
    bad = requests.post(url, json={"kind": "explode"}, timeout=5)
    assert bad.status_code == 400
    assert "unknown fault kind" in bad.json()["error"]
    bad = requests.post(url, json={"kind": "delay"}, timeout=5)
    assert bad.status_code == 400
    assert "seconds" in bad.json()["error"]


def test_bad_faults_raise(emulator: Emulator) -> None:
    with pytest.raises(FaultError, match="takes no parameter"):
        emulator.inject("drop", seconds=1)
    with pytest.raises(FaultError, match="at least 1"):
        emulator.inject("drop", count=0)
    emulator.inject("drop")
    emulator.clear_faults()
    assert item_codes(signed_post(emulator, sms())) == ["Ok"]


# --- outbox, page, stats ------------------------------------------------------------------


def test_outbox_api_health_and_stats(emulator: Emulator) -> None:
    signed_post(emulator, sms(params=["111111"]))
    signed_post(emulator, sms(params=["222222"]))
    base = emulator.url + "/__emulator"
    messages = requests.get(base + "/outbox", timeout=5).json()["messages"]
    assert [m["params"] for m in messages] == [["111111"], ["222222"]]
    assert messages == emulator.outbox()
    assert requests.get(base + "/health", timeout=5).json() == {"ok": True}
    assert requests.get(base + "/stats", timeout=5).json() == {"requests": 2, "delivered": 2}
    assert requests.delete(base + "/outbox", timeout=5).json() == {"ok": True}
    assert emulator.outbox() == []
    assert emulator.stats() == {"requests": 2, "delivered": 2}
    assert requests.get(base + "/nothing", timeout=5).status_code == 404
    assert requests.put(base + "/outbox", timeout=5).status_code == 405


def test_outbox_keeps_the_newest_ten_thousand(unlimited: Emulator) -> None:
    for batch in range(51):
        numbers = [f"+861{batch + 30:02d}{n:08d}" for n in range(200)]
        assert signed_post(unlimited, sms(numbers=numbers)).status_code == 200
    messages = unlimited.outbox()
    assert len(messages) == 10_000
    assert messages[0]["phoneNumber"] == "+8613100000000"  # the first batch is gone
    assert unlimited.stats() == {"requests": 51, "delivered": 10_200}


def test_page_escapes_and_shows_newest_first_without_the_secret(emulator: Emulator) -> None:
    signed_post(emulator, sms(params=["111111"]))
    script = "<script>alert(1)</script>"
    resp = signed_post(emulator, sms(template=DEMO_TWO_PARAM_TEMPLATE_ID, params=[script, "5"]))
    assert item_codes(resp) == ["Ok"]
    page = requests.get(emulator.url + "/", timeout=5)
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    html = page.text
    assert script not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.index("alert(1)") < html.index("111111")  # newest first
    assert "【Emulator】" in html
    assert MAINLAND in html
    assert 'http-equiv="refresh" content="2"' in html
    assert DEMO_SECRET_KEY not in html


def test_international_two_parameter_template_passes_text(emulator: Emulator) -> None:
    body = sms(
        numbers=[HONG_KONG],
        template=DEMO_INTERNATIONAL_TWO_PARAM_TEMPLATE_ID,
        params=["A1-b2", "10"],
        sign_name=None,
    )
    assert item_codes(signed_post(emulator, body)) == ["Ok"]
    assert emulator.outbox()[0]["content"] == "A1-b2 is your code; valid for 10 minutes."


def test_keep_alive_is_fast_and_stop_closes_open_connections() -> None:
    emu = Emulator(limits=None).start()
    url = emu.url
    with requests.Session() as session:
        start = time.monotonic()
        for _ in range(20):
            assert item_codes(signed_post(emu, sms(), session=session)) == ["Ok"]
        # Nagle's algorithm would add ~40 ms to each call on a reused connection (0.8 s for
        # 20); the bound leaves room for a busy machine and still catches that.
        assert time.monotonic() - start < 0.8

        emu.inject("delay", seconds=30)
        waiter = threading.Thread(target=_post_ignoring_errors, args=(emu,))
        waiter.start()
        while emu.stats()["requests"] < 21:
            time.sleep(0.01)
        start = time.monotonic()
        emu.stop()  # with one connection idle and one in a 30 s delay
        assert time.monotonic() - start < 2
        waiter.join(5)
        assert not waiter.is_alive()
        with pytest.raises(requests.ConnectionError):
            session.get(url + "/__emulator/health", timeout=2)


def _post_ignoring_errors(emu: Emulator) -> None:
    with contextlib.suppress(requests.RequestException):
        signed_post(emu, sms())


# --- TLS ----------------------------------------------------------------------------------


def test_tls_is_verified_by_the_ca_bundle_and_only_by_it(tmp_path: Path) -> None:
    ca_path = tmp_path / "emulator-ca.pem"
    with Emulator(tls=True, ca_path=ca_path) as emu:
        assert emu.url.startswith("https://127.0.0.1:")
        assert emu.ca_bundle == str(ca_path)
        assert ca_path.read_text().startswith("-----BEGIN")
        assert emu.connector_config()["caBundle"] == str(ca_path)
        resp = signed_post(emu, sms(), verify=str(ca_path))
        assert item_codes(resp) == ["Ok"]
        health = requests.get(emu.url + "/__emulator/health", verify=emu.ca_bundle, timeout=5)
        assert health.json() == {"ok": True}
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(emu.url + "/__emulator/health", verify=True, timeout=5)
        # The server survived the refused handshake.
        assert signed_post(emu, sms(params=["2"]), verify=str(ca_path)).status_code == 200


def test_tls_certificate_passes_strict_verification() -> None:
    # Python 3.13 turns on VERIFY_X509_STRICT by default: key identifiers, key usage and
    # basic constraints must all be right.  Check with the flags on, on any Python.
    with Emulator(tls=True) as emu:
        context = ssl.create_default_context(cafile=emu.ca_bundle)
        context.verify_flags |= ssl.VERIFY_X509_STRICT | ssl.VERIFY_X509_PARTIAL_CHAIN
        for name in ("127.0.0.1", "localhost"):
            with (
                socket.create_connection(("127.0.0.1", emu.port), timeout=5) as raw,
                context.wrap_socket(raw, server_hostname=name) as tls,
            ):
                assert tls.version() in ("TLSv1.2", "TLSv1.3")


def test_tls_bundle_in_a_temporary_directory_removed_on_stop() -> None:
    with Emulator(tls=True) as emu:
        bundle = emu.ca_bundle
        assert bundle is not None
        assert os.path.isfile(bundle)
        localhost = emu.url.replace("127.0.0.1", "localhost")
        resp = requests.get(localhost + "/__emulator/health", verify=bundle, timeout=5)
        assert resp.json() == {"ok": True}
        # Only the CA bundle is on disk: the server key was deleted once loaded.
        assert os.listdir(os.path.dirname(bundle)) == ["ca.pem"]
    assert not os.path.exists(bundle)


# --- config and accounts ------------------------------------------------------------------


def test_connector_config_targets_the_emulator_with_the_demo_account(emulator: Emulator) -> None:
    config = emulator.connector_config()
    assert config["endpoint"] == emulator.url
    assert (config["accessKeyId"], config["accessKeySecret"]) == (DEMO_SECRET_ID, DEMO_SECRET_KEY)
    assert (config["signName"], config["sdkAppId"], config["region"]) == (
        DEMO_SIGN,
        DEMO_SDK_APP_ID,
        "ap-guangzhou",
    )
    assert {t["usageType"]: t["templateCode"] for t in config["templates"]} == DEMO_TEMPLATE_IDS
    international = config["international"]["templates"]
    assert {t["usageType"]: t["templateCode"] for t in international} == (
        DEMO_INTERNATIONAL_TEMPLATE_IDS
    )
    assert "caBundle" not in config
    assert emulator.connector_config(signName="Other", extra=1)["signName"] == "Other"


def test_write_config_is_private(emulator: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text("{}")
    path.chmod(0o644)
    emulator.write_config(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == emulator.connector_config()


def test_secret_key_never_in_a_repr() -> None:
    assert "other-secret-key" not in repr(OTHER)
    assert DEMO_SECRET_KEY not in repr(Emulator().accounts)


def test_accounts_file_is_served(tmp_path: Path) -> None:
    path = tmp_path / "accounts.json"
    path.write_text(
        json.dumps(
            {
                "accounts": [
                    {
                        "secretId": "AKIDfile",
                        "secretKey": "file-key",
                        "sdkAppIds": ["1400555555"],
                        "signs": [{"name": "Acme"}],
                        "templates": [
                            {"id": "9", "text": "Hi {1}, code {2}", "kind": "notification"},
                            {"id": "10", "text": "Code {1}", "international": True},
                        ],
                    }
                ]
            }
        )
    )
    (account,) = load_accounts(path)
    assert account.templates[1].international
    assert account.templates[0].approved
    with Emulator(accounts=load_accounts(path)) as emu:
        body = sms(app="1400555555", template="9", params=["Ann", "42"], sign_name="Acme")
        resp = signed_post(emu, body, secret_id="AKIDfile", secret_key="file-key")
        assert item_codes(resp) == ["Ok"]
        assert emu.outbox()[0]["content"] == "【Acme】Hi Ann, code 42"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "is not valid JSON"),
        ("[]", "the top level must be a JSON object"),
        ('{"accounts": []}', "the list is empty"),
        ('{"accounts": [{"secretId": "A"}]}', "accounts[0].secretKey must be a non-empty string"),
        (
            '{"accounts": [{"secretId": "A", "secretKey": "k", "sdkAppIds": [], "x": 1}]}',
            "unknown key(s) x",
        ),
        (
            '{"accounts": [{"secretId": "A", "secretKey": "k", "sdkAppIds": [],'
            ' "templates": [{"id": "1", "text": "{2}"}]}]}',
            "none skipped",
        ),
        (
            '{"accounts": [{"secretId": "A", "secretKey": "k", "sdkAppIds": ["1"]},'
            ' {"secretId": "B", "secretKey": "k", "sdkAppIds": ["1"]}]}',
            "claim the SdkAppId 1",
        ),
    ],
)
def test_invalid_accounts_files_say_what_is_wrong(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "accounts.json"
    path.write_text(content)
    with pytest.raises(AccountsError) as info:
        load_accounts(path)
    assert message in str(info.value)
    assert str(path) in str(info.value)
    with pytest.raises(AccountsError, match="cannot read"):
        load_accounts(tmp_path / "missing.json")


def test_an_account_may_not_reuse_the_demo_secret_id() -> None:
    clash = Account(DEMO_SECRET_ID, "k")
    with pytest.raises(AccountsError, match="SecretId"):
        Emulator(accounts=[clash])


# --- the foreground server ----------------------------------------------------------------


def _serve(*args: str) -> subprocess.Popen[str]:
    code = (
        "import sys; from connector.emulator import serve; "
        f"sys.exit(serve('127.0.0.1', 0, {', '.join(args)}))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=REPO,
    )


def test_serve_prints_where_writes_the_config_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    proc = _serve(f"write_config={str(config)!r}")
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("Tencent SMS emulator on http://127.0.0.1:")
        url = first.split()[-1]
        assert requests.get(url + "/__emulator/health", timeout=5).json() == {"ok": True}
        assert json.loads(config.read_text())["endpoint"] == url
        assert stat.S_IMODE(config.stat().st_mode) == 0o600
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0
    assert DEMO_SECRET_KEY not in first + out
    assert err == ""  # no access log on stderr, no traceback


def test_serve_refuses_a_bad_accounts_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "accounts.json"
    path.write_text('{"accounts": 3}')
    assert serve("127.0.0.1", 0, accounts_path=path) == 2
    err = capsys.readouterr().err
    assert f"error: accounts file {path}: accounts must be a JSON array" in err


def _accounts_with_text(text: str) -> str:
    template = {"id": "1", "text": text}
    account = {"secretId": "A", "secretKey": "k", "sdkAppIds": ["1"], "templates": [template]}
    return json.dumps({"accounts": [account]})


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (_accounts_with_text("{30000000}"), "placeholder {30000000} is beyond {99}"),
        (_accounts_with_text("{99999999999999999999}"), "placeholder {999999999999…} is beyond"),
        (_accounts_with_text("".join(f"{{{n}}}" for n in range(1, 101))), "{100} is beyond"),
        ('{"accounts": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        ('{"accounts": [' + "1" * 5000 + "]}", "number too long"),
        (" " * (2 * 1024 * 1024), "larger than"),
    ],
    ids=["30000000", "twenty-digits", "hundred", "nested", "long-number", "huge-file"],
)
def test_an_unreasonable_accounts_file_is_exit_2_naming_it(
    tmp_path: Path, content: str, says: str
) -> None:
    path = tmp_path / "accounts.json"
    path.write_text(content)
    proc = run_cli("emulator", "--port", "0", "--accounts", str(path))
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    [line] = proc.stderr.splitlines()
    assert str(path) in line and says in line


def _banner(*args: str) -> str:
    """What ``logto-connector emulator ARGS`` prints before it waits for Ctrl-C."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "connector.cli", "emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        while not lines or not lines[-1].startswith("Press Ctrl-C"):
            line = proc.stdout.readline()
            assert line, proc.stderr.read() if proc.stderr else ""
            lines.append(line.rstrip("\n"))
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=10)
    finally:
        proc.kill()
        proc.wait()
    return "\n".join(lines)


def test_the_banner_says_what_a_wildcard_address_means_and_names_accounts_and_limits(
    tmp_path: Path,
) -> None:
    accounts = tmp_path / "accounts.json"
    accounts.write_text(_accounts_with_text("Code {1}"))
    text = _banner("--host", "0.0.0.0", "--accounts", str(accounts))
    assert "on every interface (0.0.0.0:" in text and "the URLs here use loopback" in text
    assert f"1 more from {accounts} (SecretId A)" in text
    assert "the same text once per 30 s, 5 an hour, 10 a day (--no-limits" in text
    plain = _banner("--no-limits")
    assert "every interface" not in plain
    assert "--accounts FILE" in plain
    assert "limits:        off" in plain


def test_a_limit_refusal_says_it_is_the_emulators_and_how_to_lift_it(tmp_path: Path) -> None:
    with Emulator() as emulator:
        config = emulator.write_config(tmp_path / "config.json")
        args = ["send", "tencent-sms", "--config", str(config), "--to", MAINLAND, "--code", "1"]
        assert run_cli(*args).returncode == 0
        proc = run_cli(*args)
    assert proc.returncode == 1
    [line] = proc.stderr.splitlines()
    assert "LimitExceeded.PhoneNumberThirtySecondLimit" in line
    assert "a per-number limit of this emulator" in line and "--no-limits" in line
    assert MAINLAND not in line and MAINLAND[1:] not in line


def test_the_page_has_a_cjk_font_and_says_when_the_outbox_was_emptied(
    emulator: Emulator,
) -> None:
    item_codes(signed_post(emulator, sms()))
    requests.delete(emulator.url + "/__emulator/outbox", timeout=5)
    page = requests.get(emulator.url + "/", timeout=5).text
    assert '"Noto Sans CJK SC"' in page and '"PingFang SC"' in page  # 【】 and Chinese signs
    assert "0 message(s) in the outbox" in page
    assert "since the emulator started:\n1 request(s), 1 delivered" in page
    assert "The outbox was emptied" in page


def test_a_port_in_use_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with Emulator() as running:
        with pytest.raises(OSError, match="in use"):
            Emulator(port=running.port).start()
        assert serve("127.0.0.1", running.port) == 2
        assert "error: cannot start on 127.0.0.1" in capsys.readouterr().err
