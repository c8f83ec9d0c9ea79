"""The status-callback receiver: delivery receipts a provider pushes, kept in the store.

``POST /tencent/status-callback/<token>`` takes Tencent's status report array (up to 100
reports), keeps each receipt once by serial no and number (Tencent retries a push that was
not answered ``{"result": 0}``, so a repeat must change nothing), counts the new ones in
``/metrics``, and answers ``{"result": 0, "errmsg": "OK"}``.

Tencent does not sign its pushes.  What protects the receiver is a secret path segment (give
the full URL only to Tencent's console, over https) and, optionally, an allow-list of the
addresses Tencent pushes from.  The address is the TCP peer's: behind a proxy, filter there.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from flask import Blueprint, Response, current_app, request

from ..kit import ConnectorError, ConnectorHost, DeliveryReceipt
from ._http import json_response

log = logging.getLogger("connector.service")
PATH = "/tencent/status-callback"


def shown_path(path: str) -> str:
    """``path`` as it may be logged or labelled: under the callback's path, the secret token
    becomes ``<token>`` (whether or not a route matched)."""
    return PATH + "/<token>" if path.startswith(PATH + "/") else path


#: Where ``serve`` reads the callback's secret path segment when no file is given.
CALLBACK_TOKEN_ENV = "LOGTO_CONNECTOR_CALLBACK_TOKEN"
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
#: Keeps receipts and returns those it did not have (``ConfigStore.add_receipts``).
Keep = Callable[[Sequence[DeliveryReceipt]], list[DeliveryReceipt]]


@dataclass(frozen=True)
class CallbackSettings:
    """What the receiver needs: the connector that reads the body, the path's secret, the
    addresses allowed (empty: any), and where receipts go."""

    host: ConnectorHost
    connector_id: str
    token: str
    keep: Keep
    allow: tuple[_Network, ...] = ()

    def __repr__(self) -> str:  # the token stays out of logs
        return f"CallbackSettings(connector_id={self.connector_id!r}, allow={len(self.allow)})"


def parse_networks(items: Iterable[str]) -> tuple[_Network, ...]:
    """``10.0.0.0/8``, ``203.0.113.7`` … as networks; ``ValueError`` naming a bad one."""
    networks = []
    for item in items:
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address or network") from None
    return tuple(networks)


def callback_blueprint(settings: CallbackSettings) -> Blueprint:
    """The receiver as a blueprint for ``create_app(blueprints=[(bp, None)])``."""
    bp = Blueprint("status_callback", __name__)

    @bp.post(f"{PATH}/<token>")
    def status_callback(token: str) -> Response:
        if not hmac.compare_digest(token.encode("utf-8"), settings.token.encode("utf-8")):
            return _answer(404, 1, "no such path")
        if settings.allow and not _allowed(request.remote_addr, settings.allow):
            return _answer(403, 1, "this address may not push status reports")
        try:
            receipts = settings.host.parse_status_callback(
                settings.connector_id, request.get_data(cache=False)
            )
        except ConnectorError as exc:
            return _answer(400, 1, exc.message)
        added = settings.keep(receipts)
        metrics = current_app.extensions["logto_connector.gateway"].metrics
        for receipt in added:
            metrics.receipts.labels(
                status=receipt.status, code=metrics.receipt_code_label(receipt.code)
            ).inc()
        log.info("status callback: %d receipt(s), %d new", len(receipts), len(added))
        return _answer(200, 0, "OK")

    return bp


def _allowed(address: str | None, allow: tuple[_Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in network for network in allow)


def _answer(status: int, result: int, errmsg: str) -> Response:
    return json_response(status, {"result": result, "errmsg": errmsg})
