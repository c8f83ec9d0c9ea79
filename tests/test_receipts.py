"""Delivery receipts: Tencent's callback format, pulling from the emulator, the poller."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from connector.emulator import Emulator
from connector.kit import (
    ConnectorError,
    ConnectorHost,
    DeliveryReceipt,
    ErrorCode,
    poll_receipts,
)
from connector.tencent_sms import CONNECTOR_ID
from tests.callback_receiver import ACCEPT, Receiver
from tests.echo_connector import EchoConnector

OK_NUMBER = "+8613711112222"
UNDELIVERED = "+8613800000001"  # the demo account's carrier fails it (UNDELIV)
EXAMPLE_PUSH = [
    {
        "user_receive_time": "2024-07-01 08:03:04",
        "nationcode": "86",
        "mobile": "13800000000",
        "report_status": "SUCCESS",
        "errmsg": "DELIVRD",
        "description": "用户短信送达成功",
        "sid": "5000:1045710669157053657849499619",
    },
    {
        "user_receive_time": "2024-07-01 08:03:09",
        "nationcode": "86",
        "mobile": "13800000001",
        "report_status": "FAIL",
        "errmsg": "UNDELIV",
        "description": "用户终端状态异常",
        "sid": "5000:1045710669157053657849499620",
    },
]


def send(host: ConnectorHost, config: dict[str, Any], to: str) -> str:
    result = host.send_message(CONNECTOR_ID, config, to=to, type="SignIn", payload={"code": "1"})
    serial_no = result.to_dict()["serialNo"]
    assert isinstance(serial_no, str) and serial_no
    return serial_no


# --- the callback body ----------------------------------------------------------------------


def test_parse_tencents_callback(host: ConnectorHost) -> None:
    body = json.dumps(EXAMPLE_PUSH, ensure_ascii=False).encode()
    delivered, failed = host.parse_status_callback(CONNECTOR_ID, body)
    assert (delivered.status, delivered.code) == ("delivered", "DELIVRD")
    assert (failed.status, failed.code, failed.description) == (
        "failed",
        "UNDELIV",
        "用户终端状态异常",
    )
    assert delivered.serial_no == "5000:1045710669157053657849499619"
    assert delivered.phone == "+8613800000000"
    # Beijing wall-clock time: 08:03:04 on 1 July is 00:03:04 UTC.
    assert delivered.received_at == 1719792184.0
    shown = json.dumps(delivered.to_dict()) + repr(delivered)
    assert "+8613800000000" not in shown and "+86138****0000" in shown


def test_parse_a_full_batch(host: ConnectorHost) -> None:
    items = [
        {**EXAMPLE_PUSH[0], "sid": f"5000:{i}", "mobile": f"1380000{i:04d}"} for i in range(100)
    ]
    receipts = host.parse_status_callback(CONNECTOR_ID, json.dumps(items).encode())
    assert [r.serial_no for r in receipts] == [f"5000:{i}" for i in range(100)]
    assert len({r.key for r in receipts}) == 100


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"not json", "not JSON"),
        (b'{"sid": "1"}', "JSON array"),
        (b"[1]", "report [0] is not an object"),
        (json.dumps([{**EXAMPLE_PUSH[0], "sid": ""}]).encode(), "report [0] has no sid"),
        (json.dumps([{**EXAMPLE_PUSH[0], "report_status": "OK"}]).encode(), "SUCCESS or FAIL"),
        (json.dumps([{**EXAMPLE_PUSH[0], "mobile": "138-0000"}]).encode(), "must be digits"),
        (json.dumps([EXAMPLE_PUSH[0]] * 1001).encode(), "at most 100"),
    ],
)
def test_malformed_callbacks_are_refused(host: ConnectorHost, body: bytes, words: str) -> None:
    with pytest.raises(ConnectorError) as info:
        host.parse_status_callback(CONNECTOR_ID, body)
    assert info.value.code is ErrorCode.INVALID_REQUEST_PARAMETERS
    assert words in info.value.message
    assert "13800000000" not in info.value.message


# --- pulling ----------------------------------------------------------------------------------


@pytest.fixture
def slow_emulator() -> Iterator[Emulator]:
    """Reports become ready 60 s (emulator clock) after a send."""
    with Emulator(report_delay=60) as emu:
        yield emu


def test_pull_after_the_delay_each_once(host: ConnectorHost, slow_emulator: Emulator) -> None:
    config = slow_emulator.connector_config()
    ok = send(host, config, OK_NUMBER)
    failed = send(host, config, UNDELIVERED)
    assert host.pull_receipts(CONNECTOR_ID, config) == []
    slow_emulator.advance_clock(61)
    receipts = {r.serial_no: r for r in host.pull_receipts(CONNECTOR_ID, config)}
    assert set(receipts) == {ok, failed}
    assert (receipts[ok].status, receipts[ok].code) == ("delivered", "DELIVRD")
    assert (receipts[failed].status, receipts[failed].code) == ("failed", "UNDELIV")
    assert receipts[ok].phone == OK_NUMBER
    assert host.pull_receipts(CONNECTOR_ID, config) == []


def test_pull_limit(host: ConnectorHost, slow_emulator: Emulator) -> None:
    config = slow_emulator.connector_config()
    for i in range(3):
        send(host, config, f"+861380013{i:04d}")
    slow_emulator.advance_clock(61)
    assert len(host.pull_receipts(CONNECTOR_ID, config, limit=2)) == 2
    assert len(host.pull_receipts(CONNECTOR_ID, config, limit=2)) == 1
    with pytest.raises(ConnectorError) as info:
        host.pull_receipts(CONNECTOR_ID, config, limit=101)
    assert info.value.code is ErrorCode.INVALID_REQUEST_PARAMETERS


def test_look_up_by_number(host: ConnectorHost, slow_emulator: Emulator) -> None:
    config = slow_emulator.connector_config()
    serial = send(host, config, UNDELIVERED)
    send(host, config, OK_NUMBER)
    slow_emulator.advance_clock(61)
    since = slow_emulator.now() - 3600
    # Digits as Logto keeps them are read the way sends read them.
    found = host.receipts_for_number(CONNECTOR_ID, config, "8613800000001", since)
    assert [(r.serial_no, r.code) for r in found] == [(serial, "UNDELIV")]
    assert len(host.pull_receipts(CONNECTOR_ID, config)) == 2  # the look-up drained nothing


def test_pull_refused_by_tencent(host: ConnectorHost, slow_emulator: Emulator) -> None:
    config = slow_emulator.connector_config(sdkAppId="1400999999")
    with pytest.raises(ConnectorError) as info:
        host.pull_receipts(CONNECTOR_ID, config)
    assert info.value.data["tencentCode"] == "InvalidParameterValue.SdkAppIdNotExist"


def test_a_connector_without_receipts() -> None:
    host = ConnectorHost(plugins=[EchoConnector()])
    calls: list[Callable[[], object]] = [
        lambda: host.pull_receipts("echo-sms", {"prefix": "x"}),
        lambda: host.parse_status_callback("echo-sms", b"[]"),
        lambda: host.receipts_for_number("echo-sms", {"prefix": "x"}, "+1", 0),
    ]
    for call in calls:
        with pytest.raises(ConnectorError) as info:
            call()
        assert info.value.code is ErrorCode.NOT_IMPLEMENTED


# --- the poller -------------------------------------------------------------------------------


def test_poller_gets_reports_that_arrive_later(host: ConnectorHost) -> None:
    got: list[DeliveryReceipt] = []
    stop = threading.Event()
    with Emulator(report_delay=0.5) as emu:
        config = emu.connector_config()

        def keep(batch: list[DeliveryReceipt]) -> None:
            got.extend(batch)
            if len(got) >= 2:
                stop.set()

        counted: list[int] = []
        poller = threading.Thread(
            target=lambda: counted.append(
                poll_receipts(
                    lambda: host.pull_receipts(CONNECTOR_ID, config),
                    keep,
                    stop=stop,
                    interval=0.05,
                    max_interval=0.2,
                )
            )
        )
        poller.start()
        serials = {send(host, config, OK_NUMBER), send(host, config, UNDELIVERED)}
        assert stop.wait(15), "the poller did not get both reports"
        poller.join(5)
    assert sorted(r.serial_no for r in got) == sorted(serials)
    assert counted == [2]


def test_poller_survives_a_failed_pull() -> None:
    receipt = DeliveryReceipt(CONNECTOR_ID, "1", "+8613711112222", "delivered", "DELIVRD")
    answers: list[Sequence[DeliveryReceipt] | ConnectorError] = [
        ConnectorError(ErrorCode.RATE_LIMIT_EXCEEDED, "slow down"),
        [],
        [receipt],
    ]
    stop = threading.Event()
    got: list[DeliveryReceipt] = []

    def pull() -> Sequence[DeliveryReceipt]:
        answer = answers.pop(0) if answers else []
        if isinstance(answer, ConnectorError):
            raise answer
        return answer

    def keep(batch: list[DeliveryReceipt]) -> None:
        got.extend(batch)
        stop.set()

    assert poll_receipts(pull, keep, stop=stop, interval=0.01, max_interval=0.02) == 1
    assert got == [receipt]


# --- pushed by the emulator, read by the connector ----------------------------------------


def test_callback_from_the_emulator_reads_back(host: ConnectorHost) -> None:
    receiver = Receiver([ACCEPT])
    try:
        with Emulator(report_delay=0, callback_url=receiver.url) as emu:
            config = emu.connector_config()
            serials = {send(host, config, OK_NUMBER), send(host, config, UNDELIVERED)}
            deadline = time.monotonic() + 10
            while sum(len(push) for push in receiver.pushes) < 2:
                assert time.monotonic() < deadline, "no callback arrived"
                time.sleep(0.02)
    finally:
        receiver.close()
    bodies = list(receiver.bodies)
    receipts = [r for body in bodies for r in host.parse_status_callback(CONNECTOR_ID, body)]
    assert {r.serial_no for r in receipts} == serials
    assert {r.phone: r.status for r in receipts} == {OK_NUMBER: "delivered", UNDELIVERED: "failed"}
