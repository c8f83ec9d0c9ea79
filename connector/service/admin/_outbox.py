"""The emulator's outbox as the console reads it: over the emulator's HTTP API.

Under gunicorn the emulator runs in the master process and the console in each worker, so
the console asks the emulator itself (``GET /__emulator/outbox``) rather than any copy of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import requests

log = logging.getLogger("connector.service.admin")


def outbox_reader(
    emulator_url: str, *, ca_bundle: str | None = None, timeout: float = 2.0
) -> Callable[[], list[dict[str, Any]]]:
    """A function returning the emulator's delivered messages, oldest first ([] when the
    emulator cannot be reached: the panel then shows no message, the page still works)."""
    url = emulator_url.rstrip("/") + "/__emulator/outbox"
    verify: bool | str = ca_bundle if ca_bundle is not None else True

    def read() -> list[dict[str, Any]]:
        try:
            answer = requests.get(url, timeout=timeout, verify=verify)
            answer.raise_for_status()
            messages = answer.json().get("messages")
        except (requests.RequestException, ValueError, AttributeError) as exc:
            log.warning("admin console: emulator outbox unreadable (%s)", type(exc).__name__)
            return []
        return [m for m in messages if isinstance(m, dict)] if isinstance(messages, list) else []

    return read
