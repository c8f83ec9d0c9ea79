"""Delivery reports: one per accepted message, ready after a delay, pulled once, pushed.

Tencent learns a message's fate from the carrier some time after SendSms answered, and then
offers the report twice: in a queue that ``PullSmsSendStatus`` drains (each report comes out
once), and as a push of a JSON array to the status-callback URL set in the console (no
signature; after a failed push Tencent tries twice more).  Whether pushing a report takes it
out of the queue is not documented; here it does not.
"""

from __future__ import annotations

import heapq
import itertools
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import phonenumbers

from ._accounts import REPORT_CODE, Directory
from ._clock import Clock
from ._outbox import OUTBOX_SIZE, Message

logger = logging.getLogger("connector.emulator")

DELIVERED = "DELIVRD"
#: A message whose carrier never reports: no report is ever made.
NEVER = "NONE"
#: What a push carries in ``description`` for each receipt code (Tencent's console wording).
DESCRIPTIONS = {
    "DELIVRD": "delivered to the handset",
    "UNDELIV": "not delivered: the handset is off, out of service or the number is abnormal",
    "EXPIRED": "delivery timed out: the handset was unreachable",
    "REJECTD": "rejected by the carrier",
    "DELETED": "deleted, usually a handset problem",
    "SUBFAIL": "the carrier refused the submission",
    "UNKNOWN": "unknown",
    "COMFAIL": "connection problem with the carrier",
    "WTNFAIL": "carrier network jitter",
}
MAX_PUSH = 100  # reports per push, Tencent's documented cap
PUSH_ATTEMPTS = 3  # the first push and Tencent's two retries
MAX_REPORTS = OUTBOX_SIZE  # as many as the outbox keeps messages
_BEIJING = 8 * 3600  # user_receive_time is Beijing wall-clock time


@dataclass
class Report:
    """The delivery report of one message to one number."""

    serial_no: str
    app_id: str
    phone_number: str
    code: str
    session_context: str
    ready_at: float
    pulled: bool = False
    pushed: bool = False

    @property
    def country_code(self) -> str:
        """The number's country calling code without ``+``, e.g. ``86``."""
        return _split(self.phone_number)[0]

    @property
    def subscriber_number(self) -> str:
        """The number without its country code."""
        return _split(self.phone_number)[1]

    @property
    def status(self) -> str:
        """``SUCCESS`` or ``FAIL``, as ``ReportStatus`` says it."""
        return "SUCCESS" if self.code == DELIVERED else "FAIL"

    def pull_item(self) -> dict[str, Any]:
        """The report as a ``PullSmsSendStatusSet`` item."""
        return {
            "UserReceiveTime": int(self.ready_at),
            "CountryCode": self.country_code,
            "SubscriberNumber": self.subscriber_number,
            "PhoneNumber": self.phone_number,
            "SerialNo": self.serial_no,
            "ReportStatus": self.status,
            "Description": self.code,
            "SessionContext": self.session_context,
        }

    def callback_item(self) -> dict[str, str]:
        """The report as one item of a status-callback push."""
        beijing = time.gmtime(int(self.ready_at) + _BEIJING)
        return {
            "user_receive_time": time.strftime("%Y-%m-%d %H:%M:%S", beijing),
            "nationcode": self.country_code,
            "mobile": self.subscriber_number,
            "report_status": self.status,
            "errmsg": self.code,
            "description": DESCRIPTIONS.get(self.code, "carrier report"),
            "sid": self.serial_no,
        }

    def to_json(self, now: float) -> dict[str, Any]:
        """The report as ``GET /__emulator/reports`` lists it."""
        return {
            **self.pull_item(),
            "SmsSdkAppId": self.app_id,
            "ready": self.ready_at <= now,
            "pulled": self.pulled,
            "pushed": self.pushed,
        }


class ReportBook:
    """Every report the emulator will make, newest ``MAX_REPORTS`` kept.

    A message's outcome comes from, in order: an injected outcome (``inject``), the
    account's ``reports`` entry for the number, else ``DELIVRD``.
    """

    def __init__(self, directory: Directory, clock: Clock, delay: float) -> None:
        self._directory = directory
        self._clock = clock
        self.delay = delay
        self._reports: OrderedDict[tuple[str, str], Report] = OrderedDict()
        # Queues ordered by ready time, so a pull or a push never scans every report.
        self._unpulled: dict[str, list[tuple[float, int, Report]]] = {}
        self._unpushed: list[tuple[float, int, Report]] = []
        self._count = itertools.count()
        self._injected: deque[str] = deque()
        self._lock = threading.Lock()

    def inject(self, code: object, count: object = 1) -> None:
        """Give the next ``count`` accepted messages this outcome (a code or ``NONE``);
        ``ValueError`` for anything else."""
        if not isinstance(code, str) or not (code == NEVER or REPORT_CODE.fullmatch(code)):
            raise ValueError("code must be a receipt code such as UNDELIV or EXPIRED, or NONE")
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 10_000:
            raise ValueError("count must be a whole number from 1 to 10000")
        with self._lock:
            self._injected.extend([code] * count)

    def record(self, messages: Iterable[Message]) -> None:
        """Make the reports of newly accepted messages."""
        for message in messages:
            account = self._directory.by_app_id(message.sdk_app_id)
            with self._lock:
                if self._injected:
                    code = self._injected.popleft()
                elif account is not None:
                    code = account.reports.get(message.phone_number, DELIVERED)
                else:
                    code = DELIVERED
                if code == NEVER:
                    continue
                report = Report(
                    serial_no=message.serial_no,
                    app_id=message.sdk_app_id,
                    phone_number=message.phone_number,
                    code=code,
                    session_context=message.session_context,
                    ready_at=message.timestamp + self.delay,
                )
                self._reports[(report.serial_no, report.phone_number)] = report
                entry = (report.ready_at, next(self._count), report)
                unpulled = self._unpulled.setdefault(report.app_id, [])
                heapq.heappush(unpulled, entry)
                heapq.heappush(self._unpushed, entry)
                while len(self._reports) > MAX_REPORTS:
                    self._reports.popitem(last=False)
                # Nobody collects them: keep the queues as bounded as the book.
                for queue in (unpulled, self._unpushed):
                    if len(queue) > MAX_REPORTS:
                        heapq.heappop(queue)

    def pull(self, app_id: str, limit: int, now: float) -> list[Report]:
        """Up to ``limit`` ready reports of an app not pulled before, oldest first; each
        comes out once."""
        with self._lock:
            ready = _take_ready(self._unpulled.get(app_id, []), now, limit)
            for report in ready:
                report.pulled = True
            return ready

    def for_number(
        self, app_id: str, phone_number: str, begin: float, end: float, limit: int, now: float
    ) -> list[Report]:
        """Ready reports of one number whose report time is within ``[begin, end]``; the
        queue is left as it is."""
        with self._lock:
            return sorted(
                (
                    r
                    for r in self._reports.values()
                    if r.app_id == app_id
                    and r.phone_number == phone_number
                    and r.ready_at <= now
                    and begin <= r.ready_at <= end
                ),
                key=lambda r: r.ready_at,
            )[:limit]

    def take_pushable(self, now: float) -> list[Report]:
        """Ready reports not pushed yet, marked as pushed (the pusher owns them now)."""
        with self._lock:
            ready = _take_ready(self._unpushed, now, len(self._unpushed))
            for report in ready:
                report.pushed = True
            return ready

    def all(self) -> list[Report]:
        """Every kept report, oldest message first."""
        with self._lock:
            return list(self._reports.values())


def _split(e164: str) -> tuple[str, str]:
    """Country code and national number; parsed only when a report is read, which keeps
    the work off the SendSms path."""
    number = phonenumbers.parse(e164, None)
    return str(number.country_code), str(phonenumbers.national_significant_number(number))


def _take_ready(queue: list[tuple[float, int, Report]], now: float, limit: int) -> list[Report]:
    """Pop up to ``limit`` reports whose ready time has come, oldest first."""
    ready: list[Report] = []
    while queue and len(ready) < limit and queue[0][0] <= now:
        ready.append(heapq.heappop(queue)[2])
    return ready


@dataclass(frozen=True)
class PushAttempt:
    """One POST of a batch of reports to the status-callback URL."""

    serial_nos: tuple[str, ...]
    attempt: int
    accepted: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        """The attempt as ``Emulator.callback_attempts()`` lists it."""
        return {
            "serialNos": list(self.serial_nos),
            "attempt": self.attempt,
            "accepted": self.accepted,
            "detail": self.detail,
        }


class CallbackPusher:
    """Pushes ready reports to ``url`` from a thread, the way Tencent's callback does.

    A push is accepted only on HTTP 200 with a JSON object whose ``result`` is 0; otherwise
    it is retried ``PUSH_ATTEMPTS - 1`` more times, ``retry_delay`` seconds apart, then given
    up.  Each app's reports go in batches of at most ``MAX_PUSH``.
    """

    def __init__(
        self,
        book: ReportBook,
        clock: Clock,
        url: str,
        retry_delay: float,
        stopping: threading.Event,
        timeout: float = 5.0,
    ) -> None:
        self.url = url
        self._book = book
        self._clock = clock
        self._retry_delay = retry_delay
        self._stopping = stopping
        self._timeout = timeout
        self._attempts: list[PushAttempt] = []
        self._lock = threading.Lock()
        # The callback URL is the user's own; never go through a proxy from the environment.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start pushing in a daemon thread (until the ``stopping`` event is set)."""
        self._thread = threading.Thread(target=self._run, name="emulator-callbacks", daemon=True)
        self._thread.start()

    def join(self, timeout: float) -> None:
        """Wait for the thread to end after ``stopping`` was set."""
        if self._thread is not None:
            self._thread.join(timeout)

    def attempts(self) -> list[PushAttempt]:
        """Every push attempt so far, oldest first."""
        with self._lock:
            return list(self._attempts)

    def _run(self) -> None:
        while not self._stopping.wait(0.05):
            ready = self._book.take_pushable(self._clock.now())
            by_app: dict[str, list[Report]] = {}
            for report in ready:
                by_app.setdefault(report.app_id, []).append(report)
            for reports in by_app.values():
                for start in range(0, len(reports), MAX_PUSH):
                    self._push(reports[start : start + MAX_PUSH])

    def _push(self, batch: list[Report]) -> None:
        body = json.dumps([r.callback_item() for r in batch], ensure_ascii=False).encode("utf-8")
        serials = tuple(r.serial_no for r in batch)
        for attempt in range(1, PUSH_ATTEMPTS + 1):
            accepted, detail = self._post(body)
            with self._lock:
                self._attempts.append(PushAttempt(serials, attempt, accepted, detail))
            if accepted:
                return
            logger.info("status callback attempt %d failed: %s", attempt, detail)
            if attempt < PUSH_ATTEMPTS and self._stopping.wait(self._retry_delay):
                return

    def _post(self, body: bytes) -> tuple[bool, str]:
        request = urllib.request.Request(  # noqa: S310 - the URL was checked to be http(s)
            self.url, data=body, method="POST", headers={"Content-Type": "application/json"}
        )
        try:
            with self._opener.open(request, timeout=self._timeout) as reply:
                status, raw = reply.status, reply.read(64 * 1024)
        except urllib.error.HTTPError as exc:
            return False, f"HTTP {exc.code}"
        except (OSError, ValueError) as exc:
            return False, type(exc).__name__
        if status != 200:
            return False, f"HTTP {status}"
        try:
            answer = json.loads(raw)
        except ValueError:
            return False, "the answer is not JSON"
        if not isinstance(answer, dict) or answer.get("result") != 0:
            return False, "the answer's result is not 0"
        return True, "accepted"
