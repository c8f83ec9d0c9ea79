"""The emulator's account APIs and delivery reports, driven by Tencent's own SDK over loopback."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator
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
    DEMO_BOTH_TEMPLATE_ID,
    DEMO_PENDING_SIGN,
    DEMO_REJECTED_SIGN,
    DEMO_REJECTED_TEMPLATE_ID,
    DEMO_SDK_APP_ID,
    DEMO_SECRET_ID,
    DEMO_SECRET_KEY,
    DEMO_SIGN,
    DEMO_TEMPLATE_IDS,
    DEMO_UNAPPROVED_TEMPLATE_ID,
    Account,
    AccountsError,
    Emulator,
    Sign,
    Template,
)
from connector.emulator._account_apis import AccountApis
from connector.emulator._accounts import Directory, demo_account, parse_accounts
from connector.emulator._clock import Clock
from connector.emulator._receipts import ReportBook
from connector.emulator._sendsms import Refusal
from tests.callback_receiver import ACCEPT, Receiver
from tests.cli_process import run_cli

VECTORS = Path(__file__).resolve().parent / "data" / "tc3-vectors"
SIGN_IN = DEMO_TEMPLATE_IDS["SignIn"]
OK_NUMBER = "+8613711112222"
UNDELIVERED = "+8613800000001"  # the demo account's carrier fails it (UNDELIV)
NEVER_REPORTED = "+8613800000003"

EXAMPLE = Account(
    secret_id="AKIDEXAMPLE",
    secret_key="SECRETEXAMPLE",
    sdk_app_ids=("1400000009",),
    signs=(
        Sign("腾讯云", id=1110),
        Sign("示例商城", status="pending", id=1111),
    ),
    templates=(
        Template("1234567", "您的验证码为{1}，{2}分钟内有效，请勿泄露。"),
        Template(
            "1234568", "您的订单{1}已发货", status="rejected", reply="模板内容需体现具体业务场景"
        ),
    ),
)
PERSONAL = Account(
    secret_id="AKIDpersonal00000000000000000000000",
    secret_key="personal-secret",
    sdk_app_ids=("1400000010",),
    templates=(Template("400001", "Code {1}"),),
    enterprise=False,
    pull_enabled=False,
)
SUB_ACCOUNT = Account(
    secret_id="AKIDsubaccount000000000000000000000",
    secret_key="sub-secret",
    sdk_app_ids=("1400000011",),
    sub_account=True,
)


# --- helpers ------------------------------------------------------------------------------


def client(
    emu: Emulator, account: Account | None = None, method: str = "POST"
) -> sms_client.SmsClient:
    """Tencent's official SMS client for an account (default: the demo one) on the emulator;
    ``method="GET"`` makes the SDK send parameters in the query, where every value is text."""
    profile = HttpProfile(
        protocol="http", endpoint=urlsplit(emu.url).netloc, reqTimeout=5, reqMethod=method
    )
    secret_id = account.secret_id if account else DEMO_SECRET_ID
    secret_key = account.secret_key if account else DEMO_SECRET_KEY
    return sms_client.SmsClient(
        credential.Credential(secret_id, secret_key),
        "ap-guangzhou",
        ClientProfile(httpProfile=profile),
    )


def call(
    emu: Emulator,
    action: str,
    params: dict[str, Any],
    account: Account | None = None,
    method: str = "POST",
) -> Any:
    """Call an action through the SDK; return its parsed response model as a dict."""
    request = getattr(models, f"{action}Request")()
    request.from_json_string(json.dumps(params))
    response = getattr(client(emu, account, method), action)(request)
    result: dict[str, Any] = json.loads(response.to_json_string())
    return result


def error_of(
    emu: Emulator, action: str, params: dict[str, Any], account: Account | None = None
) -> str:
    """The error code the SDK raises for a call."""
    with pytest.raises(TencentCloudSDKException) as info:
        call(emu, action, params, account)
    return str(info.value.get_code())


def send(emu: Emulator, *numbers: str, template: str = SIGN_IN) -> list[str]:
    """SendSms through the SDK; the SerialNo of each number."""
    params = {
        "PhoneNumberSet": list(numbers),
        "SmsSdkAppId": DEMO_SDK_APP_ID,
        "SignName": DEMO_SIGN,
        "TemplateId": template,
        "TemplateParamSet": ["123456"],
    }
    answer = call(emu, "SendSms", params)
    assert [item["Code"] for item in answer["SendStatusSet"]] == ["Ok"] * len(numbers)
    return [str(item["SerialNo"]) for item in answer["SendStatusSet"]]


def pull(emu: Emulator, limit: int = 100) -> list[dict[str, Any]]:
    answer = call(emu, "PullSmsSendStatus", {"Limit": limit, "SmsSdkAppId": DEMO_SDK_APP_ID})
    items: list[dict[str, Any]] = answer["PullSmsSendStatusSet"]
    return items


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait until ``predicate()`` holds (a background thread is expected to make it so)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.02)


@pytest.fixture
def emu() -> Iterator[Emulator]:
    """An emulator with the demo account and three special ones; reports after 60 s."""
    with Emulator(accounts=[EXAMPLE, PERSONAL, SUB_ACCOUNT], report_delay=60) as emulator:
        yield emulator


# --- the captured SDK requests verify -----------------------------------------------------


@pytest.mark.parametrize(
    "name", ["describesmssignlist", "describesmstemplatelist", "pullsmssendstatus"]
)
def test_captured_requests_verify(emu: Emulator, name: str) -> None:
    vector = json.loads((VECTORS / f"{name}_vector_1.json").read_text("utf-8"))
    expected = vector["expected"]
    # Replay at the moment of capture, with the exact bytes and headers the SDK sent.
    emu.advance_clock(vector["inputs"]["timestamp"] - emu.now())
    headers = dict(expected["sdk_request"]["headers_in_order"])
    reply = requests.post(
        emu.url + "/",
        data=base64.b64decode(expected["body_base64"]),
        headers=headers,
        timeout=5,
    )
    assert reply.headers["Content-Type"] == "application/json"
    response = reply.json()["Response"]
    fixture = vector["response_fixture"]["body"]["Response"]
    if name == "pullsmssendstatus":
        # The capture asks for app 1400000000, which is the demo account's: the signature
        # passed, and the ownership check answers as Tencent does.
        assert response["Error"]["Code"] == "UnauthorizedOperation.SmsSdkAppIdVerifyFail"
        return
    assert "Error" not in response
    key = "DescribeSignListStatusSet" if "sign" in name else "DescribeTemplateStatusSet"
    compared = ("International", "StatusCode", "ReviewReply", "SignName", "TemplateContent")
    got = [{k: v for k, v in item.items() if k in compared} for item in response[key]]
    want = [{k: v for k, v in item.items() if k in compared} for item in fixture[key]]
    assert got == want


def test_a_tampered_capture_is_refused(emu: Emulator) -> None:
    vector = json.loads((VECTORS / "describesmssignlist_vector_1.json").read_text("utf-8"))
    expected = vector["expected"]
    emu.advance_clock(vector["inputs"]["timestamp"] - emu.now())
    body = base64.b64decode(expected["body_base64"]).replace(b"1111", b"1112")
    reply = requests.post(
        emu.url + "/",
        data=body,
        headers=dict(expected["sdk_request"]["headers_in_order"]),
        timeout=5,
    )
    assert reply.json()["Response"]["Error"]["Code"] == "AuthFailure.SignatureFailure"


# --- DescribeSmsSignList ------------------------------------------------------------------


def test_sign_list_shows_each_review_state(emu: Emulator) -> None:
    answer = call(emu, "DescribeSmsSignList", {"International": 0, "Limit": 100, "Offset": 0})
    states = {s["SignName"]: s["StatusCode"] for s in answer["DescribeSignListStatusSet"]}
    assert states == {DEMO_SIGN: 0, DEMO_PENDING_SIGN: 1, DEMO_REJECTED_SIGN: -1}
    rejected = next(
        s for s in answer["DescribeSignListStatusSet"] if s["SignName"] == DEMO_REJECTED_SIGN
    )
    assert rejected["ReviewReply"]


def test_sign_list_pages_and_ids(emu: Emulator) -> None:
    first = call(emu, "DescribeSmsSignList", {"International": 0, "Limit": 2, "Offset": 0})
    rest = call(emu, "DescribeSmsSignList", {"International": 0, "Limit": 2, "Offset": 2})
    assert len(first["DescribeSignListStatusSet"]) == 2
    assert len(rest["DescribeSignListStatusSet"]) == 1
    one_id = first["DescribeSignListStatusSet"][1]["SignId"]
    by_id = call(emu, "DescribeSmsSignList", {"International": 0, "SignIdSet": [one_id, 999]})
    assert [s["SignId"] for s in by_id["DescribeSignListStatusSet"]] == [one_id]
    international = call(emu, "DescribeSmsSignList", {"International": 1, "Limit": 100})
    assert international["DescribeSignListStatusSet"] == []


def test_sign_list_default_page_is_ten(emu: Emulator) -> None:
    many = Account(
        secret_id="AKIDmany000000000000000000000000000",
        secret_key="many-secret",
        signs=tuple(Sign(f"Sign{i}") for i in range(12)),
    )
    with Emulator(accounts=[many]) as other:
        answer = call(other, "DescribeSmsSignList", {"International": 0}, many)
    assert len(answer["DescribeSignListStatusSet"]) == 10


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "MissingParameter"),
        ({"International": 2}, "InvalidParameterValue.InvalidInternational"),
        ({"International": 0, "Limit": 101}, "InvalidParameterValue.LimitVerifyFail"),
        ({"International": 0, "SignIdSet": list(range(101))}, "FailedOperation.OtherError"),
    ],
)
def test_sign_list_refuses_bad_parameters(emu: Emulator, params: dict[str, Any], code: str) -> None:
    assert error_of(emu, "DescribeSmsSignList", params) == code


# --- DescribeSmsTemplateList --------------------------------------------------------------


def test_template_list_by_id(emu: Emulator) -> None:
    ids = [int(SIGN_IN), int(DEMO_UNAPPROVED_TEMPLATE_ID), int(DEMO_REJECTED_TEMPLATE_ID), 999]
    answer = call(emu, "DescribeSmsTemplateList", {"International": 0, "TemplateIdSet": ids})
    found = {t["TemplateId"]: t for t in answer["DescribeTemplateStatusSet"]}
    assert sorted(found) == sorted(ids[:3])
    assert found[int(SIGN_IN)]["StatusCode"] == 0
    assert "{1}" in found[int(SIGN_IN)]["TemplateContent"]
    assert found[int(DEMO_UNAPPROVED_TEMPLATE_ID)]["StatusCode"] == 1
    assert found[int(DEMO_REJECTED_TEMPLATE_ID)]["StatusCode"] == -1
    assert found[int(DEMO_REJECTED_TEMPLATE_ID)]["ReviewReply"]


def test_account_actions_by_get(emu: Emulator) -> None:
    """The SDK's GET form sends integers as text (``Limit=5``, ``TemplateIdSet.0=...``): the
    emulator reads them as Tencent does, and still refuses what is not a number."""
    ids = [int(SIGN_IN), int(DEMO_UNAPPROVED_TEMPLATE_ID)]
    by_id = {"International": 0, "TemplateIdSet": ids}
    post = call(emu, "DescribeSmsTemplateList", by_id)
    get = call(emu, "DescribeSmsTemplateList", by_id, method="GET")
    assert get["DescribeTemplateStatusSet"] == post["DescribeTemplateStatusSet"]
    assert sorted(t["TemplateId"] for t in get["DescribeTemplateStatusSet"]) == sorted(ids)
    page = call(
        emu, "DescribeSmsSignList", {"International": 0, "Limit": 1, "Offset": 0}, method="GET"
    )
    assert len(page["DescribeSignListStatusSet"]) == 1
    (serial,) = send(emu, UNDELIVERED)
    emu.advance_clock(61)
    pulled = call(
        emu,
        "PullSmsSendStatus",
        {"Limit": 10, "SmsSdkAppId": DEMO_SDK_APP_ID},
        method="GET",
    )["PullSmsSendStatusSet"]
    assert [(r["SerialNo"], r["Description"]) for r in pulled] == [(serial, "UNDELIV")]
    found = call(emu, "PullSmsSendStatusByPhoneNumber", lookup(emu, UNDELIVERED), method="GET")
    assert [r["SerialNo"] for r in found["PullSmsSendStatusSet"]] == [serial]
    too_many = {"Limit": 101, "SmsSdkAppId": DEMO_SDK_APP_ID}
    with pytest.raises(TencentCloudSDKException) as info:
        call(emu, "PullSmsSendStatus", too_many, method="GET")
    assert info.value.get_code() == "InvalidParameterValue.LimitVerifyFail"


def test_template_list_kinds(emu: Emulator) -> None:
    ids = [int(SIGN_IN), int(DEMO_BOTH_TEMPLATE_ID)]
    mainland = call(emu, "DescribeSmsTemplateList", {"International": 0, "TemplateIdSet": ids})
    abroad = call(emu, "DescribeSmsTemplateList", {"International": 1, "TemplateIdSet": ids})
    assert {t["TemplateId"]: t["International"] for t in mainland["DescribeTemplateStatusSet"]} == {
        int(SIGN_IN): 0,
        int(DEMO_BOTH_TEMPLATE_ID): 3,
    }
    assert [t["TemplateId"] for t in abroad["DescribeTemplateStatusSet"]] == [
        int(DEMO_BOTH_TEMPLATE_ID)
    ]


def test_template_list_mode_needs_a_limit(emu: Emulator) -> None:
    nothing = call(emu, "DescribeSmsTemplateList", {"International": 0})
    assert nothing["DescribeTemplateStatusSet"] == []
    page = call(emu, "DescribeSmsTemplateList", {"International": 0, "Limit": 5, "Offset": 0})
    assert len(page["DescribeTemplateStatusSet"]) == 5


def test_describe_refused_to_personal_accounts_and_sub_accounts(emu: Emulator) -> None:
    personal = error_of(emu, "DescribeSmsTemplateList", {"International": 0}, PERSONAL)
    assert personal == "FailedOperation.NotEnterpriseCertification"
    signs = error_of(emu, "DescribeSmsSignList", {"International": 0}, PERSONAL)
    assert signs == "FailedOperation.NotEnterpriseCertification"
    sub = error_of(emu, "DescribeSmsTemplateList", {"International": 0}, SUB_ACCOUNT)
    assert sub == "FailedOperation.ProhibitSubAccountUse"


def test_per_action_rate_limit() -> None:
    directory = Directory([demo_account()])
    apis = AccountApis(directory, ReportBook(directory, Clock(), 0))
    account = demo_account()
    for _ in range(20):
        apis.describe_sign_list(account, {"International": 0}, "r", 1000.0)
    with pytest.raises(Refusal) as info:
        apis.describe_sign_list(account, {"International": 0}, "r", 1000.5)
    assert info.value.code == "RequestLimitExceeded"
    apis.describe_sign_list(account, {"International": 0}, "r", 1001.01)  # a second later


# --- SendSms follows the review states and kinds -------------------------------------------


def test_sendsms_honours_review_states_and_both_kinds(emu: Emulator) -> None:
    send(emu, OK_NUMBER, template=DEMO_BOTH_TEMPLATE_ID)
    answer = call(
        emu,
        "SendSms",
        {
            "PhoneNumberSet": ["+85291234567"],
            "SmsSdkAppId": DEMO_SDK_APP_ID,
            "TemplateId": DEMO_BOTH_TEMPLATE_ID,
            "TemplateParamSet": ["123456"],
        },
    )
    assert answer["SendStatusSet"][0]["Code"] == "Ok"
    rejected = {
        "PhoneNumberSet": ["+8613711113333"],
        "SmsSdkAppId": DEMO_SDK_APP_ID,
        "SignName": DEMO_SIGN,
        "TemplateId": DEMO_REJECTED_TEMPLATE_ID,
        "TemplateParamSet": ["1"],
    }
    assert error_of(emu, "SendSms", rejected) == "FailedOperation.TemplateIncorrectOrUnapproved"
    rejected_sign = {**rejected, "TemplateId": SIGN_IN, "SignName": DEMO_REJECTED_SIGN}
    assert error_of(emu, "SendSms", rejected_sign) == (
        "FailedOperation.SignatureIncorrectOrUnapproved"
    )


# --- delivery reports: pull ---------------------------------------------------------------


def test_reports_arrive_after_the_delay_and_come_out_once(emu: Emulator) -> None:
    ok, failed = send(emu, OK_NUMBER, UNDELIVERED)
    assert pull(emu) == []  # the carrier has not answered yet
    emu.advance_clock(61)
    reports = {r["SerialNo"]: r for r in pull(emu)}
    assert set(reports) == {ok, failed}
    assert (reports[ok]["ReportStatus"], reports[ok]["Description"]) == ("SUCCESS", "DELIVRD")
    assert (reports[failed]["ReportStatus"], reports[failed]["Description"]) == (
        "FAIL",
        "UNDELIV",
    )
    assert reports[ok]["PhoneNumber"] == OK_NUMBER
    assert reports[ok]["CountryCode"] == "86"
    assert reports[ok]["SubscriberNumber"] == OK_NUMBER[3:]
    assert pull(emu) == []  # each report is pulled once


def test_pull_respects_limit(emu: Emulator) -> None:
    numbers = [f"+861380013{i:04d}" for i in range(5)]
    send(emu, *numbers)
    emu.advance_clock(61)
    first, second = pull(emu, limit=3), pull(emu, limit=3)
    assert (len(first), len(second)) == (3, 2)
    assert {r["PhoneNumber"] for r in first + second} == set(numbers)


def test_injected_and_missing_reports(emu: Emulator) -> None:
    emu.inject_report("EXPIRED")
    emu.inject_report("NONE")
    expired, silent = send(emu, OK_NUMBER, "+8613711113333")
    (never,) = send(emu, NEVER_REPORTED)
    emu.advance_clock(61)
    reports = {r["SerialNo"]: r for r in pull(emu)}
    assert reports[expired]["Description"] == "EXPIRED"
    assert silent not in reports and never not in reports
    assert len(emu.reports()) == 1


def lookup(emu: Emulator, phone: str, **change: Any) -> dict[str, Any]:
    """PullSmsSendStatusByPhoneNumber parameters for the last hour, with changes."""
    return {
        "BeginTime": int(emu.now()) - 3600,
        "Offset": 0,
        "Limit": 10,
        "PhoneNumber": phone,
        "SmsSdkAppId": DEMO_SDK_APP_ID,
        **change,
    }


def test_lookup_by_number_does_not_drain_the_queue(emu: Emulator) -> None:
    (serial,) = send(emu, UNDELIVERED)
    send(emu, OK_NUMBER)
    emu.advance_clock(61)
    params = lookup(emu, UNDELIVERED)
    found = call(emu, "PullSmsSendStatusByPhoneNumber", params)["PullSmsSendStatusSet"]
    assert [(r["SerialNo"], r["Description"]) for r in found] == [(serial, "UNDELIV")]
    assert len(pull(emu)) == 2
    again = call(emu, "PullSmsSendStatusByPhoneNumber", params)["PullSmsSendStatusSet"]
    assert [r["SerialNo"] for r in again] == [serial]
    before = {**params, "EndTime": int(emu.now()) - 1800}
    assert call(emu, "PullSmsSendStatusByPhoneNumber", before)["PullSmsSendStatusSet"] == []


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"BeginTime": 0}, "InvalidParameterValue.BeginTimeVerifyFail"),
        ({"EndTime": 1}, "InvalidParameterValue.InvalidStartTime"),
        ({"PhoneNumber": "12345"}, "InvalidParameterValue.IncorrectPhoneNumber"),
        ({"Limit": 101}, "InvalidParameterValue.LimitVerifyFail"),
        ({"SmsSdkAppId": "1400999999"}, "InvalidParameterValue.SdkAppIdNotExist"),
        ({"SmsSdkAppId": "1400000009"}, "UnauthorizedOperation.SmsSdkAppIdVerifyFail"),
    ],
)
def test_lookup_by_number_refusals(emu: Emulator, change: dict[str, Any], code: str) -> None:
    params = lookup(emu, OK_NUMBER, **change)
    assert error_of(emu, "PullSmsSendStatusByPhoneNumber", params) == code


@pytest.mark.parametrize(
    ("params", "account", "code"),
    [
        (
            {"Limit": 0, "SmsSdkAppId": DEMO_SDK_APP_ID},
            None,
            "InvalidParameterValue.LimitVerifyFail",
        ),
        ({"Limit": 10}, None, "MissingParameter"),
        (
            {"Limit": 10, "SmsSdkAppId": "1400999999"},
            None,
            "InvalidParameterValue.SdkAppIdNotExist",
        ),
        (
            {"Limit": 10, "SmsSdkAppId": DEMO_SDK_APP_ID},
            EXAMPLE,
            "UnauthorizedOperation.SmsSdkAppIdVerifyFail",
        ),
        (
            {"Limit": 10, "SmsSdkAppId": "1400000010"},
            PERSONAL,
            "UnauthorizedOperation.RequestPermissionDeny",
        ),
    ],
)
def test_pull_refusals(
    emu: Emulator, params: dict[str, Any], account: Account | None, code: str
) -> None:
    assert error_of(emu, "PullSmsSendStatus", params, account) == code


# --- delivery reports: pushed to a callback URL --------------------------------------------


@pytest.fixture
def receiver_factory() -> Iterator[Callable[[list[tuple[int, object]]], Receiver]]:
    made: list[Receiver] = []

    def make(answers: list[tuple[int, object]]) -> Receiver:
        made.append(Receiver(answers))
        return made[-1]

    yield make
    for receiver in made:
        receiver.close()


def test_callback_pushes_tencents_array(
    receiver_factory: Callable[[list[tuple[int, object]]], Receiver],
) -> None:
    receiver = receiver_factory([ACCEPT])
    with Emulator(report_delay=0, callback_url=receiver.url) as emu:
        ok, failed = send(emu, OK_NUMBER, UNDELIVERED)
        wait_for(lambda: sum(len(p) for p in receiver.pushes) == 2)
        attempts = emu.callback_attempts()
    items = {item["sid"]: item for push in receiver.pushes for item in push}
    assert items[ok]["report_status"] == "SUCCESS" and items[ok]["errmsg"] == "DELIVRD"
    assert items[failed]["report_status"] == "FAIL" and items[failed]["errmsg"] == "UNDELIV"
    assert items[ok]["nationcode"] == "86" and items[ok]["mobile"] == OK_NUMBER[3:]
    assert time.strptime(items[ok]["user_receive_time"], "%Y-%m-%d %H:%M:%S")
    assert all(a["accepted"] for a in attempts)


def test_callback_retried_twice_then_given_up(
    receiver_factory: Callable[[list[tuple[int, object]]], Receiver],
) -> None:
    receiver = receiver_factory([(500, {"error": "down"})])
    with Emulator(report_delay=0, callback_url=receiver.url, callback_retry_delay=0.01) as emu:
        send(emu, OK_NUMBER)
        wait_for(lambda: len(emu.callback_attempts()) == 3)
        time.sleep(0.2)  # room for a wrong fourth attempt to show up
        attempts = emu.callback_attempts()
    assert [(a["attempt"], a["accepted"]) for a in attempts] == [(1, False), (2, False), (3, False)]
    assert len(receiver.pushes) == 3


@pytest.mark.parametrize("refusal", [(200, {"result": 1, "errmsg": "busy"}), (503, {})])
def test_callback_retry_until_accepted(
    receiver_factory: Callable[[list[tuple[int, object]]], Receiver],
    refusal: tuple[int, object],
) -> None:
    receiver = receiver_factory([refusal, ACCEPT])
    with Emulator(report_delay=0, callback_url=receiver.url, callback_retry_delay=0.01) as emu:
        send(emu, OK_NUMBER)
        wait_for(lambda: any(a["accepted"] for a in emu.callback_attempts()))
        attempts = emu.callback_attempts()
    assert [a["attempt"] for a in attempts] == [1, 2]
    assert receiver.pushes[0] == receiver.pushes[1]  # the same reports, sent again


def test_callback_batches_hold_at_most_100_reports(
    receiver_factory: Callable[[list[tuple[int, object]]], Receiver],
) -> None:
    receiver = receiver_factory([ACCEPT])
    numbers = [f"+86139{i:08d}" for i in range(150)]
    with Emulator(report_delay=0.5, callback_url=receiver.url) as emu:
        serials = send(emu, *numbers)
        wait_for(lambda: sum(len(p) for p in receiver.pushes) == 150)
    assert sorted(len(p) for p in receiver.pushes) == [50, 100]
    assert sorted(item["sid"] for push in receiver.pushes for item in push) == sorted(serials)


def test_callback_url_must_be_http() -> None:
    with pytest.raises(ValueError, match="callback_url"):
        Emulator(callback_url="ftp://127.0.0.1/x")


# --- the accounts file --------------------------------------------------------------------


def test_accounts_file_reads_review_states_and_reports() -> None:
    (account,) = parse_accounts(
        {
            "accounts": [
                {
                    "secretId": "AKIDfile",
                    "secretKey": "k",
                    "sdkAppIds": ["1400000077"],
                    "signs": [{"name": "A", "status": "rejected", "reply": "why", "id": 7}],
                    "templates": [{"id": "5", "text": "{1}", "both": True, "status": "pending"}],
                    "enterprise": False,
                    "subAccount": True,
                    "pullEnabled": False,
                    "reports": {"+8613800000009": "EXPIRED", "+8613800000008": "NONE"},
                }
            ]
        }
    )
    assert account.signs[0].review == "rejected" and account.sign_id(account.signs[0]) == 7
    assert account.templates[0].scope == "both" and account.templates[0].review == "pending"
    assert (account.enterprise, account.sub_account, account.pull_enabled) == (False, True, False)
    assert account.reports["+8613800000009"] == "EXPIRED"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"signs": [{"name": "A", "status": "maybe"}]}, "status must be one of"),
        ({"reports": {"13800000009": "EXPIRED"}}, "not an E.164 number"),
        ({"reports": {"+8613800000009": "lost"}}, "receipt code"),
        ({"signs": [{"name": "A", "id": "7"}]}, "id must be an integer"),
    ],
)
def test_accounts_file_refusals(change: dict[str, Any], message: str) -> None:
    account = {"secretId": "AKIDfile", "secretKey": "k", "sdkAppIds": ["1400000077"], **change}
    with pytest.raises(AccountsError, match=message):
        parse_accounts({"accounts": [account]})


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["--callback-url", "ftp://127.0.0.1/x"], "callback_url must be an http"),
        (["--report-delay", "-1"], "is not a number of seconds"),
        (["--report-delay", "soon"], "is not a number of seconds"),
    ],
)
def test_emulator_command_refuses_bad_report_flags(flags: list[str], words: str) -> None:
    result = run_cli("emulator", "--port", "0", *flags)
    assert result.returncode == 2
    assert words in result.stderr
    assert "Traceback" not in result.stderr


def test_outcomes_injected_over_http(emu: Emulator) -> None:
    url = emu.url + "/__emulator/reports"
    assert requests.post(url, json={"code": "REJECTD", "count": 2}, timeout=5).status_code == 200
    first, second, third = send(emu, "+8613711110001", "+8613711110002", "+8613711110003")
    emu.advance_clock(61)
    codes = {r["SerialNo"]: r["Description"] for r in pull(emu)}
    assert codes == {first: "REJECTD", second: "REJECTD", third: "DELIVRD"}
    listed = requests.get(url, timeout=5).json()["reports"]
    assert {r["SerialNo"] for r in listed if r["pulled"]} == {first, second, third}


@pytest.mark.parametrize(
    "body",
    [{"code": "lost"}, {"code": "UNDELIV", "count": 0}, {"count": 1}, ["UNDELIV"]],
)
def test_bad_injected_outcomes_are_refused(emu: Emulator, body: object) -> None:
    reply = requests.post(emu.url + "/__emulator/reports", json=body, timeout=5)
    assert reply.status_code == 400
    assert "error" in reply.json()
    with pytest.raises(ValueError, match="receipt code"):
        emu.inject_report("delivered")
