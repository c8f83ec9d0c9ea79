"""``create_app``: the service as a Flask application, built from what it is given."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request
from werkzeug.exceptions import HTTPException

from ..kit import ConnectorHost, ErrorCode
from . import _gateway
from ._auth import BearerToken
from ._config import ConfigSource
from ._counters import Counters, MemoryCounters
from ._guards import Guards, GuardSettings, GuardSource
from ._http import failure, log_text
from ._metrics import GatewayMetrics
from ._receipts import shown_path

access_log = logging.getLogger("connector.service.access")
log = logging.getLogger("connector.service")


def create_app(
    host: ConnectorHost,
    source: ConfigSource,
    *,
    token: str | None,
    metrics: GatewayMetrics | None = None,
    send_threads: int = 16,
    blueprints: Iterable[tuple[Blueprint, str | None]] = (),
    settings: Mapping[str, Any] | None = None,
    guards: GuardSettings | GuardSource | None = None,
    counters: Counters | None = None,
) -> Flask:
    """The service: the gateway (``POST /logto/sms``, ``/healthz``, ``/readyz``, ``/metrics``).

    ``token`` is what ``Authorization: Bearer <token>`` must carry (``None``: no check; the
    serve command allows that on loopback only).  ``send_threads`` bounds the sends running
    at once in this process.  ``blueprints`` are more areas as ``(blueprint, url_prefix)``
    (the admin console joins at ``/admin``), ``settings`` more Flask config for them.
    ``guards`` (country lists, limits, spend ceiling: settings, or a source asked per send)
    run before every send, counting in ``counters`` (default: in this process).  Nothing is
    read from globals: a test builds as many apps as it needs.
    """
    app = Flask("connector.service")
    app.config["MAX_CONTENT_LENGTH"] = _gateway.MAX_BODY
    app.config.update(settings or {})
    if metrics is None:
        metrics = GatewayMetrics(multiprocess=False)
    app.extensions[_gateway.EXTENSION] = _gateway.Gateway(
        host=host,
        source=source,
        token=BearerToken(token) if token is not None else None,
        metrics=metrics,
        executor=ThreadPoolExecutor(max_workers=send_threads, thread_name_prefix="send"),
        guards=(
            Guards(guards, counters if counters is not None else MemoryCounters(), metrics)
            if guards is not None
            else None
        ),
    )
    app.register_blueprint(_gateway.bp)
    for blueprint, prefix in blueprints:
        app.register_blueprint(blueprint, url_prefix=prefix)
    app.before_request(_start_clock)
    app.after_request(_log_request)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
    return app


def shutdown(app: Flask) -> None:
    """Wait for the sends still running in this app, then release its threads."""
    gateway: _gateway.Gateway = app.extensions[_gateway.EXTENSION]
    gateway.executor.shutdown(wait=True)


def _start_clock() -> None:
    g.started = time.monotonic()


def _log_request(response: Response) -> Response:
    gateway: _gateway.Gateway = current_app.extensions[_gateway.EXTENSION]
    gateway.metrics.requests.labels(
        path=gateway.metrics.path_label(request.path), status=str(response.status_code)
    ).inc()
    elapsed_ms = (time.monotonic() - g.get("started", time.monotonic())) * 1000
    fields = [
        request.method,
        log_text(shown_path(request.path)),
        str(response.status_code),
        f"{elapsed_ms:.1f}ms",
    ]
    for name, key in (("requestId", "log_request_id"), ("to", "log_to"), ("ip", "log_ip")):
        value = g.get(key)
        if value:
            fields.append(f"{name}={log_text(value)}")
    access_log.info("%s", " ".join(fields))
    return response


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    headers = {}
    if status == 405:
        allow = dict(exc.get_headers()).get("Allow")
        if allow:
            headers["Allow"] = allow
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="logto-connector"'
    message = {
        404: "no such path; Logto's HTTP SMS connector posts to /logto/sms",
        405: f"{request.method[:16]} is not allowed here",
        413: f"the body is larger than {_gateway.MAX_BODY // 1024} KiB",
    }.get(status, exc.name)
    code = ErrorCode.GENERAL.value if status >= 500 else ErrorCode.INVALID_REQUEST_PARAMETERS.value
    if status == 413:
        headers["Connection"] = "close"
    return failure(status, code, message, headers=headers)


def _unexpected(exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, log_text(request.path))
    return failure(500, ErrorCode.GENERAL.value, "the gateway failed; its log has the details")
