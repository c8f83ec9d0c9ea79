"""What the emulator delivered: the outbox, and how many requests it has seen."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

OUTBOX_SIZE = 10_000


@dataclass(frozen=True)
class Message:
    """One SMS the emulator accepted for one phone number."""

    request_id: str
    serial_no: str
    phone_number: str
    iso_code: str
    international: bool
    sdk_app_id: str
    sign: str | None
    template_id: str
    params: tuple[str, ...]
    text: str
    session_context: str
    fee: int
    timestamp: float

    @property
    def content(self) -> str:
        """What the phone shows: mainland messages start with the sign in 【】."""
        if self.international or not self.sign:
            return self.text
        return f"【{self.sign}】{self.text}"

    @property
    def iso_time(self) -> str:
        """When it was accepted, on the emulator's clock, as ISO 8601 UTC."""
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.timestamp))

    def to_json(self) -> dict[str, Any]:
        """The message as the outbox API returns it."""
        return {
            "requestId": self.request_id,
            "serialNo": self.serial_no,
            "phoneNumber": self.phone_number,
            "isoCode": self.iso_code,
            "international": self.international,
            "sdkAppId": self.sdk_app_id,
            "sign": self.sign,
            "templateId": self.template_id,
            "params": list(self.params),
            "text": self.text,
            "content": self.content,
            "sessionContext": self.session_context,
            "fee": self.fee,
            "time": self.iso_time,
            "timestamp": self.timestamp,
        }


class Outbox:
    """The newest ``OUTBOX_SIZE`` messages, plus counters that clearing does not reset."""

    def __init__(self, size: int = OUTBOX_SIZE) -> None:
        self._messages: deque[Message] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._requests = 0
        self._delivered = 0

    def count_request(self) -> None:
        """Count one SendSms request, whatever becomes of it."""
        with self._lock:
            self._requests += 1

    def add(self, messages: Iterable[Message]) -> None:
        """Keep delivered messages, dropping the oldest past the size."""
        batch = list(messages)
        with self._lock:
            self._messages.extend(batch)
            self._delivered += len(batch)

    def messages(self) -> list[Message]:
        """The kept messages, oldest first."""
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        """Forget every kept message."""
        with self._lock:
            self._messages.clear()

    def stats(self) -> dict[str, int]:
        """``{"requests": N, "delivered": M}`` since the emulator started."""
        with self._lock:
            return {"requests": self._requests, "delivered": self._delivered}
