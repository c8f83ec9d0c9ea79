"""The gateway's abuse guards in one process: ``create_app`` served by werkzeug on loopback,
sending through the real Tencent connector to the real emulator."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest

from connector.emulator import Emulator
from connector.kit import ConnectorHost
from connector.service import (
    Check,
    GuardSettings,
    GuardSettingsError,
    MemoryCounters,
    RedisCounters,
    StaticConfigSource,
    create_app,
    region_of,
)
from tests.gateway_process import post
from tests.test_service_app import serve

TOKEN = "guards-token-0123456789"
HEADERS = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
CN = "+8613800138000"


class Clock:
    """A clock a test moves by hand."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def start(
    host: ConnectorHost,
    emulator: Emulator,
    guards: dict[str, Any],
    counters: Any = None,
) -> Iterator[str]:
    source = StaticConfigSource(host, "tencent-short-message-service", emulator.connector_config())
    app = create_app(
        host, source, token=TOKEN, guards=GuardSettings.from_document(guards), counters=counters
    )
    yield from serve(app)


def send(
    base: str, to: str, ip: str | None = None, code: str = "402449"
) -> tuple[int, dict[str, str], dict[str, Any]]:
    body: dict[str, Any] = {"to": to, "type": "SignIn", "payload": {"code": code}}
    if ip is not None:
        body["ip"] = ip
    status, headers, raw = post(f"{base}/logto/sms", json.dumps(body).encode(), HEADERS)
    answer: dict[str, Any] = json.loads(raw)
    return status, headers, answer


def requests_seen(emulator: Emulator) -> int:
    with urlopen(f"{emulator.url}/__emulator/stats", timeout=5) as answer:
        count: int = json.loads(answer.read())["requests"]
    return count


def metrics(base: str) -> str:
    with urlopen(f"{base}/metrics", timeout=5) as answer:
        text: str = answer.read().decode()
    return text


@pytest.fixture
def no_limits_emulator() -> Iterator[Emulator]:
    """The emulator without its own per-number limits, so only the gateway's guards count."""
    with Emulator(limits=None) as emu:
        yield emu


# -- settings -----------------------------------------------------------------------------


def test_a_bad_guards_document_lists_every_problem_with_its_path() -> None:
    with pytest.raises(GuardSettingsError) as caught:
        GuardSettings.from_document(
            {
                "countries": {"allow": ["cn"]},
                "limits": [{"per": "prefix", "max": 5, "window": 60}, {"per": "mac", "max": 1}],
                "spendCeiling": {"perHour": 0},
                "colour": "red",
            }
        )
    text = str(caught.value)
    assert "'cn' is not an ISO 3166 region code" in text
    assert "countries.allow[0]" in text
    assert "limits[0]" in text and "'digits' is a required property" in text
    assert "limits[1]" in text and "'window' is a required property" in text
    assert "spendCeiling.perHour" in text
    assert "unknown key ('colour' was unexpected)" in text


def test_settings_read_from_a_file_and_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "guards.json"
    path.write_text('{"limits": [{"per": "number", "max": 5, "window": 3600}]}', "utf-8")
    settings = GuardSettings.read(path)
    assert settings.allow == frozenset({"CN"})  # the documented default
    assert settings.limits_fail_open and not settings.spend_fails_open
    path.write_text('{"limits": [', "utf-8")
    with pytest.raises(GuardSettingsError, match="not valid JSON"):
        GuardSettings.read(path)


@pytest.mark.parametrize(
    ("number", "region"),
    [
        ("+8613800138000", "CN"),
        ("8613800138000", "CN"),  # as Logto keeps numbers
        ("0014155552671", "US"),
        ("+37190123456", "LV"),
        ("13800138000", "CN"),  # a bare mainland mobile, as the connector reads it
        ("12345", None),
    ],
)
def test_the_region_of_a_number(number: str, region: str | None) -> None:
    assert region_of(number) == region


# -- countries ----------------------------------------------------------------------------


def test_the_default_allow_list_refuses_other_countries_before_any_request(
    host: ConnectorHost, emulator: Emulator
) -> None:
    for base in start(host, emulator, {}):
        status, _, answer = send(base, "+447400123456")
        assert status == 400
        assert answer["code"] == "invalid_request_parameters"
        assert "GB (+44)" in answer["message"] and "only CN" in answer["message"]
        assert answer["data"] == {"guard": "country", "country": "GB"}
        assert "7400123456" not in json.dumps(answer)
        assert requests_seen(emulator) == 0
        assert send(base, CN)[0] == 200
        assert 'logto_connector_guard_refusals_total{guard="country"} 1.0' in metrics(base)


def test_deny_wins_over_allow_everything(host: ConnectorHost, emulator: Emulator) -> None:
    guards = {"countries": {"allow": "*", "deny": ["LV"]}}
    for base in start(host, emulator, guards):
        status, _, answer = send(base, "+37190123456")  # a premium-rate range
        assert status == 400 and answer["data"]["country"] == "LV"
        assert send(base, "+14155552671")[0] == 200
        assert requests_seen(emulator) == 1


# -- limits -------------------------------------------------------------------------------


def test_a_per_number_limit_refuses_with_429_and_retry_after(
    host: ConnectorHost, no_limits_emulator: Emulator
) -> None:
    guards = {"limits": [{"per": "number", "max": 3, "window": 600}]}
    for base in start(host, no_limits_emulator, guards):
        assert [send(base, CN, code=f"10000{i}")[0] for i in range(3)] == [200, 200, 200]
        status, headers, answer = send(base, CN)
        assert status == 429
        assert answer["code"] == "rate_limit_exceeded"
        assert answer["data"]["guard"] == "number"
        retry = int(headers["retry-after"])
        # At most the rest of this window and most of the next (the window slides).
        assert 1 <= retry <= 2 * 600 and answer["data"]["retryAfter"] == retry
        assert f"try again in {retry} s" in answer["message"]
        assert "3 sends per 600 s per number" in answer["message"]
        # Another spelling of the same number is the same count.
        assert send(base, "13800138000")[0] == 429
        assert send(base, "+8613800138001")[0] == 200  # another number has its own count
        assert requests_seen(no_limits_emulator) == 4


def test_per_ip_and_per_prefix_limits(host: ConnectorHost, no_limits_emulator: Emulator) -> None:
    guards = {
        "limits": [
            {"per": "ip", "max": 2, "window": 60},
            {"per": "prefix", "digits": 7, "max": 3, "window": 60},
        ]
    }
    for base in start(host, no_limits_emulator, guards):
        assert send(base, "+8613800138000", ip="203.0.113.7")[0] == 200
        assert send(base, "+8613800138001", ip="203.0.113.7")[0] == 200
        status, _, answer = send(base, "+8613800138002", ip="203.0.113.7")
        assert (status, answer["data"]["guard"]) == (429, "ip")
        # The refused send counted nowhere: the prefix still has one place.
        assert send(base, "+8613800138003", ip="198.51.100.1")[0] == 200
        status, _, answer = send(base, "+8613800138004", ip="198.51.100.2")
        assert (status, answer["data"]["guard"]) == (429, "prefix")
        assert send(base, "+8613900138004", ip="198.51.100.2")[0] == 200
        text = metrics(base)
        assert 'guard_refusals_total{guard="ip"} 1.0' in text
        assert "203.0.113.7" not in text and "138004" not in text


def test_no_spelling_of_a_number_slips_past_the_guards(
    host: ConnectorHost, no_limits_emulator: Emulator
) -> None:
    guards = {
        "countries": {"allow": ["CN"]},
        "limits": [{"per": "number", "max": 1, "window": 600}],
    }
    for base in start(host, no_limits_emulator, guards):
        # A foreign number behind separators the connector ignores is still foreign.
        for spelling in ("0-0447400123456", "(00)447400123456", ".0044 7400 123456"):
            status, _, answer = send(base, spelling)
            assert (status, answer["data"]["country"]) == (400, "GB"), spelling
        # One number, one count, however it is written.
        assert send(base, CN)[0] == 200
        for spelling in ("(00)8613800138000", "0 0 86 138 0013 8000", "86-138-0013-8000"):
            assert send(base, spelling)[0] == 429, spelling
        # A number the connector refuses is refused before the guards count it.
        status, _, answer = send(base, "91234567")
        assert (status, answer["code"]) == (400, "invalid_request_parameters")
        assert requests_seen(no_limits_emulator) == 1


def test_the_guards_read_numbers_as_the_config_does(
    host: ConnectorHost, no_limits_emulator: Emulator
) -> None:
    """With ``phoneFormat: mainlandFirst`` a bare 1… number goes to +86: so is it counted."""
    config = {**no_limits_emulator.connector_config(), "phoneFormat": "mainlandFirst"}
    source = StaticConfigSource(host, "tencent-short-message-service", config)
    guards = {"countries": {"allow": ["US"]}, "limits": [{"per": "number", "max": 1, "window": 60}]}
    app = create_app(host, source, token=TOKEN, guards=GuardSettings.from_document(guards))
    for base in serve(app):
        status, _, answer = send(base, "13105551234")  # read mainland first: +86, not +1
        assert (status, answer["data"]["country"]) == (400, "CN")
        assert requests_seen(no_limits_emulator) == 0


def test_one_address_is_one_count_and_odd_text_no_crash(
    host: ConnectorHost, no_limits_emulator: Emulator
) -> None:
    guards = {"limits": [{"per": "ip", "max": 1, "window": 60}]}
    for base in start(host, no_limits_emulator, guards):
        assert send(base, "+8613800138000", ip="203.0.113.7")[0] == 200
        assert send(base, "+8613800138001", ip="::ffff:203.0.113.7")[0] == 429
        assert send(base, "+8613800138002", ip=" 203.0.113.7 ")[0] == 429
        # Text that is no address (even a lone surrogate) is counted, never a 5xx.
        assert send(base, "+8613800138003", ip="\ud800")[0] == 200
        assert send(base, "+8613800138004", ip="\ud800")[0] == 429


def test_the_spend_ceiling_weighs_each_country_by_its_price(
    host: ConnectorHost, no_limits_emulator: Emulator
) -> None:
    guards = {
        "countries": {"allow": ["CN", "US"]},
        "spendCeiling": {"perHour": 5, "prices": {"CN": 1, "*": 4}},
    }
    for base in start(host, no_limits_emulator, guards):
        assert send(base, "+14155552671")[0] == 200  # 4
        assert send(base, CN)[0] == 200  # 5
        status, headers, answer = send(base, "+8613800138001")
        assert status == 429 and answer["data"]["guard"] == "spendCeiling"
        assert "spend ceiling of 5 per hour" in answer["message"]
        assert int(headers["retry-after"]) > 0


# -- the counters -------------------------------------------------------------------------


def test_the_window_slides() -> None:
    clock = Clock(1000.0)  # the start of a 10 s window
    counters = MemoryCounters(clock)
    check = Check("number", "k", 10, 2)
    assert counters.take([check]) is None
    assert counters.take([check]) is None
    refusal = counters.take([check])
    assert refusal is not None and refusal.check is check
    # Full now; the next window starts in 10 s, and half of it must pass before the two
    # sends of this one weigh less than one.
    assert refusal.retry_after == 15
    clock.now = 1014.0  # 40 % into the next window: 2 × 0.6 + 1 > 2
    assert counters.take([check]) is not None
    clock.now = 1015.0  # half way: 2 × 0.5 + 1 = 2
    assert counters.take([check]) is None
    clock.now = 1040.0  # long after: empty again
    assert counters.take([check]) is None
    assert counters.take([check]) is None
    assert counters.take([check]) is not None


def test_a_refused_check_counts_nothing_anywhere() -> None:
    counters = MemoryCounters(Clock(0.0))
    roomy, tight = Check("ip", "a", 60, 10), Check("number", "b", 60, 1)
    assert counters.take([roomy, tight]) is None
    refusal = counters.take([roomy, tight])
    assert refusal is not None and refusal.check is tight
    for _ in range(9):  # roomy counted one send, not two
        assert counters.take([roomy]) is None
    assert counters.take([roomy]) is not None


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_unreachable_counters_follow_the_policy(
    host: ConnectorHost, no_limits_emulator: Emulator
) -> None:
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    limits_only = {"limits": [{"per": "number", "max": 1, "window": 60}]}
    for base in start(host, no_limits_emulator, limits_only, RedisCounters(url)):
        # Limits fail open by default: both sends pass, unchecked, and /metrics says so.
        assert [send(base, CN, code=c)[0] for c in ("111111", "222222")] == [200, 200]
        assert 'guard_counter_errors_total{backend="redis",policy="open"} 2.0' in metrics(base)
    with_spend = {**limits_only, "spendCeiling": {"perHour": 100}}
    for base in start(host, no_limits_emulator, with_spend, RedisCounters(url)):
        status, headers, answer = send(base, CN)
        assert status == 429
        assert answer["data"]["reason"] == "counters_unavailable"
        assert answer["data"]["guard"] == "spendCeiling"
        assert headers["retry-after"] == "5"
        assert 'policy="closed"} 1.0' in metrics(base)
    opened = {**with_spend, "whenCountersFail": {"spendCeiling": "open"}}
    for base in start(host, no_limits_emulator, opened, RedisCounters(url)):
        assert send(base, CN, code="333333")[0] == 200
    assert requests_seen(no_limits_emulator) == 3
