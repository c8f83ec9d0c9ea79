"""The account APIs beside SendSms: the sign and template lists, and the delivery reports.

``DescribeSmsSignList``, ``DescribeSmsTemplateList``, ``PullSmsSendStatus`` and
``PullSmsSendStatusByPhoneNumber`` (version 2021-01-11), with Tencent's parameter limits,
per-action rate limits and error codes.  Where Tencent's behaviour is not documented the
choice is noted: unknown ids are left out of a Describe answer; a template usable for both
kinds (``International`` 3) is listed under 0 and under 1; the look-up by number does not
drain the pull queue.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Mapping
from typing import Any

from ._accounts import Account, Directory, ReviewStatus, Sign, Template
from ._phones import parse_phone_number
from ._receipts import Report, ReportBook
from ._sendsms import Action, QueryParams, Refusal

MAX_IDS = 100
MAX_LIMIT = 100
LOOKBACK = 7 * 24 * 3600  # PullSmsSendStatusByPhoneNumber reaches seven days back
#: Requests per second per account, as Tencent documents them for each action.
RATE_LIMITS: Mapping[str, int] = {
    "DescribeSmsSignList": 20,
    "DescribeSmsTemplateList": 20,
    "PullSmsSendStatus": 100,
    "PullSmsSendStatusByPhoneNumber": 20,
}
_STATUS_CODES: Mapping[ReviewStatus, int] = {"approved": 0, "pending": 1, "rejected": -1}
_INTERNATIONAL = {"mainland": 0, "international": 1, "both": 3}


class AccountApis:
    """Answers the account actions for the emulator's accounts and reports."""

    def __init__(self, directory: Directory, book: ReportBook) -> None:
        self._directory = directory
        self._book = book
        self._calls: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def actions(self) -> dict[str, Action]:
        """The actions by ``X-TC-Action`` name, for SendSms's dispatch."""
        return {
            "DescribeSmsSignList": self.describe_sign_list,
            "DescribeSmsTemplateList": self.describe_template_list,
            "PullSmsSendStatus": self.pull_send_status,
            "PullSmsSendStatusByPhoneNumber": self.pull_send_status_by_phone,
        }

    # --- the actions ---------------------------------------------------------------------

    def describe_sign_list(
        self, account: Account, data: Mapping[str, Any], request_id: str, now: float
    ) -> dict[str, Any]:
        """Signs of one kind, by id or a page of all of them."""
        self._admit(account, "DescribeSmsSignList", now)
        _require_enterprise(account, "signatures")
        international = _international(data)
        signs = [s for s in account.signs if s.international == bool(international)]
        ids = _id_set(data, "SignIdSet")
        if ids is not None:
            chosen = [s for s in signs if account.sign_id(s) in ids]
        else:
            chosen = _page(data, signs, default_limit=10)
        return {"DescribeSignListStatusSet": [_sign_item(account, s) for s in chosen]}

    def describe_template_list(
        self, account: Account, data: Mapping[str, Any], request_id: str, now: float
    ) -> dict[str, Any]:
        """Templates of one kind (and those usable for both), by id or a page."""
        self._admit(account, "DescribeSmsTemplateList", now)
        _require_enterprise(account, "templates")
        if account.sub_account:
            raise Refusal(
                "FailedOperation.ProhibitSubAccountUse",
                "Only the main account may list templates; call with its API key.",
            )
        international = _international(data)
        templates = [
            t
            for t in account.templates
            if t.id.isdigit() and (t.both or t.international == bool(international))
        ]
        ids = _id_set(data, "TemplateIdSet")
        if ids is not None:
            chosen = [t for t in templates if int(t.id) in ids]
        else:
            chosen = _page(data, templates, default_limit=0)
        return {"DescribeTemplateStatusSet": [_template_item(t) for t in chosen]}

    def pull_send_status(
        self, account: Account, data: Mapping[str, Any], request_id: str, now: float
    ) -> dict[str, Any]:
        """Drain up to ``Limit`` ready reports of an app; each comes out once."""
        self._admit(account, "PullSmsSendStatus", now)
        limit = _limit(data, required=True)
        app_id = self._own_app(account, data)
        if not account.pull_enabled:
            raise Refusal(
                "UnauthorizedOperation.RequestPermissionDeny",
                "PullSmsSendStatus is not activated for this account; ask Tencent's SMS "
                "assistant to enable it.",
            )
        reports = self._book.pull(app_id, limit, now)
        return {"PullSmsSendStatusSet": [r.pull_item() for r in reports]}

    def pull_send_status_by_phone(
        self, account: Account, data: Mapping[str, Any], request_id: str, now: float
    ) -> dict[str, Any]:
        """Reports of one number within the last seven days; the queue is untouched."""
        self._admit(account, "PullSmsSendStatusByPhoneNumber", now)
        begin = _integer(data, "BeginTime", required=True)
        offset = _integer(data, "Offset", required=True)
        limit = _limit(data, required=True)
        raw_phone = data.get("PhoneNumber")
        if raw_phone is None:
            raise Refusal("MissingParameter", "The parameter PhoneNumber is missing.")
        app_id = self._own_app(account, data)
        end = _integer(data, "EndTime", required=False)
        assert begin is not None and offset is not None
        if begin < now - LOOKBACK:
            raise Refusal(
                "InvalidParameterValue.BeginTimeVerifyFail",
                "BeginTime is more than 7 days ago; reports are kept for 7 days.",
            )
        if end is not None and end < begin:
            raise Refusal("InvalidParameterValue.InvalidStartTime", "BeginTime is after EndTime.")
        if offset != 0:
            raise Refusal("InvalidParameterValue", "Offset must be 0.")
        phone = parse_phone_number(raw_phone) if isinstance(raw_phone, str) else None
        if phone is None:
            raise Refusal(
                "InvalidParameterValue.IncorrectPhoneNumber",
                "PhoneNumber must be an E.164 number such as +8613711112222.",
            )
        reports: list[Report] = self._book.for_number(
            app_id, phone.e164, begin, now if end is None else end, limit, now
        )
        return {"PullSmsSendStatusSet": [r.pull_item() for r in reports]}

    # --- shared checks -------------------------------------------------------------------

    def _admit(self, account: Account, action: str, now: float) -> None:
        """Tencent's per-action rate limit: a one-second sliding window per account."""
        with self._lock:
            window = self._calls.setdefault((account.secret_id, action), deque())
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= RATE_LIMITS[action]:
                raise Refusal(
                    "RequestLimitExceeded",
                    f"{action} allows {RATE_LIMITS[action]} requests per second; slow down.",
                )
            window.append(now)

    def _own_app(self, account: Account, data: Mapping[str, Any]) -> str:
        app_id = data.get("SmsSdkAppId")
        if app_id is None:
            raise Refusal("MissingParameter", "The parameter SmsSdkAppId is missing.")
        if not isinstance(app_id, str):
            raise Refusal("InvalidParameter", "The parameter SmsSdkAppId must be a string.")
        owner = self._directory.by_app_id(app_id)
        if owner is None:
            raise Refusal(
                "InvalidParameterValue.SdkAppIdNotExist",
                f"The SmsSdkAppId {app_id} does not exist.",
            )
        if owner is not account:
            raise Refusal(
                "UnauthorizedOperation.SmsSdkAppIdVerifyFail",
                f"The SmsSdkAppId {app_id} does not belong to this SecretId's account.",
            )
        return app_id


def _require_enterprise(account: Account, what: str) -> None:
    if not account.enterprise:
        raise Refusal(
            "FailedOperation.NotEnterpriseCertification",
            f"Individually verified accounts cannot query {what} by API; this needs "
            "enterprise verification.",
        )


#: An integer as a GET's query spells it (at most 18 digits: no number this large is valid).
_DECIMAL = re.compile(r"-?[0-9]{1,18}")


def _from_query(data: Mapping[str, Any], value: object) -> object:
    """``value`` as an integer when the request was a GET and it is a decimal; else as is."""
    if isinstance(data, QueryParams) and isinstance(value, str) and _DECIMAL.fullmatch(value):
        return int(value)
    return value


def _integer(data: Mapping[str, Any], name: str, *, required: bool) -> int | None:
    value = _from_query(data, data.get(name))
    if value is None:
        if required:
            raise Refusal("MissingParameter", f"The parameter {name} is missing.")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refusal("InvalidParameter", f"The parameter {name} must be an integer.")
    return value


def _international(data: Mapping[str, Any]) -> int:
    value = _integer(data, "International", required=True)
    if value not in (0, 1):
        raise Refusal(
            "InvalidParameterValue.InvalidInternational",
            "International must be 0 (Chinese mainland) or 1 (international).",
        )
    return value


def _limit(data: Mapping[str, Any], *, required: bool, default: int = 0) -> int:
    value = _integer(data, "Limit", required=required)
    if value is None:
        return default
    if not (1 if required else 0) <= value <= MAX_LIMIT:
        raise Refusal(
            "InvalidParameterValue.LimitVerifyFail",
            f"Limit must be {'1' if required else '0'} to {MAX_LIMIT}.",
        )
    return value


def _id_set(data: Mapping[str, Any], name: str) -> set[int] | None:
    value = data.get(name)
    if value is None or value == []:
        return None
    if isinstance(value, list):
        value = [_from_query(data, v) for v in value]
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise Refusal("InvalidParameter", f"The parameter {name} must be an array of integers.")
    if len(value) > MAX_IDS:
        raise Refusal(
            "FailedOperation.OtherError", f"{name} has {len(value)} ids; at most {MAX_IDS}."
        )
    return set(value)


def _page(data: Mapping[str, Any], items: list[Any], *, default_limit: int) -> list[Any]:
    limit = _limit(data, required=False, default=default_limit)
    offset = _integer(data, "Offset", required=False) or 0
    if offset < 0:
        raise Refusal("InvalidParameterValue", "Offset must not be negative.")
    return items[offset : offset + limit]


def _sign_item(account: Account, sign: Sign) -> dict[str, Any]:
    item: dict[str, Any] = {
        "SignId": account.sign_id(sign),
        "International": 1 if sign.international else 0,
        "StatusCode": _STATUS_CODES[sign.review],
        "ReviewReply": sign.reply,
        "SignName": sign.name,
        "CreateTime": 1_700_000_000,
    }
    if not sign.international:
        item.update(
            QualificationId=1_000_001,
            QualificationName="Emulator Ltd_1000001",
            QualificationStatusCode=1,
        )
    return item


def _template_item(template: Template) -> dict[str, Any]:
    return {
        "TemplateId": int(template.id),
        "International": _INTERNATIONAL[template.scope],
        "StatusCode": _STATUS_CODES[template.review],
        "ReviewReply": template.reply,
        "TemplateName": template.name or f"{template.kind} {template.id}",
        "CreateTime": 1_700_000_000,
        "TemplateContent": template.text,
    }
