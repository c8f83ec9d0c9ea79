"""``create_app`` in this process, served over real HTTP on loopback by werkzeug's server.

What the other parts of the service build on: a config source asked on every request, more
blueprints beside the gateway, the answer deadline whatever the connector does, masking.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.error import HTTPError
from urllib.request import urlopen

import pytest
from flask import Blueprint, Flask

from connector.kit import ConnectorHost, SendResult, hookimpl
from connector.service import (
    ActiveConfig,
    BearerToken,
    GatewayMetrics,
    create_app,
    mask_number,
    scrub,
    shutdown,
)
from tests.app_thread import serving
from tests.echo_connector import EchoConnector
from tests.gateway_process import post

TOKEN = "app-token-0123456789"
HEADERS = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}


class SlowEcho(EchoConnector):
    """The echo connector, taking ``config['prefix']`` seconds when the prefix is a number."""

    @hookimpl
    def send_message(
        self, to: str, type: str, payload: Mapping[str, Any], config: Mapping[str, Any]
    ) -> SendResult:
        if config["prefix"].replace(".", "").isdigit():
            time.sleep(float(config["prefix"]))
        return super().send_message(to, type, payload, config)


class Switchable:
    """A config source whose config a test changes between requests (as a store's save does)."""

    def __init__(self) -> None:
        self.active: ActiveConfig | None = None
        self.calls = 0

    def current(self) -> ActiveConfig | None:
        self.calls += 1
        return self.active


def serve(app: Flask) -> Iterator[str]:
    try:
        with serving(app) as base:
            yield base
    finally:
        shutdown(app)


@pytest.fixture
def echo() -> SlowEcho:
    return SlowEcho()


@pytest.fixture
def source() -> Switchable:
    return Switchable()


@pytest.fixture
def base(echo: SlowEcho, source: Switchable) -> Iterator[str]:
    admin = Blueprint("admin", __name__)
    admin.add_url_rule("/", "index", lambda: "the admin console")
    app = create_app(
        ConnectorHost(plugins=[echo]),
        source,
        token=TOKEN,
        blueprints=[(admin, "/admin")],
        settings={"ADMIN_TITLE": "x"},
    )
    assert app.config["ADMIN_TITLE"] == "x"
    yield from serve(app)


def send(base: str, to: str = "+8613800138000") -> tuple[int, dict[str, Any]]:
    body = json.dumps({"to": to, "type": "SignIn", "payload": {"code": "123456"}}).encode()
    status, _, raw = post(f"{base}/logto/sms", body, HEADERS)
    answer: dict[str, Any] = json.loads(raw)
    return status, answer


def test_the_source_is_asked_on_every_request(
    base: str, source: Switchable, echo: SlowEcho
) -> None:
    status, answer = send(base)
    assert status == 503 and answer["ok"] is False
    with pytest.raises(HTTPError) as caught:
        urlopen(f"{base}/readyz", timeout=5)
    assert caught.value.code == 503
    source.active = ActiveConfig("echo-sms", {"prefix": "first"}, "v1")
    assert send(base)[0] == 200
    source.active = ActiveConfig("echo-sms", {"prefix": "second"}, "v2")  # a save: no restart
    assert send(base)[0] == 200
    assert [m["text"] for m in echo.sent] == ["first 123456", "second 123456"]
    with urlopen(f"{base}/readyz", timeout=5) as answer:
        assert json.loads(answer.read())["version"] == "v2"


def test_more_blueprints_join_the_gateway(base: str) -> None:
    with urlopen(f"{base}/admin/", timeout=5) as answer:
        assert answer.read() == b"the admin console"
    with urlopen(f"{base}/healthz", timeout=5) as answer:
        assert json.loads(answer.read()) == {"ok": True}


def test_answers_at_the_deadline_when_the_connector_hangs(
    base: str, source: Switchable, echo: SlowEcho
) -> None:
    source.active = ActiveConfig("echo-sms", {"prefix": "3"}, "slow", deadline=0.5)
    started = time.monotonic()
    status, answer = send(base)
    took = time.monotonic() - started
    assert status == 504
    assert answer["data"]["delivery"] == "unknown"
    assert took < 0.5 + 1.0


def test_two_apps_do_not_share_metrics() -> None:
    one, two = GatewayMetrics(multiprocess=False), GatewayMetrics(multiprocess=False)
    one.sends.labels(type="SignIn", outcome="ok").inc()
    assert b'outcome="ok"' in one.render() and b'outcome="ok"' not in two.render()
    assert GatewayMetrics.type_label("8613800138000") == "other"
    assert GatewayMetrics.path_label("/logto/sms/8613800138000") == "other"


def test_masking_and_scrubbing() -> None:
    assert mask_number("+8613800138000") == "+86138****8000"
    assert mask_number("8613800138000") == "86138****8000"
    assert mask_number("123") == "12*"
    text = {"message": "recipient '8613800138000' is not valid", "data": ["+8613800138000", 7]}
    assert scrub(text, "8613800138000") == {
        "message": "recipient '86138****8000' is not valid",
        "data": ["+86138****8000", 7],
    }
    assert scrub("code 1234", "1234") == "code 1234"  # too short to be a number worth hiding
    # Asked with the international prefix, the connector quotes E.164: masked too.
    assert scrub("invalid number +8613912345678", "0086 139 1234 5678") == (
        "invalid number +86139****5678"
    )


def test_bearer_token() -> None:
    token = BearerToken("s3cret-token")
    assert token.accepts("Bearer s3cret-token") and token.accepts("bearer s3cret-token")
    for wrong in (None, "", "Bearer", "Bearer s3cret-tokem", "Basic s3cret-token", "s3cret-token"):
        assert not token.accepts(wrong)
    assert "s3cret" not in repr(token)
    with pytest.raises(ValueError, match="empty"):
        BearerToken("  ")
    with pytest.raises(ValueError, match="spaces"):
        BearerToken("two words")
