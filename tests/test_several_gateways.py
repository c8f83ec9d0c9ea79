"""Two ``logto-connector serve`` processes sharing a real PostgreSQL store and a real Redis:
a config or guards saved once are served by both, and a limit holds across them."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from connector.emulator import Emulator
from connector.store import KEY_ENV, new_key
from tests.cli_process import run_cli
from tests.gateway_process import TOKEN, Gateway, get_json, post, wait_until
from tests.shared_servers import PostgresServer, RedisServer

HEADERS = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
CN = "+8613800138000"


@pytest.fixture
def servers() -> Iterator[tuple[PostgresServer, RedisServer]]:
    with PostgresServer() as pg, RedisServer() as redis:
        yield pg, redis


@pytest.fixture
def key_env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The store's key, the same for every process (as on several machines)."""
    key = base64.b64encode(new_key()).decode()
    monkeypatch.setenv(KEY_ENV, key)
    return {KEY_ENV: key}


def save(tmp_path: Path, store: str, what: str, name: str, document: dict[str, Any]) -> None:
    path = tmp_path / f"{what}.json"
    path.write_text(json.dumps(document), "utf-8")
    result = run_cli("config", what, name, str(path), "--store", store)
    assert result.returncode == 0, result.stderr


def sign_in_as_generic(config: dict[str, Any]) -> dict[str, Any]:
    """The config with SignIn served by the Generic template (100005): a visible change."""
    templates = [
        {**t, "templateCode": "100005"} if t["usageType"] == "SignIn" else t
        for t in config["templates"]
    ]
    return {**config, "templates": templates}


def send(gw: Gateway, to: str = CN, code: str = "402449") -> tuple[int, dict[str, Any]]:
    body = json.dumps({"to": to, "type": "SignIn", "payload": {"code": code}}).encode()
    status, _, raw = post(gw.url, body, HEADERS)
    answer: dict[str, Any] = json.loads(raw)
    return status, answer


def test_two_gateways_share_the_store_and_the_counters(
    tmp_path: Path,
    servers: tuple[PostgresServer, RedisServer],
    key_env: dict[str, str],
) -> None:
    pg, redis = servers
    with Emulator(limits=None) as emulator:
        config = emulator.connector_config()
        save(tmp_path, pg.url, "set", "default", config)
        flags = ("--store", pg.url, "--redis", redis.url)
        with (
            Gateway(*flags, env=key_env) as a,
            Gateway(*flags, env=key_env) as b,
        ):
            assert get_json(f"{b.base}/readyz")["version"] == "store:default:1"
            # A config saved once (through the command line, as the console does) is served
            # by both gateways, without a restart.
            save(tmp_path, pg.url, "set", "default", sign_in_as_generic(config))
            for gw in (a, b):
                assert wait_until(
                    lambda gw=gw: get_json(f"{gw.base}/readyz")["version"] == "store:default:2"
                )
            assert send(a)[0] == 200 and send(b)[0] == 200
            assert [m["templateId"] for m in emulator.outbox()[-2:]] == ["100005", "100005"]
            # Guards saved beside it: both enforce them, counting together in Redis.
            guards = {"limits": [{"per": "number", "max": 5, "window": 3600}]}
            save(tmp_path, pg.url, "set-guards", "default", guards)
            assert wait_until(lambda: send(a, "+447400123456")[0] == 400)  # CN only now
            assert wait_until(lambda: send(b, "+447400123456")[0] == 400)
            number = "+8613900139000"
            with ThreadPoolExecutor(max_workers=20) as pool:
                statuses = list(
                    pool.map(lambda i: send((a, b)[i % 2], number, f"{200000 + i}")[0], range(20))
                )
            assert sorted(statuses) == [200] * 5 + [429] * 15
            delivered = [m for m in emulator.outbox() if m["phoneNumber"] == number]
            assert len(delivered) == 5


def test_postgres_going_away_keeps_the_gateways_sending(
    tmp_path: Path,
    servers: tuple[PostgresServer, RedisServer],
    key_env: dict[str, str],
) -> None:
    pg, _ = servers
    with Emulator(limits=None) as emulator:
        save(tmp_path, pg.url, "set", "default", emulator.connector_config())
        with Gateway("--store", pg.url, env=key_env) as gw:
            assert send(gw, code="111111")[0] == 200
            pg.stop("immediate")
            assert [send(gw, code=f"22222{i}")[0] for i in range(3)] == [200, 200, 200]
            pg.start()
            save(
                tmp_path, pg.url, "set", "default", sign_in_as_generic(emulator.connector_config())
            )
            assert wait_until(
                lambda: get_json(f"{gw.base}/readyz")["version"] == "store:default:2", 20.0
            )
            assert send(gw, code="333333")[0] == 200
            assert emulator.outbox()[-1]["templateId"] == "100005"
        assert "Traceback" not in gw.stderr
