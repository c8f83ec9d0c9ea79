"""Section 3: TC3-HMAC-SHA256 signatures per second, ours against the official SDK's signer."""

from __future__ import annotations

import time
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any

from ._plan import Plan
from ._rounds import Contender, compare_micro, ratio_per_round
from ._sections import Judged, Results, Section
from ._table import Table, rate, ratio, span
from .sends import SAME_NUMBER, request_body

_HOST = "sms.tencentcloudapi.com"
_CONTENT_TYPE = "application/json"


def run_signing(config: dict[str, Any], plan: Plan) -> dict[str, Any]:
    """Sign the same SendSms body with both signers; check that they agree first."""
    from tencentcloud.common.abstract_client import AbstractClient

    from connector.signing import Signer, sign, utc_date

    secret_id, secret_key = config["accessKeyId"], config["accessKeySecret"]
    body = request_body(config, SAME_NUMBER)
    text = body.decode("utf-8")  # the SDK signs the str its json.dumps made
    timestamp = int(time.time())
    date = utc_date(timestamp)
    headers = {"Content-Type": _CONTENT_TYPE, "Host": _HOST}
    request = SimpleNamespace(
        method="POST",
        uri="/",
        data=text,
        header={**headers, "X-TC-Timestamp": str(timestamp)},  # the SDK's signer reads it
    )

    def ours() -> str:
        return sign(
            secret_id=secret_id,
            secret_key=secret_key,
            service="sms",
            timestamp=timestamp,
            headers=headers,
            body=body,
        ).authorization

    signer = Signer(
        secret_id=secret_id,
        secret_key=secret_key,
        service="sms",
        host=_HOST,
        content_type=_CONTENT_TYPE,
    )

    def client_signer() -> str:
        return signer.authorization(body, timestamp)

    def sdk() -> str:
        signature: str = AbstractClient._get_tc3_signature(
            None, {}, request, date, "sms", secret_key
        )
        return signature

    agree = ours() == client_signer() and ours().endswith("Signature=" + sdk())
    contenders = [
        Contender("ours", "connector signing.sign", ours),
        Contender("client", "connector Signer (what each send uses)", client_signer),
        Contender("sdk", "SDK AbstractClient._get_tc3_signature", sdk),
    ]
    measured = compare_micro(contenders, plan)
    return {
        "body_bytes": len(body),
        "signatures_agree": agree,
        "contenders": {c.key: {"label": c.label, **measured[c.key].summary()} for c in contenders},
        "ratios": {
            "ours_over_sdk": ratio_per_round(
                measured["ours"].round_rates, measured["sdk"].round_rates
            ),
            "client_signer_over_sdk": ratio_per_round(
                measured["client"].round_rates, measured["sdk"].round_rates
            ),
        },
        "notes": [
            "ours also works out the UTC date and formats the Authorization header and "
            "returns every intermediate value; the SDK's signer is given the date and "
            "returns only the hex signature; both sign content-type;host. The client's "
            "Signer derives the signing key once a day and the fixed canonical headers once",
        ],
    }


def _rows(table: Table, signing: Results, judged: Mapping[str, Judged]) -> None:
    table.section("3. TC3 signing", signing.get("other_processes_cpus"))
    for c in signing["contenders"].values():
        rounds = c["per_second_rounds"]
        table.row(c["label"], rate(c["per_second"]), span(rate(min(rounds)), rate(max(rounds))))
    for key, label in (
        ("ours_over_sdk", "ours / SDK, signatures per second"),
        ("client_signer_over_sdk", "client Signer / SDK, signatures per second"),
    ):
        r = signing["ratios"][key]
        table.row(label, ratio(r["median"]), span(ratio(r["min"]), ratio(r["max"])))
    table.row("signatures agree", "yes" if signing["signatures_agree"] else "NO")


SECTIONS = (
    Section(
        name="signing",
        order=30,
        needs_emulator=False,
        run=lambda plan, context: run_signing(context.config, plan),
        rows=_rows,
    ),
)
