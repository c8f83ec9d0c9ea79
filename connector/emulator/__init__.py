"""A local Tencent SMS API (SendSms, version 2021-01-11) for demos, tests and benchmarks.

It verifies TC3 signatures, applies Tencent's checks and answers with Tencent's error codes,
keeps an outbox (``GET /`` as a page, ``/__emulator/outbox`` as JSON) and injects faults on
request.  A built-in demo account (the ``DEMO_*`` names) needs no setup::

    with Emulator() as emulator:
        config = emulator.connector_config()   # points the connector at emulator.url
        ...
        emulator.outbox()                      # what was "sent"

Besides SendSms it answers the account actions ``DescribeSmsSignList``,
``DescribeSmsTemplateList``, ``PullSmsSendStatus`` and ``PullSmsSendStatusByPhoneNumber``, and
gives every accepted message a delivery report after ``report_delay`` seconds (pushed to
``callback_url`` when given, as Tencent's status callback does).

HTTP endpoints besides ``POST /`` (the API): ``GET /``, ``GET|DELETE /__emulator/outbox``,
``GET /__emulator/health``, ``GET /__emulator/stats``, ``GET|POST|DELETE /__emulator/faults``,
``GET|POST /__emulator/reports``.
"""

from ._accounts import (
    DEMO_BOTH_TEMPLATE_ID,
    DEMO_INTERNATIONAL_TEMPLATE_IDS,
    DEMO_INTERNATIONAL_TWO_PARAM_TEMPLATE_ID,
    DEMO_PENDING_SIGN,
    DEMO_REGION,
    DEMO_REJECTED_SIGN,
    DEMO_REJECTED_TEMPLATE_ID,
    DEMO_REPORTS,
    DEMO_SDK_APP_ID,
    DEMO_SECRET_ID,
    DEMO_SECRET_KEY,
    DEMO_SIGN,
    DEMO_TEMPLATE_IDS,
    DEMO_TWO_PARAM_TEMPLATE_ID,
    DEMO_UNAPPROVED_TEMPLATE_ID,
    Account,
    AccountsError,
    ReviewStatus,
    Sign,
    Template,
    demo_account,
    load_accounts,
)
from ._faults import FAULT_KINDS, FaultError
from ._limits import FrequencyLimits
from ._receipts import DESCRIPTIONS as RECEIPT_CODES
from ._server import DEFAULT_LIMITS, Emulator, serve

__all__ = [
    "DEFAULT_LIMITS",
    "DEMO_BOTH_TEMPLATE_ID",
    "DEMO_INTERNATIONAL_TEMPLATE_IDS",
    "DEMO_INTERNATIONAL_TWO_PARAM_TEMPLATE_ID",
    "DEMO_PENDING_SIGN",
    "DEMO_REGION",
    "DEMO_REJECTED_SIGN",
    "DEMO_REJECTED_TEMPLATE_ID",
    "DEMO_REPORTS",
    "DEMO_SDK_APP_ID",
    "DEMO_SECRET_ID",
    "DEMO_SECRET_KEY",
    "DEMO_SIGN",
    "DEMO_TEMPLATE_IDS",
    "DEMO_TWO_PARAM_TEMPLATE_ID",
    "DEMO_UNAPPROVED_TEMPLATE_ID",
    "FAULT_KINDS",
    "RECEIPT_CODES",
    "Account",
    "AccountsError",
    "Emulator",
    "FaultError",
    "FrequencyLimits",
    "ReviewStatus",
    "Sign",
    "Template",
    "demo_account",
    "load_accounts",
    "serve",
]
