"""Signed SendSms headers without sending: what the raw-client contenders post.

The connector's client builds these inside its prepared request and never hands them out; the
benchmarks need them bare, so they are built here from the same parts: the client's action,
version and content type, and the shared TC3 ``Signer``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class SignedHeaders:
    """``headers(body, timestamp)``: the headers of one SendSms attempt for a config."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        from connector.signing import Signer
        from connector.tencent_sms import client
        from connector.tencent_sms.settings import read_settings

        settings = read_settings(config)
        content_type = "application/json"
        self._signer = Signer(
            secret_id=settings.secret_id,
            secret_key=settings.secret_key,
            service=client.SERVICE,
            host=settings.host,
            content_type=content_type,
        )
        self._fixed = {
            "Content-Type": content_type,
            "Host": settings.host,
            "X-TC-Action": client.ACTION,
            "X-TC-Version": client.VERSION,
            "X-TC-Region": settings.region,
        }

    def __call__(self, body: bytes, timestamp: int) -> dict[str, str]:
        return {
            **self._fixed,
            "X-TC-Timestamp": str(timestamp),
            "Authorization": self._signer.authorization(body, timestamp),
        }
