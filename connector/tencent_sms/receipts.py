"""Tencent's delivery reports as the kit's receipts: the callback push and the pull APIs.

The push (status callback) is a JSON array of objects with string fields ``sid``,
``nationcode``, ``mobile``, ``report_status`` (``SUCCESS``/``FAIL``), ``errmsg`` (the report
code), ``description`` and ``user_receive_time`` (``YYYY-MM-DD HH:MM:SS``, Beijing time).
``PullSmsSendStatus`` drains a queue (each report comes out once);
``PullSmsSendStatusByPhoneNumber`` looks one number up without draining it.
"""

from __future__ import annotations

import calendar
import json
import time
from collections.abc import Mapping
from typing import Any

from ..kit import ConnectorError, DeliveryReceipt, ErrorCode, ReceiptStatus
from .client import SendSmsClient
from .errors import text_field
from .lookups import call
from .phone import normalize
from .settings import Settings

MAX_LIMIT = 100  # reports per pull, Tencent's cap
MAX_CALLBACK_ITEMS = 1000  # Tencent pushes at most 100; anything far beyond is not Tencent
_BEIJING = 8 * 3600
_STATUSES: Mapping[str, ReceiptStatus] = {"SUCCESS": "delivered", "FAIL": "failed"}
_CALLBACK_FIELDS = ("sid", "nationcode", "mobile", "report_status", "errmsg")


def parse_callback(body: bytes, connector_id: str) -> list[DeliveryReceipt]:
    """The receipts of one status-callback push; ``invalid_request_parameters`` when the
    body is not Tencent's format (the message names the item and field, never a number)."""
    try:
        items = json.loads(body)
    except (ValueError, RecursionError):
        raise _bad("the body is not JSON") from None
    if not isinstance(items, list):
        raise _bad("the body must be a JSON array of status reports")
    if len(items) > MAX_CALLBACK_ITEMS:
        raise _bad(f"the body holds {len(items)} reports; Tencent pushes at most 100")
    receipts = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise _bad(f"report [{index}] is not an object")
        for name in _CALLBACK_FIELDS:
            if not isinstance(item.get(name), str) or not item[name]:
                raise _bad(f"report [{index}] has no {name}")
        status = _STATUSES.get(item["report_status"])
        if status is None:
            raise _bad(f"report [{index}]: report_status must be SUCCESS or FAIL")
        if not (item["nationcode"].isdigit() and item["mobile"].isdigit()):
            raise _bad(f"report [{index}]: nationcode and mobile must be digits")
        receipts.append(
            DeliveryReceipt(
                connector_id=connector_id,
                serial_no=item["sid"],
                phone=f"+{item['nationcode']}{item['mobile']}",
                status=status,
                code=item["errmsg"],
                description=text_field(item.get("description")) or "",
                received_at=_beijing_time(item.get("user_receive_time")),
                session_context=text_field(item.get("ext")),
            )
        )
    return receipts


def pull(client: SendSmsClient, limit: int, connector_id: str) -> list[DeliveryReceipt]:
    """Up to ``limit`` queued reports across the config's SDK apps (each comes out once)."""
    if not 1 <= limit <= MAX_LIMIT:
        raise ConnectorError(
            ErrorCode.INVALID_REQUEST_PARAMETERS, f"limit must be 1 to {MAX_LIMIT}, not {limit}"
        )
    receipts: list[DeliveryReceipt] = []
    for app_id in _app_ids(client.settings):
        left = limit - len(receipts)
        if left <= 0:
            break
        params = {"Limit": left, "SmsSdkAppId": app_id}
        receipts += _pulled(call(client, "PullSmsSendStatus", params), connector_id)
    return receipts


def for_number(
    client: SendSmsClient,
    phone: str,
    since: float,
    until: float | None,
    connector_id: str,
    *,
    mainland_first: bool = False,
) -> list[DeliveryReceipt]:
    """The reports of one number (read the way sends read it) between two unix times."""
    number = normalize(phone, mainland_first=mainland_first)
    params: dict[str, Any] = {
        "BeginTime": int(since),
        "Offset": 0,
        "Limit": MAX_LIMIT,
        "PhoneNumber": number.e164,
        "SmsSdkAppId": client.settings.route(number.route).sdk_app_id,
    }
    if until is not None:
        params["EndTime"] = int(until)
    return _pulled(call(client, "PullSmsSendStatusByPhoneNumber", params), connector_id)


def _app_ids(settings: Settings) -> list[str]:
    return list(dict.fromkeys([settings.mainland.sdk_app_id, settings.international.sdk_app_id]))


def _pulled(response: Mapping[str, Any], connector_id: str) -> list[DeliveryReceipt]:
    items = response.get("PullSmsSendStatusSet")
    if not isinstance(items, list):
        raise ConnectorError(
            ErrorCode.INVALID_RESPONSE,
            "Tencent's answer has no PullSmsSendStatusSet",
            {"requestId": text_field(response.get("RequestId"))},
        )
    receipts = []
    for item in items:
        serial = text_field(item.get("SerialNo")) if isinstance(item, dict) else None
        phone = text_field(item.get("PhoneNumber")) if isinstance(item, dict) else None
        status = _STATUSES.get(str(item.get("ReportStatus"))) if isinstance(item, dict) else None
        if not (serial and phone and status) or not isinstance(item, dict):
            raise ConnectorError(
                ErrorCode.INVALID_RESPONSE,
                "a PullSmsSendStatusSet item lacks SerialNo, PhoneNumber or ReportStatus",
                {"requestId": text_field(response.get("RequestId"))},
            )
        received = item.get("UserReceiveTime")
        receipts.append(
            DeliveryReceipt(
                connector_id=connector_id,
                serial_no=serial,
                phone=phone,
                status=status,
                code=text_field(item.get("Description")) or "",
                received_at=float(received) if isinstance(received, int) else None,
                session_context=text_field(item.get("SessionContext")) or None,
            )
        )
    return receipts


def _beijing_time(value: object) -> float | None:
    """``YYYY-MM-DD HH:MM:SS`` in Beijing time as unix seconds; ``None`` if unreadable."""
    if not isinstance(value, str):
        return None
    try:
        parsed = time.strptime(value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None
    return float(calendar.timegm(parsed) - _BEIJING)


def _bad(reason: str) -> ConnectorError:
    return ConnectorError(
        ErrorCode.INVALID_REQUEST_PARAMETERS, f"not a Tencent status callback: {reason}"
    )
