"""``logto-connector serve`` as a real process, called by Logto's real HTTP SMS connector."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connector.emulator import DEMO_SECRET_KEY, Emulator
from tests.cli_process import run_cli
from tests.gateway_process import TOKEN, Gateway, get_json, logto_send, post, wait_until

BEARER = f"Bearer {TOKEN}"
JSON = {"Content-Type": "application/json"}


def write_config(tmp_path: Path, config: dict[str, Any]) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    return path


@pytest.fixture
def gateway(emulator: Emulator, tmp_path: Path) -> Iterator[Gateway]:
    """The gateway serving the emulator's config, with the test token."""
    with Gateway("--config", str(write_config(tmp_path, emulator.connector_config()))) as gw:
        yield gw


def call(to: str, type_: str = "SignIn", code: str = "402449", **more: Any) -> dict[str, Any]:
    return {"to": to, "type": type_, "payload": {"code": code}, **more}


def error_body(result: dict[str, Any]) -> dict[str, Any]:
    """What Logto's connector carried over from the gateway's failure answer."""
    assert result["ok"] is False
    assert result["code"] == "general"  # the HTTP SMS connector turns every failure into this
    body: dict[str, Any] = json.loads(result["data"]["message"])
    return body


def test_logto_sends_through_the_gateway_to_the_outbox(
    gateway: Gateway, emulator: Emulator
) -> None:
    results = logto_send(
        gateway.url,
        [
            call("8613800138000", ip="203.0.113.7"),  # as Logto keeps numbers: no "+"
            call("+14155552671", "MfaVerification", "094223"),
        ],
        BEARER,
    )
    assert [r["ok"] for r in results] == [True, True]
    sent = {m["phoneNumber"]: m for m in emulator.outbox()}
    assert set(sent) == {"+8613800138000", "+14155552671"}
    assert "402449" in sent["+8613800138000"]["content"]
    assert "094223" in sent["+14155552671"]["content"]


def test_success_answer_is_small_and_masked(gateway: Gateway, emulator: Emulator) -> None:
    body = json.dumps(call("8613800138001")).encode()
    status, headers, raw = post(gateway.url, body, {**JSON, "Authorization": BEARER})
    assert status == 200
    answer = json.loads(raw)
    assert answer == {
        "ok": True,
        "requestId": answer["requestId"],
        "to": "+86138****8001",
        "route": "mainland",
    }
    assert answer["requestId"]
    assert b"13800138001" not in raw
    # with a charset too
    body = json.dumps(call("+85291234567")).encode()
    headers = {"Content-Type": "application/json; charset=utf-8", "Authorization": BEARER}
    status, _, raw = post(gateway.url, body, headers)
    assert status == 200 and json.loads(raw)["route"] == "international"


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", TOKEN, "Basic abc"])
def test_wrong_or_missing_token_is_refused(
    gateway: Gateway, emulator: Emulator, authorization: str | None
) -> None:
    [result] = logto_send(gateway.url, [call("8613800138002")], authorization)
    body = error_body(result)
    assert body["ok"] is False and body["code"] == "authorization_failed"
    headers = {**JSON, **({"Authorization": authorization} if authorization else {})}
    status, answer_headers, _ = post(
        gateway.url, json.dumps(call("8613800138002")).encode(), headers
    )
    assert status == 401
    assert answer_headers["www-authenticate"].startswith("Bearer")
    assert emulator.stats()["requests"] == 0


def test_bad_number_is_400_without_the_number(gateway: Gateway, emulator: Emulator) -> None:
    [result] = logto_send(gateway.url, [call("99912345")], BEARER)
    body = error_body(result)
    assert body["code"] == "invalid_request_parameters"
    assert "99912345" not in result["data"]["message"]
    status, _, raw = post(
        gateway.url, json.dumps(call("99912345")).encode(), {**JSON, "Authorization": BEARER}
    )
    assert status == 400 and b"99912345" not in raw
    assert emulator.stats()["requests"] == 0


def test_tencent_auth_failure_reaches_logto_as_invalid_config(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = emulator.connector_config(accessKeySecret="not-the-secret-key")
    with Gateway("--config", str(write_config(tmp_path, config))) as gw:
        [result] = logto_send(gw.url, [call("8613800138003")], BEARER)
        status, _, raw = post(
            gw.url, json.dumps(call("8613800138003")).encode(), {**JSON, "Authorization": BEARER}
        )
    body = error_body(result)
    assert body["code"] == "invalid_config"
    assert body["data"]["tencentCode"].startswith("AuthFailure")
    assert status == 400
    assert b"not-the-secret-key" not in raw and DEMO_SECRET_KEY.encode() not in raw
    assert "\n" not in raw.decode().strip()  # one line


def test_tencent_rate_limit_is_429(gateway: Gateway, emulator: Emulator) -> None:
    # The emulator applies Tencent's per-number limits: one number twice within 30 s.
    first, second = (logto_send(gateway.url, [call("8613800138004")], BEARER)[0] for _ in "12")
    assert first["ok"] is True
    assert error_body(second)["code"] == "rate_limit_exceeded"
    status, _, raw = post(
        gateway.url, json.dumps(call("8613800138004")).encode(), {**JSON, "Authorization": BEARER}
    )
    assert status == 429
    assert json.loads(raw)["data"]["tencentCode"].startswith("LimitExceeded")
    assert len(emulator.outbox()) == 1


def test_answers_within_the_deadline_when_tencent_stalls(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = emulator.connector_config(sendTimeout=2)
    with Gateway("--config", str(write_config(tmp_path, config))) as gw:
        emulator.inject("delay", seconds=6)
        [result] = logto_send(gw.url, [call("8613800138005")], BEARER)
        assert result["ms"] < 3000  # the deadline (2 s) plus one second
        body = error_body(result)
        assert body["data"]["delivery"] == "unknown"
        time.sleep(4.5)  # past the emulator's delay: still only the one request
        assert emulator.stats()["requests"] == 1


def test_health_readiness_and_metrics(gateway: Gateway, emulator: Emulator) -> None:
    logto_send(gateway.url, [call("8613800138006"), call("12", "Register")], BEARER)
    assert get_json(f"{gateway.base}/healthz") == {"ok": True}
    ready = get_json(f"{gateway.base}/readyz")
    assert ready["ok"] is True and ready["connectorId"] == "tencent-short-message-service"
    from urllib.request import urlopen

    with urlopen(f"{gateway.base}/metrics", timeout=10) as answer:
        text = answer.read().decode()
    assert 'logto_connector_sends_total{outcome="ok",type="SignIn"} 1.0' in text
    assert (
        'logto_connector_sends_total{outcome="invalid_request_parameters",type="Register"} 1.0'
        in text
    )
    assert "logto_connector_send_duration_seconds_bucket" in text
    assert "logto_connector_sends_in_flight 0.0" in text
    assert "13800138006" not in text and "402449" not in text


def test_access_log_has_one_masked_line_per_request(gateway: Gateway, emulator: Emulator) -> None:
    logto_send(gateway.url, [call("8613800138007", ip="203.0.113.9")], BEARER)
    gateway.stop()
    lines = [line for line in gateway.stderr.splitlines() if "POST /logto/sms" in line]
    assert len(lines) == 1
    [line] = lines
    request_id = emulator.outbox()[0]["requestId"]
    pattern = rf"POST /logto/sms 200 [\d.]+ms requestId={request_id} to=\+86138\*\*\*\*8007 "
    assert re.search(pattern, line)
    assert line.endswith("ip=203.0.113.9")
    for secret in ("402449", "13800138007", TOKEN, DEMO_SECRET_KEY):
        assert secret not in gateway.stderr


def test_refuses_to_start_on_an_invalid_config(emulator: Emulator, tmp_path: Path) -> None:
    config = emulator.connector_config()
    del config["signName"]
    path = write_config(tmp_path, config)
    result = run_cli("serve", "--config", str(path), "--port", "0", "--no-auth")
    assert result.returncode == 1
    assert "signName" in result.stderr
    assert "Endpoint" not in result.stdout


def test_refuses_to_start_without_a_token(emulator: Emulator, tmp_path: Path) -> None:
    path = str(write_config(tmp_path, emulator.connector_config()))
    result = run_cli("serve", "--config", path, "--port", "0")
    assert result.returncode == 2 and "LOGTO_CONNECTOR_TOKEN" in result.stderr
    result = run_cli("serve", "--config", path, "--no-auth", "--host", "0.0.0.0", "--port", "0")
    assert result.returncode == 2 and "loopback" in result.stderr
    result = run_cli("serve", "--config", path, "--token-file", str(tmp_path / "missing"))
    assert result.returncode == 2 and "token file" in result.stderr
    result = run_cli("serve", "--config", str(tmp_path / "missing.json"), "--no-auth")
    assert result.returncode == 2 and "cannot read config" in result.stderr


def test_token_file_and_no_auth_on_loopback(emulator: Emulator, tmp_path: Path) -> None:
    path = str(write_config(tmp_path, emulator.connector_config()))
    token_file = tmp_path / "token"
    token_file.write_text("file-token-123\n", encoding="utf-8")
    with Gateway("--config", path, "--token-file", str(token_file), token=None) as gw:
        assert logto_send(gw.url, [call("8613800138008")], "Bearer file-token-123")[0]["ok"]
    with Gateway("--config", path, "--no-auth", token=None) as gw:
        assert logto_send(gw.url, [call("8613800138009")])[0]["ok"]
    assert "without a token" in gw.stderr


def test_a_port_in_use_is_one_line_before_anything_starts() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = run_cli("serve", "--emulator", "--port", port)
    assert result.returncode == 2
    assert f"127.0.0.1:{port} is in use; pass another --port" in result.stderr
    # Neither the emulator nor gunicorn got going: no banner, no retry log, no traceback.
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert "Connection in use" not in result.stderr


def test_emulator_mode_prints_what_to_paste_into_logto() -> None:
    with Gateway("--emulator", token=None) as gw:
        # Printed just after the endpoint: wait for it.
        assert wait_until(lambda: any("Authorization Header:" in line for line in gw.lines))
        header = next(line for line in gw.lines if "Authorization Header:" in line)
        authorization = header.split("Authorization Header:", 1)[1].strip()
        assert authorization.startswith("Bearer ")
        [result] = logto_send(gw.url, [call("8613800138010")], authorization)
        assert result["ok"] is True
        assert logto_send(gw.url, [call("8613800138011")], BEARER)[0]["ok"] is False


def test_config_warnings_are_shown_at_start_and_in_readyz(
    emulator: Emulator, tmp_path: Path
) -> None:
    config = emulator.connector_config(signname="Acme")  # unknown key: a warning, not an error
    with Gateway("--config", str(write_config(tmp_path, config))) as gw:
        ready = get_json(f"{gw.base}/readyz")
        assert logto_send(gw.url, [call("8613800138012")], BEARER)[0]["ok"] is True
    assert [w for w in ready["warnings"] if w.startswith("signname:")]
    assert "warning: signname:" in gw.stderr


def test_serve_without_its_extra_says_what_to_install() -> None:
    # As in an installation without the serve extra: flask cannot be imported.
    code = (
        "import sys; sys.modules['flask'] = None; from connector.cli import main; "
        "sys.exit(main(['serve', '--emulator']))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 2
    assert "pip install '.[serve]'" in proc.stderr and "flask" in proc.stderr
    assert "Traceback" not in proc.stderr
