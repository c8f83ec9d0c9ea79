"""Sliding-window counters for the guards: one algorithm, two backends (in-process, Redis).

Each limit is a *sliding window counter*: the count of the current fixed window plus the
previous window's count weighted by how much of it still overlaps the sliding window.  It
needs two numbers per key whatever the traffic (a log of every send would grow with the
limit), and it is exact while the previous window is empty, which is how a burst from a
fresh number looks.  A send passes only when *every* limit it touches has room; then all of
them count it, in one step (one lock here, one Lua script in Redis), so two gateways can
never both take the last place.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Check:
    """One limit a send touches: ``cost`` more of at most ``limit`` per ``window`` seconds."""

    guard: str  # which limit, as a refusal names it ("number", "ip", "spendCeiling" …)
    key: str  # what is counted (already hashed: no phone number or address in it)
    window: int
    limit: float
    cost: float = 1.0


@dataclass(frozen=True)
class Refusal:
    """The first limit without room, and the whole seconds until a send could pass it."""

    check: Check
    retry_after: int


class CountersUnavailable(Exception):
    """The shared counter store cannot be reached: nothing was counted."""


class Counters(Protocol):
    """Where the guards count.  ``take`` is atomic over all the checks it is given."""

    #: ``memory`` or ``redis``: how /metrics and the logs name the backend.
    backend: str

    def take(self, checks: Sequence[Check]) -> Refusal | None:
        """Count one send against every check, or none when one has no room (its refusal).

        Raises :class:`CountersUnavailable` when the counts cannot be read.
        """
        ...


def retry_after(check: Check, current: float, previous: float, now: float) -> int:
    """Whole seconds from ``now`` until ``check`` has room again (at least 1).

    ``current`` and ``previous`` are the counts of this fixed window and the one before it.
    """
    window = check.window
    into = (now % window) / window  # how far into the current window, 0..1
    room = check.limit - check.cost
    if current > room:
        # Not before this window ends; then ``current`` is the previous window's count and
        # fades as the sliding window leaves it.
        wait = (1 - into) * window
        if current > 0:
            wait += max(0.0, 1 - room / current) * window
    elif previous > 0:
        # This window's sends fit: wait until enough of the previous one has slid out.
        wait = max(0.0, (1 - (room - current) / previous) - into) * window
    else:
        wait = 0.0
    return max(1, math.ceil(wait))


def _fits(check: Check, current: float, previous: float, now: float) -> bool:
    into = (now % check.window) / check.window
    return previous * (1 - into) + current + check.cost <= check.limit


class MemoryCounters:
    """Counters in this process: right for one worker (each worker counts alone)."""

    backend = "memory"
    _PRUNE_AT = 100_000  # keys kept before stale ones are dropped

    def __init__(self, clock: Any = time.time) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        # (guard, key, window) -> (index of the fixed window, its count, the previous count)
        self._slots: dict[tuple[str, str, int], tuple[int, float, float]] = {}

    def take(self, checks: Sequence[Check]) -> Refusal | None:
        """See :meth:`Counters.take`."""
        with self._lock:
            now = float(self._clock())
            counts = [self._counts(check, now) for check in checks]
            for check, (current, previous) in zip(checks, counts, strict=True):
                if not _fits(check, current, previous, now):
                    return Refusal(check, retry_after(check, current, previous, now))
            for check, (current, previous) in zip(checks, counts, strict=True):
                slot = (check.guard, check.key, check.window)
                self._slots[slot] = (int(now // check.window), current + check.cost, previous)
            if len(self._slots) > self._PRUNE_AT:
                self._prune(now)
        return None

    def _counts(self, check: Check, now: float) -> tuple[float, float]:
        index = int(now // check.window)
        stored = self._slots.get((check.guard, check.key, check.window))
        if stored is None:
            return 0.0, 0.0
        at, current, previous = stored
        if at == index:
            return current, previous
        if at == index - 1:
            return 0.0, current
        return 0.0, 0.0

    def _prune(self, now: float) -> None:
        stale = [s for s, (at, _, _) in self._slots.items() if at < int(now // s[2]) - 1]
        for slot in stale:
            del self._slots[slot]


# KEYS[i]: a check's key without its window index; ARGV: window, limit, cost per check.
# The time is Redis's own (TIME), so gateways on machines with skewed clocks agree.  The
# window's index is appended here, so the keys of one check live on one server (no cluster).
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local slots = {}
for i = 1, #KEYS do
  local window = tonumber(ARGV[3 * i - 2])
  local limit = tonumber(ARGV[3 * i - 1])
  local cost = tonumber(ARGV[3 * i])
  local index = math.floor(now / window)
  local into = (now - index * window) / window
  local key = KEYS[i] .. ':' .. index
  local current = tonumber(redis.call('GET', key) or '0')
  local previous = tonumber(redis.call('GET', KEYS[i] .. ':' .. (index - 1)) or '0')
  if previous * (1 - into) + current + cost > limit then
    return {i, tostring(current), tostring(previous), tostring(now)}
  end
  slots[i] = {key, cost, window}
end
for i = 1, #slots do
  redis.call('INCRBYFLOAT', slots[i][1], slots[i][2])
  redis.call('EXPIRE', slots[i][1], 2 * slots[i][3] + 1)
end
return {0, '0', '0', tostring(now)}
"""


class RedisCounters:
    """Counters in Redis, shared by every worker and machine that names the same server."""

    backend = "redis"
    #: Seconds a guard waits for Redis before it follows the unreachable policy.
    TIMEOUT = 0.5

    def __init__(self, url: str, *, prefix: str = "logto-connector:guard") -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        self.prefix = prefix
        # No retries inside the client: a send must not wait through Redis's outage, the
        # guard's policy decides at once (and the next send tries again).
        self._redis = redis.Redis.from_url(
            url,
            socket_timeout=self.TIMEOUT,
            socket_connect_timeout=self.TIMEOUT,
            retry=Retry(NoBackoff(), 0),
            health_check_interval=0,
        )
        self._script = self._redis.register_script(_TAKE)
        self._errors: tuple[type[BaseException], ...] = (redis.RedisError, OSError)

    def take(self, checks: Sequence[Check]) -> Refusal | None:
        """See :meth:`Counters.take`."""
        if not checks:
            return None
        keys = [f"{self.prefix}:{c.guard}:{c.window}:{c.key}" for c in checks]
        args: list[float] = []
        for check in checks:
            args += [check.window, check.limit, check.cost]
        try:
            answer = self._script(keys=keys, args=args)
        except self._errors as exc:
            raise CountersUnavailable(type(exc).__name__) from None
        refused, current, previous, now = (
            int(answer[0]),
            float(answer[1]),
            float(answer[2]),
            float(answer[3]),
        )
        if refused == 0:
            return None
        check = checks[refused - 1]
        return Refusal(check, retry_after(check, current, previous, now))

    def close(self) -> None:
        """Release the connections."""
        self._redis.close()
