"""Tencent's read-only actions (the account look-ups, the report queue) on the SendSms client.

The client's errors speak of a message that may have gone out; these actions send nothing,
so a lost answer is said plainly here instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..kit import ConnectorError
from .client import SendSmsClient


def call(client: SendSmsClient, action: str, params: Mapping[str, Any]) -> Mapping[str, Any]:
    """Tencent's ``Response`` to one ``action``, or its ``ConnectorError``."""
    try:
        return client.send(params, action=action).response
    except ConnectorError as exc:
        if exc.data.get("delivery") != "unknown":
            raise
        data = {key: value for key, value in exc.data.items() if key != "delivery"}
        why = data.get("tencentCode") or data.get("reason") or data.get("httpStatus")
        raise ConnectorError(
            exc.code,
            f"{action} got no usable answer from Tencent ({why or 'no details'}); nothing "
            "was sent, so trying again is safe (a pull's reports in a lost answer are gone)",
            data,
        ) from None
