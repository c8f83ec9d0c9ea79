"""``logto-connector demo``: the whole path on this machine, in a few seconds, no account.

It starts the Tencent SMS emulator on a free loopback port, finds the connector the way a
host does (entry points), validates the emulator's config, sends two codes, shows them as
the phones would, shows what an admin sees for a config with mistakes in it, and ends with
the two messages' delivery receipts, pulled from Tencent's report queue.
"""

from __future__ import annotations

import copy
import secrets
import textwrap
import threading
from typing import Any

from .emulator import Emulator
from .kit import ConnectorError, ConnectorHost, DeliveryReceipt, poll_receipts
from .tencent_sms import CONNECTOR_ID

_RECEIPT_WAIT = 10.0  # seconds; the emulator reports after one
_SENDS = (
    ("SignIn", "8613800138000", "a mainland number, digits as Logto sends them"),
    ("MfaVerification", "+14155552671", "an international number; no MFA template, so Generic"),
)


def run_demo() -> int:
    """Run the demo; return the exit status."""
    with Emulator() as emulator:
        say(f"1. Tencent SMS emulator listening on {emulator.url} (loopback only)")
        host = ConnectorHost()
        meta = host.metadata(CONNECTOR_ID)
        say(
            f"2. Found {len(host.ids())} connector(s) through entry points: "
            f"{meta['name']['en']} ({CONNECTOR_ID})"
        )
        config = emulator.connector_config()
        host.validate_config(CONNECTOR_ID, config)
        say(
            f"3. The emulator's config is valid: sign {config['signName']!r}, app "
            f"{config['sdkAppId']}, {len(config['templates'])} mainland templates, "
            f"{len(config['international']['templates'])} international ones"
        )
        say("4. Sending:")
        serials: list[str] = []
        for usage_type, to, why in _SENDS:
            code = f"{secrets.randbelow(10**6):06d}"
            result = host.send_message(
                CONNECTOR_ID, config, to=to, type=usage_type, payload={"code": code, "locale": "en"}
            )
            say(
                f"   {usage_type:<16} {to:<15} → {result.to} via {result.detail['route']}, "
                f"RequestId {result.request_id}  ({why})"
            )
            serials.append(str(result.to_dict()["serialNo"]))
        say(
            "5. What the phones show (the emulator's outbox; `logto-connector emulator` "
            "serves it as a page):"
        )
        for message in emulator.outbox():
            say(f"   ┌ {message['phoneNumber']}")
            for line in textwrap.wrap(message["content"], 72):
                say(f"   │ {line}")
            say("   └")
        say("6. What an admin sees for a config pasted with three mistakes:")
        broken = copy.deepcopy(config)
        broken["region"] = "ap-guangzhou "
        broken["templates"] = [t for t in broken["templates"] if t["usageType"] != "Generic"]
        broken["signname"] = broken.pop("signName")
        try:
            host.validate_config(CONNECTOR_ID, broken)
        except ConnectorError as exc:
            for problem in exc.data["problems"]:
                say(f"   {problem['path']}: {problem['message']}")
        say("7. Delivery receipts, pulled once the carriers report (PullSmsSendStatus):")
        for receipt in _receipts(host, config, serials):
            say(
                f"   {receipt.serial_no}  {receipt.masked_phone:<15} {receipt.status:<9} "
                f"{receipt.code}"
            )
    say("Done: two codes delivered, nothing left the machine.")
    return 0


def _receipts(
    host: ConnectorHost, config: dict[str, Any], serials: list[str]
) -> list[DeliveryReceipt]:
    """Pull until every message sent has its receipt (or the wait is over)."""
    got: dict[str, DeliveryReceipt] = {}
    stop = threading.Event()

    def keep(batch: list[DeliveryReceipt]) -> None:
        got.update((r.serial_no, r) for r in batch)
        if all(s in got for s in serials):
            stop.set()

    timer = threading.Timer(_RECEIPT_WAIT, stop.set)
    timer.start()
    try:
        poll_receipts(
            lambda: host.pull_receipts(CONNECTOR_ID, config),
            keep,
            stop=stop,
            interval=0.2,
            max_interval=1.0,
        )
    finally:
        timer.cancel()
    return [got[s] for s in serials if s in got]


def say(line: str, **kwargs: Any) -> None:
    """Print one line of the demo."""
    print(line, **kwargs)
