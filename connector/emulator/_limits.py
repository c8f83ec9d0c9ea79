"""Per-number frequency limits, as Tencent's console configures them."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

THIRTY_SECOND_LIMIT = "LimitExceeded.PhoneNumberThirtySecondLimit"
ONE_HOUR_LIMIT = "LimitExceeded.PhoneNumberOneHourLimit"
DAILY_LIMIT = "LimitExceeded.PhoneNumberDailyLimit"

_HOUR = 3600.0
_DAY = 86400.0
# Past this many tracked numbers, forget the ones with nothing inside the daily window, so a
# long benchmark over many numbers does not grow memory without end.
_SWEEP_AT = 50_000


@dataclass(frozen=True)
class FrequencyLimits:
    """Caps per SdkAppId and phone number; ``None`` switches one off.

    The hour and the day are rolling windows (Tencent counts calendar days; a rolling day
    keeps tests that move the clock from depending on when they run).
    """

    same_content_seconds: float | None = 30.0
    per_hour: int | None = 5
    per_day: int | None = 10


class Limiter:
    """Remembers deliveries and says which limit, if any, refuses the next one."""

    def __init__(self, limits: FrequencyLimits) -> None:
        self.limits = limits
        #: What a refused number's SendStatusSet item says: whose limit it is and how to lift it.
        self.messages = {
            code: f"{text} (a per-number limit of this emulator; start it with --no-limits, "
            "or Emulator(limits=None), to switch the limits off)"
            for code, text in (
                (
                    THIRTY_SECOND_LIMIT,
                    f"the same content went to this number less than "
                    f"{limits.same_content_seconds or 0:g} s ago",
                ),
                (ONE_HOUR_LIMIT, f"this number had its {limits.per_hour} messages this hour"),
                (DAILY_LIMIT, f"this number had its {limits.per_day} messages today"),
            )
        }
        self._sent: dict[tuple[str, str], deque[tuple[float, str]]] = {}
        self._lock = threading.Lock()

    def admit(self, app_id: str, phone: str, content: str, now: float) -> str | None:
        """Record a delivery and return ``None``, or return the code of the limit it breaks."""
        limits = self.limits
        with self._lock:
            if len(self._sent) > _SWEEP_AT:
                self._sweep(now)
            history = self._sent.setdefault((app_id, phone), deque())
            while history and history[0][0] <= now - _DAY:
                history.popleft()
            window = limits.same_content_seconds
            if window is not None and any(t > now - window and c == content for t, c in history):
                return THIRTY_SECOND_LIMIT
            if limits.per_hour is not None and (
                sum(1 for t, _ in history if t > now - _HOUR) >= limits.per_hour
            ):
                return ONE_HOUR_LIMIT
            if limits.per_day is not None and len(history) >= limits.per_day:
                return DAILY_LIMIT
            history.append((now, content))
            return None

    def _sweep(self, now: float) -> None:
        stale = [k for k, h in self._sent.items() if not h or h[-1][0] <= now - _DAY]
        for key in stale:
            del self._sent[key]
