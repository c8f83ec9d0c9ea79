"""The status-callback receiver over real HTTP on loopback, with receipts kept in the store."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from connector.emulator import Emulator
from connector.kit import ConnectorHost
from connector.service import (
    CallbackSettings,
    StaticConfigSource,
    callback_blueprint,
    create_app,
    parse_networks,
)
from connector.store import ConfigStore, open_store
from connector.tencent_sms import CONNECTOR_ID
from tests.cli_process import run_cli
from tests.gateway_process import Gateway

TOKEN = "s3cret-path-segment-0123456789"


def report(sid: str, mobile: str = "13800000000", status: str = "SUCCESS") -> dict[str, str]:
    return {
        "user_receive_time": "2024-07-01 08:03:04",
        "nationcode": "86",
        "mobile": mobile,
        "report_status": status,
        "errmsg": "DELIVRD" if status == "SUCCESS" else "UNDELIV",
        "description": "",
        "sid": sid,
    }


class Receiver:
    """The gateway app with the receiver, served by werkzeug on a loopback port."""

    def __init__(
        self,
        host: ConnectorHost,
        config: dict[str, Any],
        store: ConfigStore,
        allow: tuple[str, ...] = ("127.0.0.0/8",),
    ) -> None:
        self.store = store
        settings = CallbackSettings(
            host=host,
            connector_id=CONNECTOR_ID,
            token=TOKEN,
            keep=store.add_receipts,
            allow=parse_networks(allow),
        )
        source = StaticConfigSource(host, CONNECTOR_ID, config)
        receiver = callback_blueprint(settings)
        app = create_app(host, source, token=None, blueprints=[(receiver, None)])
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_port}"
        self.url = f"{self.base}/tencent/status-callback/{TOKEN}"

    def push(self, body: object, url: str | None = None) -> requests.Response:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return requests.post(url or self.url, data=data, timeout=10)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConfigStore]:
    opened = open_store(tmp_path / "receipts.db")  # the key file receipts.db.key is made
    yield opened
    opened.close()


@pytest.fixture
def receiver(host: ConnectorHost, emulator: Emulator, store: ConfigStore) -> Iterator[Receiver]:
    made = Receiver(host, emulator.connector_config(), store)
    yield made
    made.close()


def test_a_push_is_kept_and_answered_as_tencent_expects(receiver: Receiver) -> None:
    reply = receiver.push([report("5000:1"), report("5000:1", "13800000001", "FAIL")])
    assert (reply.status_code, reply.json()) == (200, {"result": 0, "errmsg": "OK"})
    kept = {r.phone: r for r in receiver.store.receipts("5000:1")}
    assert set(kept) == {"+86138****0000", "+86138****0001"}
    assert (kept["+86138****0001"].status, kept["+86138****0001"].code) == ("failed", "UNDELIV")
    assert kept["+86138****0000"].received_at == 1719792184.0


def test_repeats_change_nothing(receiver: Receiver) -> None:
    for _ in range(3):  # Tencent's push and its two retries
        assert receiver.push([report("5000:2")]).json()["result"] == 0
    assert len(receiver.store.receipts("5000:2")) == 1
    metrics = requests.get(receiver.base + "/metrics", timeout=5).text
    assert 'logto_connector_receipts_total{code="DELIVRD",status="delivered"} 1.0' in metrics
    assert TOKEN not in metrics


def test_a_full_batch_of_100(receiver: Receiver) -> None:
    batch = [report(f"5000:{i}", f"1380000{i:04d}") for i in range(100)]
    assert receiver.push(batch).json() == {"result": 0, "errmsg": "OK"}
    assert all(len(receiver.store.receipts(f"5000:{i}")) == 1 for i in range(100))


@pytest.mark.parametrize(
    "body",
    [b"not json", b"{}", json.dumps([{"sid": "x"}]).encode(), json.dumps([report("")]).encode()],
)
def test_malformed_bodies_are_refused(receiver: Receiver, body: bytes) -> None:
    reply = receiver.push(body)
    assert reply.status_code == 400
    assert reply.json()["result"] == 1
    assert "13800000000" not in reply.text


def test_a_wrong_token_or_address_is_refused(
    host: ConnectorHost, emulator: Emulator, store: ConfigStore, receiver: Receiver
) -> None:
    wrong = receiver.push([report("5000:3")], url=receiver.base + "/tencent/status-callback/x")
    assert wrong.status_code == 404
    assert receiver.store.receipts("5000:3") == []
    elsewhere = Receiver(host, emulator.connector_config(), store, allow=("10.0.0.0/8",))
    try:
        refused = elsewhere.push([report("5000:3")])
    finally:
        elsewhere.close()
    assert refused.status_code == 403
    assert receiver.store.receipts("5000:3") == []
    with pytest.raises(ValueError, match="not an IP address"):
        parse_networks(["tencent"])


def test_a_flood_of_1000_pushes_loses_and_doubles_nothing(receiver: Receiver) -> None:
    # 500 distinct reports, each pushed twice, from 16 threads at once.
    pushes = [[report(f"7000:{i % 500}", f"1390000{i % 500:04d}")] for i in range(1000)]
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda body: receiver.push(body).json()["result"], pushes))
    assert answers == [0] * 1000
    kept = [len(receiver.store.receipts(f"7000:{i}")) for i in range(500)]
    assert kept == [1] * 500


def test_receipts_survive_a_restart(
    tmp_path: Path, host: ConnectorHost, emulator: Emulator
) -> None:
    path = tmp_path / "restart.db"
    first = open_store(path)
    made = Receiver(host, emulator.connector_config(), first)
    try:
        made.push([report("5000:9")])
    finally:
        made.close()
        first.close()
    again = open_store(path)
    try:
        assert [r.code for r in again.receipts("5000:9")] == ["DELIVRD"]
    finally:
        again.close()


def test_the_emulator_pushes_to_the_receiver(
    host: ConnectorHost, store: ConfigStore, tmp_path: Path
) -> None:
    with Emulator(report_delay=0) as upstream:
        made = Receiver(host, upstream.connector_config(), store)
        try:
            with Emulator(report_delay=0, callback_url=made.url) as emu:
                config = emu.connector_config()
                sent = host.send_message(
                    CONNECTOR_ID, config, to="+8613800000001", type="SignIn", payload={"code": "1"}
                )
                serial = str(sent.to_dict()["serialNo"])
                wait_for(lambda: bool(store.receipts(serial)))
        finally:
            made.close()
    (kept,) = store.receipts(serial)
    assert (kept.status, kept.code, kept.phone) == ("failed", "UNDELIV", "+86138****0001")


def test_status_command(tmp_path: Path, store: ConfigStore, receiver: Receiver) -> None:
    receiver.push([report("5000:5", "13800000001", "FAIL")])
    path = str(tmp_path / "receipts.db")
    result = run_cli("status", "5000:5", "--store", path)
    assert result.returncode == 0, result.stderr
    assert "failed" in result.stdout and "UNDELIV" in result.stdout
    assert "13800000001" not in result.stdout
    missing = run_cli("status", "5000:404", "--store", path)
    assert missing.returncode == 1
    assert "no receipt" in missing.stderr


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.02)


def test_serve_receives_callbacks_into_its_store(
    host: ConnectorHost, emulator: Emulator, tmp_path: Path
) -> None:
    path = tmp_path / "configs.db"
    config_file = tmp_path / "config.json"
    config_file.write_text(json.dumps(emulator.connector_config()))
    env = {"LOGTO_CONNECTOR_KEY": ""}
    saved = run_cli("config", "set", "default", str(config_file), "--store", str(path), env=env)
    assert saved.returncode == 0, saved.stderr
    token_file = tmp_path / "callback.token"
    token_file.write_text(TOKEN)
    args = ("--store", str(path), "--callback-token-file", str(token_file))
    with Gateway(*args, "--callback-allow", "127.0.0.1", env=env) as gateway:
        wait_for(lambda: "/tencent/status-callback/<token>" in gateway.stdout)
        assert TOKEN not in gateway.stdout
        url = f"{gateway.base}/tencent/status-callback/{TOKEN}"
        with Emulator(report_delay=0, callback_url=url) as upstream:
            sent = host.send_message(
                CONNECTOR_ID,
                upstream.connector_config(),
                to="+8613800000002",
                type="SignIn",
                payload={"code": "1"},
            )
            serial = str(sent.to_dict()["serialNo"])
            wait_for(lambda: any(a["accepted"] for a in upstream.callback_attempts()))
        metrics = requests.get(f"{gateway.base}/metrics", timeout=5).text
        # The access log names the route, never the secret segment Tencent posts to.
        wait_for(lambda: "POST /tencent/status-callback/<token> 200" in gateway.stderr)
        # Nor when the path matches no route (another method, a trailing slash).
        assert requests.get(url, timeout=5).status_code == 405
        assert requests.post(url + "/", data=b"[]", timeout=5).status_code == 404
        wait_for(lambda: "POST /tencent/status-callback/<token> 404" in gateway.stderr)
        assert TOKEN not in gateway.stderr
    assert 'logto_connector_receipts_total{code="EXPIRED",status="failed"} 1.0' in metrics
    status = run_cli("status", serial, "--store", str(path), "--json", env=env)
    assert status.returncode == 0, status.stderr
    (kept,) = json.loads(status.stdout)["receipts"]
    assert (kept["status"], kept["code"], kept["phone"]) == ("failed", "EXPIRED", "+86138****0002")


def test_serve_refuses_callbacks_without_a_store(tmp_path: Path) -> None:
    token_file = tmp_path / "callback.token"
    token_file.write_text(TOKEN)
    result = run_cli(
        "serve", "--emulator", "--no-auth", "--port", "0", "--callback-token-file", str(token_file)
    )
    assert result.returncode == 2
    assert "serve with --store" in result.stderr


def test_poll_receipts_pulls_into_the_store(host: ConnectorHost, tmp_path: Path) -> None:
    path = tmp_path / "pulled.db"
    with Emulator(report_delay=0) as emu:
        config = emu.connector_config()
        store = open_store(path)
        try:
            store.save("default", CONNECTOR_ID, config, "for the poller")
        finally:
            store.close()
        serials = [
            str(
                host.send_message(
                    CONNECTOR_ID, config, to=to, type="SignIn", payload={"code": "1"}
                ).to_dict()["serialNo"]
            )
            for to in ("+8613711112222", "+8613800000001")
        ]
        pulled = run_cli("poll-receipts", "--store", str(path), "--once")
        again = run_cli("poll-receipts", "--store", str(path), "--once")
    assert pulled.returncode == 0, pulled.stderr
    assert sorted(line.split()[0] for line in pulled.stdout.splitlines()) == sorted(serials)
    assert "13711112222" not in pulled.stdout and "+86137****2222" in pulled.stdout
    assert again.returncode == 0 and again.stdout == ""  # each report comes out once
    status = run_cli("status", serials[1], "--store", str(path))
    assert "failed UNDELIV" in status.stdout
