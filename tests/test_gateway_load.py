"""The gateway under load and at shutdown: real processes, keep-alive clients, exactly once."""

from __future__ import annotations

import http.client
import json
import signal
import statistics
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from connector.emulator import Emulator
from tests.gateway_process import TOKEN, EmulatorProcess, Gateway, get_json, logto_send, wait_until

CLIENTS = 32
SECONDS = 20.0
HEADERS = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}


def _client(port: int, index: int, stop: float, out: dict[str, Any]) -> None:
    """One keep-alive client: unique numbers, one request after the other, until ``stop``."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies: list[float] = []
    failures: list[str] = []
    sequence = 0
    while time.monotonic() < stop:
        number = f"86139{index:02d}{sequence:06d}"
        body = json.dumps({"to": number, "type": "SignIn", "payload": {"code": "123456"}})
        started = time.perf_counter()
        try:
            conn.request("POST", "/logto/sms", body, HEADERS)
            answer = conn.getresponse()
            text = answer.read()
        except (OSError, http.client.HTTPException) as exc:
            failures.append(f"{type(exc).__name__}")
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        latencies.append(time.perf_counter() - started)
        if answer.status != 200:
            failures.append(f"{answer.status} {text[:200]!r}")
        sequence += 1
    conn.close()
    out[f"latencies{index}"] = latencies
    out[f"failures{index}"] = failures
    out[f"sent{index}"] = sequence


def test_32_keepalive_clients_for_20_seconds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.json"
    with EmulatorProcess(config, "--no-limits") as emulator:
        with Gateway("--config", str(config), "--workers", "2", "--threads", "16") as gateway:
            port = int(gateway.base.rsplit(":", 1)[1])
            out: dict[str, Any] = {}
            stop = time.monotonic() + SECONDS
            threads = [
                threading.Thread(target=_client, args=(port, i, stop, out)) for i in range(CLIENTS)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(SECONDS + 60)
            with urllib.request.urlopen(f"{gateway.base}/metrics", timeout=10) as answer:
                metrics = answer.read().decode()
        stats = emulator.stats()
        outbox = get_json(f"{emulator.url}/__emulator/outbox")["messages"]
    latencies = sorted(x for i in range(CLIENTS) for x in out[f"latencies{i}"])
    failures = [x for i in range(CLIENTS) for x in out[f"failures{i}"]]
    sent = sum(out[f"sent{i}"] for i in range(CLIENTS))
    assert failures == []
    assert sent > CLIENTS * 10
    # Exactly once: one SendSms per answered request, each delivered, no number twice.
    assert stats == {"requests": sent, "delivered": sent}
    numbers = [m["phoneNumber"] for m in outbox]
    assert len(numbers) == len(set(numbers)) == min(sent, len(outbox))
    # Both workers' counts reach /metrics (multiprocess mode).
    assert f'logto_connector_sends_total{{outcome="ok",type="SignIn"}} {float(sent)}' in metrics
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    with capsys.disabled():
        print(
            f"\n[gateway load] {CLIENTS} keep-alive clients, {SECONDS:.0f} s, 2 workers x 16 "
            f"threads: {sent} sends ({sent / SECONDS:.0f}/s), 0 errors, exactly once; "
            f"p50 {p50:.1f} ms, p99 {p99:.1f} ms"
        )


def test_sigterm_finishes_16_sends_in_flight(emulator: Emulator, tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text(json.dumps(emulator.connector_config()), encoding="utf-8")
    gateway = Gateway("--config", str(config), "--threads", "16")
    try:
        emulator.inject("delay", count=16, seconds=2)
        calls = [
            {"to": f"86138001{i:05d}", "type": "SignIn", "payload": {"code": "123456"}}
            for i in range(16)
        ]
        results: list[dict[str, Any]] = []
        sender = threading.Thread(
            target=lambda: results.extend(logto_send(gateway.url, calls, f"Bearer {TOKEN}"))
        )
        sender.start()
        assert wait_until(lambda: emulator.stats()["requests"] == 16, timeout=20)
        status = gateway.stop(signal.SIGTERM)
        sender.join(60)
    finally:
        gateway.close()
    assert status == 0
    assert [r["ok"] for r in results] == [True] * 16
    numbers = sorted(m["phoneNumber"] for m in emulator.outbox())
    assert numbers == sorted(f"+{c['to']}" for c in calls)  # every one, none twice
    assert emulator.stats()["requests"] == 16
