"""Two ``logto-connector serve`` processes sharing one real Redis: the guards hold across
them, and a Redis that goes away follows the configured policy without a 5xx."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest

from connector.emulator import Emulator
from tests.gateway_process import TOKEN, Gateway, post
from tests.shared_servers import RedisServer

HEADERS = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
CN = "+8613800138000"


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    with RedisServer() as server:
        yield server


@pytest.fixture
def quiet_emulator() -> Iterator[Emulator]:
    """The emulator without its own per-number limits: only the gateways' guards count."""
    with Emulator(limits=None) as emu:
        yield emu


def gateway(
    tmp_path: Path, emulator: Emulator, redis: RedisServer, guards: dict[str, Any], name: str
) -> Gateway:
    config = tmp_path / f"{name}-config.json"
    config.write_text(json.dumps(emulator.connector_config()), "utf-8")
    guards_file = tmp_path / f"{name}-guards.json"
    guards_file.write_text(json.dumps(guards), "utf-8")
    return Gateway("--config", str(config), "--guards", str(guards_file), "--redis", redis.url)


def send(gw: Gateway, to: str, code: str = "402449") -> tuple[int, dict[str, Any]]:
    body = json.dumps({"to": to, "type": "SignIn", "payload": {"code": code}}).encode()
    status, _, raw = post(gw.url, body, HEADERS)
    answer: dict[str, Any] = json.loads(raw)
    return status, answer


def requests_seen(emulator: Emulator) -> int:
    with urlopen(f"{emulator.url}/__emulator/stats", timeout=5) as answer:
        count: int = json.loads(answer.read())["requests"]
    return count


def test_a_per_number_limit_of_5_holds_across_two_gateways(
    tmp_path: Path, quiet_emulator: Emulator, redis_server: RedisServer
) -> None:
    guards = {"limits": [{"per": "number", "max": 5, "window": 3600}]}
    with (
        gateway(tmp_path, quiet_emulator, redis_server, guards, "a") as a,
        gateway(tmp_path, quiet_emulator, redis_server, guards, "b") as b,
    ):
        with ThreadPoolExecutor(max_workers=20) as pool:
            results = list(pool.map(lambda i: send((a, b)[i % 2], CN, f"{100000 + i}"), range(20)))
        statuses = sorted(status for status, _ in results)
        assert statuses == [200] * 5 + [429] * 15
        assert {answer["data"]["guard"] for status, answer in results if status == 429} == {
            "number"
        }
        assert requests_seen(quiet_emulator) == 5


def test_redis_killed_mid_run_follows_the_policy_without_a_5xx(
    tmp_path: Path, quiet_emulator: Emulator, redis_server: RedisServer
) -> None:
    limits = {
        "limits": [{"per": "ip", "max": 100000, "window": 60}],
        "spendCeiling": {"perHour": 100000},
    }
    opened = {**limits, "whenCountersFail": {"limits": "open", "spendCeiling": "open"}}
    with (
        gateway(tmp_path, quiet_emulator, redis_server, limits, "closed") as closed,
        gateway(tmp_path, quiet_emulator, redis_server, opened, "open") as open_,
    ):
        seen: list[int] = []
        stop = threading.Event()

        def keep_sending(gw: Gateway, offset: int) -> None:
            i = 0
            while not stop.is_set():
                seen.append(send(gw, f"+86138001{offset + i % 1000:05d}", f"{i:06d}")[0])
                i += 1

        senders = [
            threading.Thread(target=keep_sending, args=(gw, n * 1000))
            for n, gw in enumerate((closed, open_))
        ]
        for thread in senders:
            thread.start()
        try:
            assert send(closed, CN)[0] == 200 and send(open_, CN)[0] == 200
            redis_server.kill()
            # The default policy: the spend ceiling fails closed, so nothing is sent unchecked.
            status, answer = send(closed, CN)
            assert status == 429 and answer["code"] == "rate_limit_exceeded"
            assert answer["data"]["reason"] == "counters_unavailable"
            # Where the admin chose "open" for both, sends go on.
            assert send(open_, CN)[0] == 200
            redis_server.start()
            assert send(closed, CN)[0] == 200  # back as soon as Redis is
        finally:
            stop.set()
            for thread in senders:
                thread.join(30)
        assert seen and all(status in (200, 429) for status in seen), sorted(set(seen))
        with urlopen(f"{closed.base}/metrics", timeout=5) as answer:
            text = answer.read().decode()
        assert 'guard_counter_errors_total{backend="redis",policy="closed"}' in text
        assert "counters (redis) unreachable" in closed.stderr
        assert "13800138000" not in closed.stderr


def test_an_allow_list_refuses_a_premium_rate_range_before_any_request(
    tmp_path: Path, quiet_emulator: Emulator, redis_server: RedisServer
) -> None:
    guards = {"countries": {"allow": ["CN", "US"]}}
    with gateway(tmp_path, quiet_emulator, redis_server, guards, "a") as a:
        for number in ("+37190123456", "+37190123457", "0037190123458"):  # Latvia, premium
            status, answer = send(a, number)
            assert status == 400
            assert answer["code"] == "invalid_request_parameters"
            assert answer["data"] == {"guard": "country", "country": "LV"}
            assert "LV (+371)" in answer["message"]
        assert requests_seen(quiet_emulator) == 0
        assert send(a, "+14155552671")[0] == 200
        assert requests_seen(quiet_emulator) == 1
