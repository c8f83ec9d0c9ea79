"""The gateway's Prometheus metrics (``prometheus_client``), per process or across workers.

prometheus_client decides at import whether it writes multiprocess files (it reads
``PROMETHEUS_MULTIPROC_DIR`` then), so it is imported only when metrics are made: the serve
command sets that variable first, before its workers start.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from ..kit import TemplateType
from ._receipts import PATH as CALLBACK_PATH
from ._receipts import shown_path

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry

PREFIX = "logto_connector"
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_TYPES = frozenset(t.value for t in TemplateType)
# Seconds: a loopback send takes milliseconds, Tencent tens to hundreds, a deadline seconds.
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0)
_PATHS = frozenset({"/logto/sms", "/healthz", "/readyz", "/metrics"})
# Tencent's documented receipt codes; a carrier's raw codes would make labels without end.
_RECEIPT_CODES = frozenset(
    {
        "DELIVRD",
        "UNDELIV",
        "EXPIRED",
        "REJECTD",
        "DELETED",
        "SUBFAIL",
        "UNKNOWN",
        "COMFAIL",
        "WTNFAIL",
    }
)


class GatewayMetrics:
    """Sends by type and outcome, send latency, sends in flight, requests by path and status,
    guard refusals and counter outages.

    Labels never carry a phone number, a code or any other request text: a type outside
    Logto's template types counts as ``other``, a path outside the gateway's as ``other``.
    With ``multiprocess=True`` (several workers) every process writes to the directory in
    ``PROMETHEUS_MULTIPROC_DIR`` and a scrape adds them up.
    """

    def __init__(self, *, multiprocess: bool | None = None) -> None:
        import prometheus_client as prom

        if multiprocess is None:
            multiprocess = bool(os.environ.get(MULTIPROC_ENV))
        self.multiprocess = multiprocess
        # Multiprocess metrics live in files, not in a registry; each app gets its own
        # registry otherwise, so that a test can build as many apps as it likes.
        self.registry: CollectorRegistry | None = None if multiprocess else prom.CollectorRegistry()
        self.sends = prom.Counter(
            f"{PREFIX}_sends",
            "Sends through the gateway, by template type and outcome (ok or a Logto error code).",
            ["type", "outcome"],
            registry=self.registry,
        )
        self.send_seconds = prom.Histogram(
            f"{PREFIX}_send_duration_seconds",
            "Time from an accepted request to the connector's answer.",
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.in_flight = prom.Gauge(
            f"{PREFIX}_sends_in_flight",
            "Sends waiting for the connector now.",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self.receipts = prom.Counter(
            f"{PREFIX}_receipts",
            "Delivery receipts received (each once), by status and the provider's report code.",
            ["status", "code"],
            registry=self.registry,
        )
        self.requests = prom.Counter(
            f"{PREFIX}_http_requests",
            "HTTP requests the gateway answered, by path and status.",
            ["path", "status"],
            registry=self.registry,
        )

        self.guard_refusals = prom.Counter(
            f"{PREFIX}_guard_refusals",
            "Sends the guards refused, by guard (country, ip, number, prefix, spendCeiling, "
            "unavailable).",
            ["guard"],
            registry=self.registry,
        )
        self.guard_counter_errors = prom.Counter(
            f"{PREFIX}_guard_counter_errors",
            "Sends whose guard counters could not be reached, by backend and the policy "
            "followed (open: sent unchecked; closed: refused).",
            ["backend", "policy"],
            registry=self.registry,
        )

    @staticmethod
    def type_label(value: object) -> str:
        """A template type as a label: Logto's types as they are, anything else ``other``."""
        return value if isinstance(value, str) and value in _TYPES else "other"

    @staticmethod
    def path_label(path: str) -> str:
        """A request path as a label: the gateway's paths, anything else ``other``; the
        status callback without its secret segment."""
        if shown_path(path) != path:
            return CALLBACK_PATH
        return path if path in _PATHS else "other"

    @staticmethod
    def receipt_code_label(code: str) -> str:
        """A receipt code as a label: Tencent's documented codes, anything else ``other``."""
        return code if code in _RECEIPT_CODES else "other"

    def render(self) -> bytes:
        """Every metric in Prometheus' text format."""
        import prometheus_client as prom
        from prometheus_client import multiprocess

        if self.registry is not None:
            return prom.generate_latest(self.registry)
        registry = prom.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return prom.generate_latest(registry)
