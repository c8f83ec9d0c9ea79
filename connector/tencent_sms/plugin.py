"""The Tencent SMS connector: the hook implementations a host calls.

``connector`` (a :class:`TencentSmsConnector`) is what the ``logto.connectors`` entry point
publishes.  Importing this module stays cheap: the HTTP client and the phone-number library
load on the first send.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager, closing, nullcontext
from typing import TYPE_CHECKING, Any

from ..kit import (
    CheckFinding,
    ConnectorError,
    DeliveryReceipt,
    ErrorCode,
    FingerprintCache,
    Problem,
    SendResult,
    config_fingerprint,
    hookimpl,
    load_schema,
    read_data,
)
from . import settings as settings_mod
from .errors import NO_CODE, tencent_error, text_field
from .phone import PhoneNumber, mask, normalize
from .settings import MAINLAND_FIRST
from .templates import choose_template, template_params

if TYPE_CHECKING:
    from .client import SendSmsClient

CONNECTOR_ID = "tencent-short-message-service"
METADATA_DIR = "tencent-sms"
_CLIENT_CACHE_SIZE = 32
log = logging.getLogger("connector.tencent_sms")


class TencentSmsConnector:
    """Logto's Tencent Short Message Service connector, as a pluggy plugin.

    Keeps one HTTP client (and so one connection pool) per distinct config, so a host that
    sends with the same stored config reuses warm connections.
    """

    def __init__(self) -> None:
        # An evicted client is not closed here: another thread may be sending with it.
        # Its connections close when the last send using it lets go of it.
        self._clients: FingerprintCache[SendSmsClient] = FingerprintCache(_CLIENT_CACHE_SIZE)

    def __repr__(self) -> str:
        return f"TencentSmsConnector(clients={len(self._clients)})"

    def close(self) -> None:
        """Close every pooled connection (for a host shutting down)."""
        for client in self._clients.pop_all():
            client.close()

    @hookimpl
    def connector_metadata(self) -> dict[str, Any]:
        """The metadata of ``metadata/tencent-sms/metadata.json``."""
        import json

        meta: dict[str, Any] = json.loads(read_data("metadata", METADATA_DIR, "metadata.json"))
        return meta

    @hookimpl
    def connector_config_schema(self) -> dict[str, Any]:
        """The JSON Schema of ``schemas/tencent-sms.config.schema.json`` (a copy: the parsed
        file is shared)."""
        import copy

        return copy.deepcopy(load_schema("tencent-sms.config.schema.json"))

    @hookimpl
    def connector_resource(self, path: str) -> bytes | None:
        """The logo and the setup guide, by the relative paths the metadata names."""
        name = path.removeprefix("./")
        if name not in ("logo.svg", "README.md"):
            return None
        return read_data("metadata", METADATA_DIR, name)

    @hookimpl
    def validate_config(self, config: Mapping[str, Any]) -> Iterable[Problem]:
        """What the schema cannot say (see :func:`settings.problems`), errors and warnings."""
        return list(settings_mod.problems(config))

    @hookimpl
    def recipient_number(self, to: str, config: Mapping[str, Any]) -> str:
        """The E.164 number a send of ``to`` goes to (a host's guards judge this one)."""
        return _read_number(to, config).e164

    @hookimpl
    def send_message(
        self, to: str, type: str, payload: Mapping[str, Any], config: Mapping[str, Any]
    ) -> SendResult:
        """Send one verification code through Tencent SendSms."""
        started = time.monotonic()
        shown, route_name, request_id, outcome = "-", "-", None, "error"
        try:
            phone = _read_number(to, config)
            shown, route_name = mask(phone.e164), phone.route
            with self._client_for(config) as client:
                route = client.settings.route(phone.route)
                template = choose_template(route, type)
                params: dict[str, Any] = {
                    "PhoneNumberSet": [phone.e164],
                    "SmsSdkAppId": route.sdk_app_id,
                    "TemplateId": template.template_id,
                    "TemplateParamSet": template_params(template, payload),
                }
                if route.sign_name:
                    params["SignName"] = route.sign_name
                answer = client.send(params)
            request_id = answer.request_id
            item = _status_for(answer.response, phone.e164, request_id, answer.attempts)
            outcome = "delivered"
            fee = item.get("Fee")
            return SendResult(
                connector_id=CONNECTOR_ID,
                to=phone.e164,
                request_id=request_id,
                attempts=answer.attempts,
                detail={
                    "route": phone.route,
                    "serialNo": text_field(item.get("SerialNo")),
                    "fee": fee if isinstance(fee, int) else None,
                    "isoCode": text_field(item.get("IsoCode")),
                    "templateId": template.template_id,
                    "usageType": template.usage_type,
                },
            )
        except ConnectorError as exc:
            request_id = exc.data.get("requestId", request_id)
            outcome = f"error:{exc.data.get('tencentCode') or exc.code.value}"
            if route_name != "-":
                exc.data.setdefault("route", route_name)
            raise
        finally:
            # One line per send, failures included; the number masked, the code never logged.
            if log.isEnabledFor(logging.INFO):
                log.info(
                    "send connector=%s type=%s to=%s route=%s request_id=%s "
                    "duration_ms=%.1f outcome=%s",
                    CONNECTOR_ID,
                    type,
                    shown,
                    route_name,
                    request_id,
                    (time.monotonic() - started) * 1000,
                    outcome,
                )

    @hookimpl
    def check_account(self, config: Mapping[str, Any]) -> list[CheckFinding]:
        """The sign and templates against DescribeSmsSignList / DescribeSmsTemplateList."""
        from .account_check import check_account

        with self._client_for(config) as client:
            return check_account(config, client)

    @hookimpl
    def parse_status_callback(self, body: bytes) -> list[DeliveryReceipt]:
        """The receipts of one push of Tencent's status callback (a JSON array)."""
        from .receipts import parse_callback

        return parse_callback(body, CONNECTOR_ID)

    @hookimpl
    def pull_receipts(self, config: Mapping[str, Any], limit: int) -> list[DeliveryReceipt]:
        """Drain up to ``limit`` reports with PullSmsSendStatus (each comes out once)."""
        from .receipts import pull

        with self._client_for(config) as client:
            return pull(client, limit, CONNECTOR_ID)

    @hookimpl
    def receipts_for_number(
        self, config: Mapping[str, Any], phone: str, since: float, until: float | None
    ) -> list[DeliveryReceipt]:
        """One number's reports with PullSmsSendStatusByPhoneNumber (the queue is kept)."""
        from .receipts import for_number

        with self._client_for(config) as client:
            mainland_first = config.get("phoneFormat") == MAINLAND_FIRST
            return for_number(
                client, phone, since, until, CONNECTOR_ID, mainland_first=mainland_first
            )

    def _client_for(self, config: Mapping[str, Any]) -> AbstractContextManager[SendSmsClient]:
        """The cached client for this config, or (for a config that is not plain JSON and so
        cannot be fingerprinted) a one-off client closed after the send."""
        from .client import SendSmsClient

        def create() -> SendSmsClient:
            return SendSmsClient(settings_mod.read_settings(config))

        key = config_fingerprint(config)
        if key is None:
            return closing(create())
        return nullcontext(self._clients.get_or_create(key, create))


def _status_for(
    response: Mapping[str, Any], e164: str, request_id: str | None, attempts: int
) -> Mapping[str, Any]:
    """The SendStatusSet item for our number; a failure there is the send's failure."""
    items = response.get("SendStatusSet")
    item = None
    if isinstance(items, list):
        item = next(
            (i for i in items if isinstance(i, Mapping) and i.get("PhoneNumber") == e164), None
        )
    if item is None:
        raise ConnectorError(
            ErrorCode.INVALID_RESPONSE,
            f"Tencent's answer has no SendStatusSet entry for {mask(e164)}; delivery is unknown",
            {"requestId": request_id, "delivery": "unknown", "attempts": attempts},
        )
    code = text_field(item.get("Code")) or NO_CODE
    if code != "Ok":
        raise tencent_error(
            code, text_field(item.get("Message")) or "", request_id, attempts=attempts
        )
    return item


#: The object the ``logto.connectors`` entry point publishes.
connector = TencentSmsConnector()


def _read_number(to: str, config: Mapping[str, Any]) -> PhoneNumber:
    """``to`` read as every send and look-up of this config reads it."""
    return normalize(to, mainland_first=config.get("phoneFormat") == MAINLAND_FIRST)
