"""Delivery receipts: what a provider reports after a message was accepted, and a poller."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ._errors import ConnectorError

log = logging.getLogger("connector.kit")

#: ``delivered``: the handset has it; ``failed``: the carrier gave up (the code says why).
ReceiptStatus = Literal["delivered", "failed"]


def mask_phone(e164: str) -> str:
    """A number fit to show: ``+8613800138000`` → ``+86138****8000``; a short one keeps
    only its ``+``."""
    if len(e164) <= 8:
        return e164[:1] + "*" * max(len(e164) - 1, 0)
    return e164[: len(e164) - 8] + "****" + e164[-4:]


@dataclass(frozen=True)
class DeliveryReceipt:
    """The provider's report on one message to one number.

    ``serial_no`` is the provider's id of the message (what the send returned), ``phone``
    the E.164 number (kept for matching, shown only masked: ``repr`` and :meth:`to_dict`
    never print it whole), ``code`` the provider's report code (Tencent: ``DELIVRD``,
    ``UNDELIV``, ``EXPIRED``…) and ``description`` its text; ``received_at`` when the handset
    got it or the carrier gave up (unix seconds), when the provider says.
    """

    connector_id: str
    serial_no: str
    phone: str = field(repr=False)
    status: ReceiptStatus
    code: str
    description: str = ""
    received_at: float | None = None
    session_context: str | None = None

    @property
    def masked_phone(self) -> str:
        """The number as it may be shown."""
        return mask_phone(self.phone)

    @property
    def key(self) -> tuple[str, str]:
        """What identifies a receipt: a provider may report the same one twice."""
        return (self.serial_no, self.phone)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form with camelCase keys and the number masked."""
        return {
            "connectorId": self.connector_id,
            "serialNo": self.serial_no,
            "phone": self.masked_phone,
            "status": self.status,
            "code": self.code,
            "description": self.description,
            "receivedAt": self.received_at,
            "sessionContext": self.session_context,
        }

    def __repr__(self) -> str:
        return (
            f"DeliveryReceipt(serial_no={self.serial_no!r}, phone={self.masked_phone!r}, "
            f"status={self.status!r}, code={self.code!r})"
        )


def poll_receipts(
    pull: Callable[[], Sequence[DeliveryReceipt]],
    on_receipts: Callable[[list[DeliveryReceipt]], None],
    *,
    stop: threading.Event,
    interval: float = 1.0,
    max_interval: float = 60.0,
) -> int:
    """Pull receipts in a loop until ``stop`` is set; return how many were handled.

    A pull that brings receipts is followed at once by another (more may be waiting); after
    an empty pull or a failed one (a :class:`ConnectorError`, logged) the poller waits,
    doubling the wait from ``interval`` up to ``max_interval``, with jitter so that several
    pollers spread out.  A provider like Tencent hands each receipt out once: ``on_receipts``
    must keep them (store them durably) before it returns; an exception from it stops the
    poller and propagates.
    """
    handled = 0
    wait = interval
    while not stop.is_set():
        try:
            batch = list(pull())
        except ConnectorError as exc:
            log.warning("pulling receipts failed: %s", exc)
            batch = []
        if batch:
            on_receipts(batch)
            handled += len(batch)
            wait = interval
            continue
        if stop.wait(random.uniform(wait / 2, wait)):
            break
        wait = min(wait * 2, max_interval)
    return handled
