"""Faults the emulator can inject into the next SendSms requests, first in first out."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, Literal

from ._sendsms import error_body

FaultKind = Literal["delay", "status", "malformed", "wrong_shape", "drop", "error"]
FAULT_KINDS: tuple[FaultKind, ...] = (
    "delay",
    "status",
    "malformed",
    "wrong_shape",
    "drop",
    "error",
)

# The parameters each kind takes; anything else is a mistake worth reporting.
_PARAMS: Mapping[FaultKind, frozenset[str]] = {
    "delay": frozenset({"seconds"}),
    "status": frozenset({"status", "body"}),
    "malformed": frozenset({"body"}),
    "wrong_shape": frozenset({"body"}),
    "drop": frozenset(),
    "error": frozenset({"code", "message"}),
}
_MAX_DELAY = 600.0
_STATUSES = frozenset(s.value for s in HTTPStatus)


class FaultError(ValueError):
    """A fault that cannot be injected (unknown kind, missing or wrong parameter)."""


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour.

    ``delay`` waits ``seconds`` then answers normally; ``status`` answers HTTP ``status``
    with ``body``; ``malformed`` answers 200 with a body that is not JSON; ``wrong_shape``
    answers 200 with JSON that lacks what a SendSms answer has (``body``, any JSON value);
    ``drop`` reads the request and closes the connection unanswered; ``error`` answers
    Tencent's request-level error ``code`` with ``message``.
    """

    kind: FaultKind
    seconds: float = 0.0
    status: int = 500
    body: Any = None
    code: str = "InternalError"
    message: str = "An internal error occurred (injected by the emulator)."

    def to_json(self) -> dict[str, Any]:
        """The fault's kind and the parameters that matter for it."""
        return {"kind": self.kind, **{name: getattr(self, name) for name in _PARAMS[self.kind]}}


def make_fault(kind: str, params: Mapping[str, Any]) -> Fault:
    """Validate a fault description (as the HTTP API and ``Emulator.inject`` take it)."""
    found = next((k for k in FAULT_KINDS if k == kind), None)
    if found is None:
        raise FaultError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
    unknown = sorted(set(params) - _PARAMS[found])
    if unknown:
        allowed = ", ".join(sorted(_PARAMS[found])) or "none"
        raise FaultError(
            f"fault {found!r} takes no parameter {', '.join(unknown)} (it takes: {allowed})"
        )
    if found == "delay":
        seconds = params.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise FaultError("fault 'delay' needs 'seconds', a number")
        if not 0 <= seconds <= _MAX_DELAY:
            raise FaultError(f"fault 'delay': seconds must be between 0 and {_MAX_DELAY:g}")
        return Fault(found, seconds=float(seconds))
    if found == "status":
        status = params.get("status", 500)
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise FaultError("fault 'status': status must be an HTTP error status, 400 to 599")
        return Fault(found, status=status, body=_optional_text(params, found))
    if found == "malformed":
        return Fault(found, body=_optional_text(params, found))
    if found == "wrong_shape":
        return Fault(found, body=params.get("body"))
    if found == "error":
        code = params.get("code", Fault.code)
        message = params.get("message", Fault.message)
        if not isinstance(code, str) or not code or not isinstance(message, str):
            raise FaultError("fault 'error': code and message must be strings")
        return Fault(found, code=code, message=message)
    return Fault(found)


def _optional_text(params: Mapping[str, Any], kind: str) -> str | None:
    body = params.get("body")
    if body is not None and not isinstance(body, str):
        raise FaultError(f"fault {kind!r}: body must be a string")
    return body


def fault_response(fault: Fault, request_id: str) -> tuple[int, str, bytes] | None:
    """The status, Content-Type and body a fault answers with; ``None`` for delay and drop."""
    if fault.kind == "status":
        phrase = HTTPStatus(fault.status).phrase if fault.status in _STATUSES else "Error"
        text = fault.body if fault.body is not None else f"{fault.status} {phrase}\n"
        return fault.status, "text/plain; charset=utf-8", text.encode("utf-8")
    if fault.kind == "malformed":
        # A cut-off answer: what a proxy that dropped the tail of the body hands on.
        text = fault.body if fault.body is not None else '{"Response": {"RequestId": "'
        return 200, "application/json", text.encode("utf-8")
    if fault.kind == "wrong_shape":
        shape = fault.body if fault.body is not None else {"Response": {"RequestId": request_id}}
        return 200, "application/json", json.dumps(shape).encode("utf-8")
    if fault.kind == "error":
        body = error_body(fault.code, fault.message, request_id)
        return 200, "application/json", json.dumps(body).encode("utf-8")
    return None


@dataclass
class _Pending:
    fault: Fault
    remaining: int


class FaultQueue:
    """Pending faults; each applies to the next ``count`` SendSms requests, in order."""

    def __init__(self) -> None:
        self._queue: deque[_Pending] = deque()
        self._lock = threading.Lock()

    def add(self, fault: Fault, count: int = 1) -> None:
        """Queue ``fault`` for the next ``count`` requests after those already queued."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 1:
            raise FaultError("count must be a whole number of requests, at least 1")
        with self._lock:
            self._queue.append(_Pending(fault, count))

    def take(self) -> Fault | None:
        """The fault for the request arriving now, if any."""
        with self._lock:
            if not self._queue:
                return None
            entry = self._queue[0]
            entry.remaining -= 1
            if entry.remaining == 0:
                self._queue.popleft()
            return entry.fault

    def clear(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._queue.clear()

    def pending(self) -> list[dict[str, Any]]:
        """The queued faults with how many requests each still applies to."""
        with self._lock:
            return [{**p.fault.to_json(), "count": p.remaining} for p in self._queue]
