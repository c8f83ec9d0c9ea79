"""What must never leak, and what is never trusted blindly: secrets, logs, the endpoint, TLS.

Recognisable secrets (the emulator's demo key for the sends that work, sentinels for the rest)
go through valid sends, failed sends and failed validations while every logger records at
DEBUG; then every log record, exception, ``to_dict()``, command-line output and emulator
page is searched for them.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socketserver
import threading
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from connector.emulator import DEMO_SECRET_KEY, Emulator
from connector.kit import ConnectorError, ConnectorHost, ErrorCode, SendResult
from connector.tencent_sms import CONNECTOR_ID, TencentSmsConnector
from connector.tencent_sms.client import SendSmsClient
from connector.tencent_sms.settings import read_settings
from tests.cli_process import run_cli

MAINLAND = "+8613800138000"
MASKED = "+86138****8000"
CODE = "908172"
WRONG_SECRET = "S3CRET-sentinel-wrong-6d1f0c"
BAD_SECRET = "S3CRET-sentinel-invalid-93ab2e"
SECRETS = (DEMO_SECRET_KEY, WRONG_SECRET, BAD_SECRET)
FAST = {"connectTimeout": 0.3, "readTimeout": 0.3, "sendTimeout": 0.6}


def leaks(text: str) -> list[str]:
    """The secrets that appear in ``text``."""
    return [secret for secret in SECRETS if secret in text]


def exception_texts(exc: BaseException) -> Iterator[str]:
    """str and repr of an exception and of every exception chained to it, with its data."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield str(current)
        yield repr(current)
        yield repr(current.args)
        if isinstance(current, ConnectorError):
            yield json.dumps(current.to_dict(), default=repr)
            yield repr(current.data)
        current = current.__cause__ or current.__context__


def record_texts(records: list[logging.LogRecord]) -> Iterator[str]:
    """Everything a log handler could write for each record."""
    formatter = logging.Formatter()
    for record in records:
        yield record.getMessage()
        yield repr(record.msg)
        yield repr(record.args)
        yield formatter.format(record)  # includes a formatted traceback, if any
        if record.exc_info and record.exc_info[1] is not None:
            yield from exception_texts(record.exc_info[1])


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as reply:  # loopback emulator only
        return str(reply.read().decode("utf-8"))


def send(
    host: ConnectorHost, config: object, to: str = MAINLAND, code: str = CODE
) -> SendResult | ConnectorError:
    try:
        return host.send_message(CONNECTOR_ID, config, to=to, type="SignIn", payload={"code": code})
    except ConnectorError as exc:
        return exc


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# -- secrets ---------------------------------------------------------------------------------


def test_no_secret_in_logs_errors_results_or_pages(
    host: ConnectorHost,
    tencent: TencentSmsConnector,
    emulator: Emulator,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    good = emulator.connector_config(**FAST)
    outcomes: list[SendResult | ConnectorError] = []

    # Sends that work, and sends that fail in every way the network allows.
    outcomes.append(send(host, good))
    emulator.inject("error", 2, code="RequestLimitExceeded")
    outcomes.append(send(host, good, to="+8613800138001"))
    faults: list[tuple[str, dict[str, Any]]] = [
        ("status", {"status": 500}),
        ("drop", {}),
        ("malformed", {}),
        ("error", {"code": "InternalError.Timeout"}),
        ("delay", {"seconds": 0.5}),
    ]
    for kind, params in faults:
        emulator.inject(kind, **params)
        outcomes.append(send(host, good, to="+8613800138002"))
    outcomes.append(send(host, dict(good, accessKeySecret=WRONG_SECRET)))
    outcomes.append(
        send(
            host,
            dict(good, accessKeySecret=WRONG_SECRET, endpoint=f"http://127.0.0.1:{_free_port()}"),
        )
    )
    outcomes.append(
        send(
            host,
            dict(
                good,
                accessKeySecret=WRONG_SECRET,
                caBundle=__file__,
                endpoint="https://127.0.0.1:1",
            ),
        )
    )
    # Requests that are refused before any network.
    outcomes.append(send(host, dict(good, accessKeySecret=WRONG_SECRET), to="+1 202"))
    outcomes.append(send(host, dict(good, accessKeySecret=WRONG_SECRET), code="<script>"))

    # Configs that fail validation, with the secret where an admin might paste it.
    bad_configs: list[Any] = [
        dict(good, accessKeySecret=BAD_SECRET + " "),  # trailing space
        dict(good, accessKeySecret=" " + BAD_SECRET),  # leading space
        dict(good, accessKeySecret=BAD_SECRET + "\n"),  # a line break
        dict(good, accessKeySecret=BAD_SECRET * 10),  # too long
        dict(good, accessKeySecret=[BAD_SECRET]),  # wrong type
        dict(good, accessKeySecret={"value": BAD_SECRET}),
        dict(good, accessKeySecret=BAD_SECRET, region="nowhere"),
        dict(good, accessKeySecret=BAD_SECRET, endpoint="https://user:x@evil.example"),
        {"accessKeySecret": BAD_SECRET},  # nothing else
        {"accessKeySecret ": BAD_SECRET, "accessKeyId": "AKID"},  # key with a space
        {"AccessKeySecret": BAD_SECRET},  # wrong case
    ]
    for config in bad_configs:
        outcomes.append(send(host, config))
        assert host.config_problems(CONNECTOR_ID, config), config

    errors = [o for o in outcomes if isinstance(o, ConnectorError)]
    results = [o for o in outcomes if isinstance(o, SendResult)]
    assert len(results) == 2
    assert len(errors) == len(outcomes) - 2
    assert any(e.data.get("tencentCode") == "AuthFailure.SignatureFailure" for e in errors)

    texts: list[str] = []
    for error in errors:
        texts.extend(exception_texts(error))
    for result in results:
        texts += [repr(result), json.dumps(result.to_dict())]
    settings = read_settings(good)
    client = SendSmsClient(settings)
    texts += [repr(settings), str(settings), repr(client), repr(tencent), repr(host)]
    client.close()
    texts.extend(record_texts(caplog.records))
    texts.append(caplog.text)
    # What the emulator shows: its page, its outbox, its counters and pending faults.
    for path in ("/", "/__emulator/outbox", "/__emulator/stats", "/__emulator/faults"):
        texts.append(get(emulator.url + path))
    texts.append(json.dumps(emulator.outbox()))

    found = [(secret, text[:200]) for text in texts for secret in leaks(text)]
    assert found == []
    assert len(caplog.records) > 20  # the capture did see the DEBUG detail


def test_no_secret_in_command_line_output(tmp_path: Path) -> None:
    with Emulator(limits=None) as emulator:

        def config_file(name: str, **overrides: Any) -> str:
            path = tmp_path / name
            path.write_text(json.dumps(emulator.connector_config(**FAST, **overrides)))
            return str(path)

        good = config_file("good.json")
        wrong = config_file("wrong.json", accessKeySecret=WRONG_SECRET)
        spaced = config_file("spaced.json", accessKeySecret=BAD_SECRET + " ", region="x")

        def send_args(cfg: str, *flags: str) -> list[str]:
            return [
                "send",
                "tencent-sms",
                "--config",
                cfg,
                "--to",
                MAINLAND,
                "--code",
                CODE,
                *flags,
            ]

        validate = ["validate", "tencent-sms"]
        plan: list[tuple[int, list[str]]] = [
            (0, send_args(good)),
            (0, send_args(good, "--json")),
            (1, send_args(wrong)),
            (1, send_args(wrong, "--json")),
            (1, send_args(spaced)),
            (0, [*validate, good]),
            (1, [*validate, spaced]),
            (1, [*validate, spaced, "--json"]),
        ]
        with ThreadPoolExecutor(4) as pool:  # most of the time is Python starting up
            procs = list(pool.map(lambda args: run_cli(*args), [args for _, args in plan]))
        runs = [(status, proc) for (status, _), proc in zip(plan, procs, strict=True)]
        assert emulator.stats() == {"requests": 4, "delivered": 2}
    for status, proc in runs:
        assert proc.returncode == status, (proc.args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stdout + proc.stderr
        assert leaks(proc.stdout + proc.stderr) == [], proc.args
    # The refusals said why, without the value.
    assert "accessKeySecret: has leading or trailing whitespace" in runs[-2][1].stdout


# -- logging ---------------------------------------------------------------------------------


def send_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name == "connector.tencent_sms" and r.levelno == logging.INFO
    ]


def test_one_info_line_per_send_with_a_masked_number(
    host: ConnectorHost, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="connector")
    result = send(host, emulator.connector_config(**FAST))
    assert isinstance(result, SendResult)
    [line] = send_lines(caplog)
    message = line.getMessage()
    for part in (
        f"connector={CONNECTOR_ID}",
        "type=SignIn",
        f"to={MASKED}",
        "route=mainland",
        f"request_id={result.request_id}",
        "duration_ms=",
        "outcome=delivered",
    ):
        assert part in message, message

    caplog.clear()
    emulator.inject("error", code="LimitExceeded.PhoneNumberDailyLimit")
    failed = send(host, emulator.connector_config(**FAST))
    assert isinstance(failed, ConnectorError)
    [line] = send_lines(caplog)
    message = line.getMessage()
    assert "outcome=error:LimitExceeded.PhoneNumberDailyLimit" in message
    assert f"request_id={failed.data['requestId']}" in message
    assert f"to={MASKED}" in message


def test_numbers_and_codes_stay_out_of_logs_at_every_level(
    host: ConnectorHost, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    config = emulator.connector_config(**FAST)
    assert isinstance(send(host, config), SendResult)
    emulator.inject("error", code="RequestLimitExceeded")
    emulator.inject("status", status=502)
    assert isinstance(send(host, config, to="+8613800138009"), ConnectorError)
    assert isinstance(send(host, config, to="+14155552671"), SendResult)

    texts = list(record_texts(caplog.records))
    assert any("retrying" in t for t in texts)  # the DEBUG detail is there
    for text in texts:
        assert CODE not in text
        assert "8613800138000" not in text and "13800138000" not in text
        assert "4155552671" not in text
    info = [r.getMessage() for r in send_lines(caplog)]
    assert len(info) == 3
    assert any(MASKED in m for m in info)
    assert any("to=+141****2671 route=international" in m for m in info)


def test_the_library_prints_nothing(
    host: ConnectorHost, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    config = emulator.connector_config(**FAST)
    assert isinstance(send(host, config), SendResult)
    emulator.inject("drop")
    assert isinstance(send(host, config, to="+8613800138001"), ConnectorError)
    assert isinstance(send(host, dict(config, region="bad region")), ConnectorError)
    assert isinstance(
        send(host, dict(config, endpoint=f"http://127.0.0.1:{_free_port()}")), ConnectorError
    )
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "")


# -- the endpoint ----------------------------------------------------------------------------

REFUSED_ENDPOINTS = [
    "http://sms.tencentcloudapi.com",  # http to a remote host
    "http://10.0.0.5:8080",  # private, but not loopback
    "http://localhost.evil.example",  # looks like loopback, is not
    "http://127.0.0.1.nip.io",
    "http://2130706433",  # 127.0.0.1 as one number
    "https://user@sms.tencentcloudapi.com",  # user info
    "https://user:pass@sms.tencentcloudapi.com",
    "https://sms.tencentcloudapi.com@evil.example",
    "https://sms.tencentcloudapi.com/path",  # path
    "https://sms.tencentcloudapi.com/?x=1",  # query
    "https://sms.tencentcloudapi.com?x=1",
    "https://sms.tencentcloudapi.com#frag",  # fragment
    "https://sms.tencentcloudapi.com:0",
    "https://sms.tencentcloudapi.com:99999",
    "https://sms.tencentcloudapi.com:port",
    "https://",
    "https:///",
    "ftp://sms.tencentcloudapi.com",
    "sms.tencentcloudapi.com",
    "//sms.tencentcloudapi.com",
    "https://sms.tencentcloudapi.com\\@evil.example",
    "https://[::1",
    " https://sms.tencentcloudapi.com",
    "https://sms.tencentcloudapi.com\n",
    "",
]
ACCEPTED_ENDPOINTS = [
    "https://sms.tencentcloudapi.com",
    "https://sms.tencentcloudapi.com/",
    "https://sms.ap-guangzhou.tencentcloudapi.com:443",
    "https://10.0.0.5:8443",
    "http://127.0.0.1:8080",
    "http://127.8.9.10:1",
    "http://localhost:8080",
    "http://[::1]:8080",
]


@pytest.mark.parametrize("endpoint", REFUSED_ENDPOINTS)
def test_unsafe_endpoints_are_refused(
    endpoint: str, host: ConnectorHost, logto_config: dict[str, Any]
) -> None:
    logto_config["endpoint"] = endpoint
    with pytest.raises(ConnectorError) as info:
        host.validate_config(CONNECTOR_ID, logto_config)
    assert info.value.code is ErrorCode.INVALID_CONFIG
    assert [p["path"] for p in info.value.data["problems"]] == ["endpoint"]
    assert "endpoint: " in info.value.message


@pytest.mark.parametrize("endpoint", ACCEPTED_ENDPOINTS)
def test_safe_endpoints_are_accepted(
    endpoint: str, host: ConnectorHost, logto_config: dict[str, Any]
) -> None:
    logto_config["endpoint"] = endpoint
    assert host.config_problems(CONNECTOR_ID, logto_config) == []


@pytest.mark.parametrize(
    "region",
    [
        "ap-guangzhou.evil.example",
        "x/../",
        "ap-guangzhou/",
        "ap-guangzhou:443",
        "ap-guangzhou@evil.example",
        "evil.example#ap-guangzhou",
        "AP-GUANGZHOU",
        "ap-guangzhou\n",
        "ap-guangzhou ",
        "ap-guangzhou\r\nHost: evil.example",
        "ap-guangzhou?x",
        "",
        "ap",
    ],
)
def test_a_region_cannot_reach_the_host(
    region: str, host: ConnectorHost, emulator: Emulator
) -> None:
    result = send(host, emulator.connector_config(region=region))
    assert isinstance(result, ConnectorError)
    assert result.code is ErrorCode.INVALID_CONFIG
    assert [p["path"] for p in result.data["problems"]] == ["region"]
    assert emulator.stats()["requests"] == 0


def test_the_region_goes_only_into_a_header(host: ConnectorHost, emulator: Emulator) -> None:
    # A real region other than the default: sent to the configured endpoint, delivered.
    assert isinstance(send(host, emulator.connector_config(region="ap-singapore")), SendResult)
    # A weird region the schema allows: it still went to the endpoint (this emulator), which
    # answered that it does not serve that region.
    refused = send(host, emulator.connector_config(region="zz-nowhere-land-9"))
    assert isinstance(refused, ConnectorError)
    assert refused.data["tencentCode"] == "UnsupportedRegion"
    assert emulator.stats() == {"requests": 2, "delivered": 1}


# -- TLS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_emulators() -> Iterator[tuple[Emulator, Emulator]]:
    with Emulator(tls=True) as first, Emulator(tls=True) as second:
        yield first, second


def test_tls_emulator_with_its_ca_delivers(
    host: ConnectorHost, tls_emulators: tuple[Emulator, Emulator]
) -> None:
    emulator, _ = tls_emulators
    config = emulator.connector_config(**FAST)
    assert config["endpoint"].startswith("https://") and config["caBundle"]
    result = send(host, config, to="+8613800138011")
    assert isinstance(result, SendResult)
    assert any(m["requestId"] == result.request_id for m in emulator.outbox())


@pytest.mark.parametrize("ca", ["other emulator's CA", "system trust store", "not a PEM file"])
def test_tls_with_the_wrong_ca_fails_closed(
    ca: str, host: ConnectorHost, tls_emulators: tuple[Emulator, Emulator]
) -> None:
    emulator, other = tls_emulators
    config = emulator.connector_config(**FAST)
    if ca == "other emulator's CA":
        config["caBundle"] = other.ca_bundle
    elif ca == "system trust store":
        del config["caBundle"]
    else:
        config["caBundle"] = __file__
    before = emulator.stats()
    result = send(host, config, to="+8613800138012")
    assert isinstance(result, ConnectorError)
    assert result.code is ErrorCode.INVALID_CONFIG
    assert "TLS" in result.message and "nothing was sent" in result.message
    assert result.data["delivery"] == "not_sent"
    assert result.data["attempts"] == 1  # another attempt cannot fix a certificate
    assert emulator.stats() == before  # not one request got through
    assert not any(m["phoneNumber"] == "+8613800138012" for m in emulator.outbox())


@pytest.mark.parametrize("key", ["verify", "insecure", "tlsVerify", "rejectUnauthorized"])
def test_verification_cannot_be_switched_off(
    key: str, host: ConnectorHost, logto_config: dict[str, Any]
) -> None:
    # Logto drops keys it does not know; so do we, with a warning: verification stays on.
    logto_config[key] = False
    report = host.check_config(CONNECTOR_ID, logto_config)
    assert report.errors == ()
    assert [p.path for p in report.warnings] == [key]
    assert "unknown key" in report.warnings[0].message
    assert "ignored" in report.warnings[0].message


def test_a_missing_ca_bundle_is_a_config_problem(
    host: ConnectorHost, logto_config: dict[str, Any], tmp_path: Path
) -> None:
    logto_config["caBundle"] = str(tmp_path / "no-such.pem")
    problems = host.config_problems(CONNECTOR_ID, logto_config)
    assert [p.path for p in problems] == ["caBundle"]


class _RecordingProxy(socketserver.ThreadingTCPServer):
    """A would-be proxy on loopback: it keeps what it is sent and answers nothing."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        self.received: list[bytes] = []
        super().__init__(("127.0.0.1", 0), _ProxyHandler)


class _ProxyHandler(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        assert isinstance(self.server, _RecordingProxy)
        self.request.settimeout(1)
        with contextlib.suppress(OSError):
            self.server.received.append(self.request.recv(65536))


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_a_loopback_endpoint_is_never_proxied(
    variable: str, host: ConnectorHost, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Through a plain-http proxy the number, the code and the signature would leave the machine.
    proxy = _RecordingProxy()
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv(variable, f"http://127.0.0.1:{proxy.server_address[1]}")
        result = send(host, emulator.connector_config(**FAST))
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert isinstance(result, SendResult), result
    assert proxy.received == []
    assert emulator.outbox()[0]["requestId"] == result.request_id
