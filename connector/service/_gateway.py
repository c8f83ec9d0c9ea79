"""The gateway blueprint: Logto's HTTP SMS contract on ``POST /logto/sms``, health, metrics."""

from __future__ import annotations

import ipaddress
import json
import logging
import time
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, NoReturn

from flask import Blueprint, Response, current_app, g, request
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from ..kit import ConnectorError, ConnectorHost, ErrorCode, SendResult
from ._auth import BearerToken
from ._config import ActiveConfig, ConfigSource
from ._guards import Guards
from ._http import failure, json_response
from ._masking import mask_number, scrub
from ._metrics import CONTENT_TYPE, GatewayMetrics

EXTENSION = "logto_connector.gateway"
#: The largest request body the gateway reads (Logto's are well under 1 KiB).
MAX_BODY = 64 * 1024
#: A request body must arrive within this many seconds (slow bodies hold a thread).
BODY_TIMEOUT = 10.0
#: The gateway answers within the send's deadline plus this much, whatever the connector does.
ANSWER_MARGIN = 1.0
_MARGIN_LEFT = 0.2  # of ANSWER_MARGIN, kept for writing the answer
_REALM = 'Bearer realm="logto-connector"'
# Failures of the gateway itself, not of the connector: their own HTTP status.
_GATEWAY_STATUS: dict[str, int] = {"gateway_deadline": 504, "gateway_stopping": 503}

log = logging.getLogger("connector.service")
bp = Blueprint("gateway", __name__)


@dataclass
class Gateway:
    """What the gateway's views share in one app (``app.extensions[EXTENSION]``)."""

    host: ConnectorHost
    source: ConfigSource
    token: BearerToken | None
    metrics: GatewayMetrics
    executor: ThreadPoolExecutor
    guards: Guards | None = None


class _Refused(Exception):
    """A request the gateway answers with a 4xx before it reaches the connector."""

    def __init__(
        self,
        status: int,
        message: str,
        data: Mapping[str, Any] | None = None,
        *,
        close: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        # Unread or unreadable bytes may be left on the connection: do not reuse it.
        self.close = close or status in (408, 413)
        self.message = message
        self.data = dict(data or {})


def _gateway() -> Gateway:
    state: Gateway = current_app.extensions[EXTENSION]
    return state


@bp.post("/logto/sms")
def send_sms() -> Response:
    """Send one message as Logto's HTTP SMS connector asks: ``{to, type, payload, ip?}``."""
    gw = _gateway()
    started = time.monotonic()
    if gw.token is not None and not gw.token.accepts(request.headers.get("Authorization")):
        return failure(
            401,
            ErrorCode.AUTHORIZATION_FAILED.value,
            "missing or wrong Authorization header; use the one the gateway was set up with",
            headers={"WWW-Authenticate": _REALM},
        )
    active = gw.source.current()
    if active is None:
        return failure(503, ErrorCode.GENERAL.value, "the gateway has no valid connector config")
    try:
        to, type_, payload, ip = _read_request()
    except _Refused as refused:
        extra = {"Connection": "close"} if refused.close else {}
        return failure(
            refused.status,
            ErrorCode.INVALID_REQUEST_PARAMETERS.value,
            refused.message,
            refused.data,
            extra,
        )
    g.log_to = mask_number(to)
    if ip is not None:
        g.log_ip = ip
    if gw.guards is not None:
        try:
            # The guards judge the number as the connector will send it, whatever its spelling.
            number = gw.host.recipient_number(active.connector_id, active.config, to) or to
        except ConnectorError as exc:
            gw.metrics.sends.labels(type=gw.metrics.type_label(type_), outcome=exc.code.value).inc()
            return json_response(exc.http_status, {"ok": False, **scrub(exc.to_dict(), to)})
        blocked = gw.guards.check(number, ip)
        if blocked is not None:
            gw.metrics.sends.labels(type=gw.metrics.type_label(type_), outcome=blocked.code).inc()
            headers = {}
            if blocked.retry_after is not None:
                headers["Retry-After"] = str(blocked.retry_after)
            return failure(blocked.status, blocked.code, blocked.message, blocked.data, headers)
    outcome = ErrorCode.GENERAL.value
    type_label = gw.metrics.type_label(type_)
    try:
        result = _send(gw, active, started, to=to, type=type_, payload=payload)
        outcome = "ok"
    except ConnectorError as exc:
        outcome = exc.code.value
        body = scrub(exc.to_dict(), to)
        if exc.data.get("requestId"):
            g.log_request_id = exc.data["requestId"]
        status = _GATEWAY_STATUS.get(str(exc.data.get("reason")), exc.http_status)
        return json_response(status, {"ok": False, **body})
    finally:
        gw.metrics.sends.labels(type=type_label, outcome=outcome).inc()
    summary = result.to_dict()
    g.log_request_id = summary.get("requestId")
    g.log_to = mask_number(str(summary.get("to") or to))
    return json_response(
        200,
        {
            "ok": True,
            "requestId": summary.get("requestId"),
            "to": g.log_to,
            "route": summary.get("route"),
        },
    )


def _send(
    gw: Gateway,
    active: ActiveConfig,
    started: float,
    **request_: Any,
) -> SendResult:
    """Send on the executor, and give up waiting at the deadline plus the margin."""
    gw.metrics.in_flight.inc()
    begun = time.monotonic()

    def run() -> SendResult:
        try:
            return gw.host.send_message(active.connector_id, active.config, **request_)
        finally:
            gw.metrics.in_flight.dec()
            gw.metrics.send_seconds.observe(time.monotonic() - begun)

    try:
        future: Future[SendResult] = gw.executor.submit(run)
    except RuntimeError:  # the executor shut down: the worker is stopping
        gw.metrics.in_flight.dec()
        raise ConnectorError(
            ErrorCode.GENERAL,
            "the gateway is shutting down; nothing was sent, try again",
            {"delivery": "not_sent", "reason": "gateway_stopping"},
        ) from None
    wait = active.deadline + ANSWER_MARGIN - _MARGIN_LEFT - (time.monotonic() - started)
    try:
        return future.result(timeout=max(wait, 0.0))
    except FutureTimeout:
        log.warning(
            "connector %s took longer than its %.1f s deadline",
            active.connector_id,
            active.deadline,
        )
        raise ConnectorError(
            ErrorCode.GENERAL,
            f"the connector did not answer within {active.deadline:g} s; delivery is unknown "
            "(the message may have been sent)",
            {"delivery": "unknown", "reason": "gateway_deadline"},
        ) from None


def _read_request() -> tuple[str, str, dict[str, Any], str | None]:
    """The request's ``to``, ``type``, ``payload`` and ``ip``, or :class:`_Refused` saying why."""
    mimetype = request.mimetype
    if mimetype != "application/json":
        raise _Refused(415, "send the body as application/json", {"contentType": mimetype[:64]})
    charset = request.mimetype_params.get("charset", "utf-8").lower()
    if charset not in ("utf-8", "utf8"):
        raise _Refused(415, "send the body as UTF-8 JSON")
    raw = _read_body()
    try:
        document = json.loads(
            raw.decode("utf-8"),
            object_pairs_hook=_no_duplicate_keys,
            parse_constant=_no_constants,
        )
    except UnicodeDecodeError:
        raise _Refused(400, "the body is not UTF-8 text") from None
    except RecursionError:
        raise _Refused(400, "the body's JSON is nested too deeply") from None
    except _Refused:
        raise
    except ValueError:  # JSONDecodeError, and integers too long to read
        raise _Refused(400, "the body is not valid JSON") from None
    if not isinstance(document, dict):
        raise _Refused(400, "the body must be a JSON object {to, type, payload}")
    to, type_, payload, ip = (document.get(k) for k in ("to", "type", "payload", "ip"))
    for name, value, kind in (("to", to, str), ("type", type_, str), ("payload", payload, dict)):
        if not isinstance(value, kind):
            what = "a string" if kind is str else "an object"
            raise _Refused(400, f"'{name}' must be {what}", {"field": name})
    if ip is not None and not isinstance(ip, str):
        raise _Refused(400, "'ip' must be a string when given", {"field": "ip"})
    assert isinstance(to, str) and isinstance(type_, str) and isinstance(payload, dict)
    return to, type_, payload, (canonical_ip(ip) if isinstance(ip, str) else None)


def canonical_ip(text: str) -> str:
    """One spelling per address, so that a per-IP limit counts ``::ffff:203.0.113.7`` and
    ``203.0.113.7`` as one; text that is no address is kept as it came."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return text
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)


def _read_body() -> bytes:
    declared = request.content_length
    if declared is not None and declared > MAX_BODY:
        raise _Refused(413, f"the body is larger than {MAX_BODY // 1024} KiB")
    sock = request.environ.get("gunicorn.socket")
    try:
        if sock is not None:  # under gunicorn: bound the wait for a slow body
            sock.settimeout(BODY_TIMEOUT)
        return request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise _Refused(413, f"the body is larger than {MAX_BODY // 1024} KiB") from None
    except (ClientDisconnected, OSError):
        raise _Refused(408, "the body did not arrive in time") from None
    except Exception:  # the server's own parser refused the framing (a bad chunk size …)
        raise _Refused(400, "the body's framing is malformed", close=True) from None
    finally:
        if sock is not None:
            sock.settimeout(None)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise _Refused(400, "the body's JSON repeats a key")
    return document


def _no_constants(name: str) -> NoReturn:
    raise _Refused(400, f"the body's JSON has {name}, which is not JSON")


@bp.get("/healthz")
def healthz() -> Response:
    """Alive: the process answers."""
    return json_response(200, {"ok": True})


@bp.get("/readyz")
def readyz() -> Response:
    """Ready: a valid connector config is loaded."""
    active = _gateway().source.current()
    if active is None:
        return failure(503, ErrorCode.GENERAL.value, "no valid connector config is loaded")
    return json_response(
        200,
        {
            "ok": True,
            "connectorId": active.connector_id,
            "version": active.version,
            "warnings": list(active.warnings),
        },
    )


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus' text format."""
    return Response(_gateway().metrics.render(), status=200, content_type=CONTENT_TYPE)
