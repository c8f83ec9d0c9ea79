"""The ``logto-connector`` command line, run as a user runs it (a real process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from connector.emulator import DEMO_SECRET_KEY, Emulator
from tests.cli_process import ROOT, run_cli

run = run_cli


def assert_clean_error(proc: subprocess.CompletedProcess[str], status: int) -> None:
    assert proc.returncode == status, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def send_args(config: Path) -> list[str]:
    """The issue's example: a SignIn code to a mainland number, as JSON."""
    return [
        "send",
        "tencent-short-message-service",
        "--config",
        str(config),
        "--to",
        "8613800138000",
        "--type",
        "SignIn",
        "--code",
        "123456",
        "--json",
    ]


@pytest.fixture
def config_file(tmp_path: Path, emulator: Emulator) -> Path:
    return emulator.write_config(tmp_path / "config.json")


def test_list_shows_the_installed_connector() -> None:
    proc = run("list")
    assert proc.returncode == 0
    assert "tencent-short-message-service  Tencent Short Message Service" in proc.stdout


def test_list_and_show_report_a_second_connector() -> None:
    proc = run("--plugin", "tests.echo_connector:connector", "list", "--json")
    assert proc.returncode == 0
    ids = [row["id"] for row in json.loads(proc.stdout)]
    assert ids == ["echo-sms", "tencent-short-message-service"]
    proc = run("--plugin", "tests.echo_connector:connector", "show", "echo-sms")
    assert proc.returncode == 0 and "Echo SMS (tests)" in proc.stdout


def test_show_json_resolves_logo_and_readme() -> None:
    meta = json.loads(run("show", "tencent-sms", "--json").stdout)
    assert meta["logo"].startswith("data:image/svg+xml;base64,")
    assert "{1}" in meta["readme"]


def test_schema_prints_the_config_schema() -> None:
    schema = json.loads(run("schema", "tencent-short-message-service").stdout)
    assert schema["properties"]["accessKeySecret"]["writeOnly"] is True


def test_unknown_connector_is_exit_2() -> None:
    proc = run("schema", "nope")
    assert_clean_error(proc, 2)
    assert "no connector with id 'nope'" in proc.stderr


def assert_usage_error(proc: subprocess.CompletedProcess[str], command: str = "") -> None:
    """Exit 2, the (sub)command's usage, then one error line: no Logto code, no traceback."""
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.strip().splitlines()
    assert lines[0].startswith(f"usage: logto-connector{command} "), proc.stderr
    assert lines[-1].startswith("logto-connector: error: "), proc.stderr
    assert "general" not in proc.stderr


@pytest.mark.parametrize(
    ("args", "command"),
    [
        ([], ""),
        (["bogus"], ""),
        (["send"], " send"),
        (["validate", "tencent-sms"], " validate"),
        (["list", "--nope"], ""),
    ],
)
def test_bad_flags_print_usage_and_exit_2(args: list[str], command: str) -> None:
    assert_usage_error(run(*args), command)


@pytest.mark.parametrize("abbreviation", ["--js", "--jso"])
def test_flags_are_never_abbreviated(abbreviation: str) -> None:
    # An abbreviation that worked on success would print plain text on failure.
    proc = run("schema", "nope", abbreviation)
    assert_usage_error(proc)
    assert "unrecognized arguments: " + abbreviation in proc.stderr


def _cli_writing_to(stdout: int, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", *args],
        stdout=stdout,
        stderr=subprocess.PIPE,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        text=True,
        timeout=60,
        check=False,
    )


def test_a_closed_pipe_ends_the_command_quietly() -> None:
    # As `logto-connector schema tencent-sms | head -1` once `head` has gone.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = _cli_writing_to(write_end, "schema", "tencent-sms")
    finally:
        os.close(write_end)
    assert proc.returncode == 141  # what a shell shows for a command ended by SIGPIPE
    assert proc.stderr == ""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("args", [["list", "--json"], ["schema", "nope", "--json"]])
def test_a_full_disk_is_one_line_without_a_traceback(args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        proc = _cli_writing_to(full.fileno(), *args)
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "logto-connector: error: cannot write the output: No space left on device"
    ]


def test_plugin_is_accepted_after_the_subcommand() -> None:
    proc = run("list", "--plugin", "tests.echo_connector:connector", "--json")
    assert proc.returncode == 0, proc.stderr
    assert next(row["id"] for row in json.loads(proc.stdout)) == "echo-sms"


def test_plugin_finds_a_module_in_the_current_directory(tmp_path: Path) -> None:
    (tmp_path / "my_sms.py").write_text(
        "from tests.echo_connector import EchoConnector\nconnector = EchoConnector()\n"
    )
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "logto-connector"), "--plugin", "my_sms:connector",
         "list"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
        timeout=60,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "echo-sms" in proc.stdout


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("tests.echo_connector", "give MODULE:OBJECT"),
        ("no_such_module_anywhere:connector", "cannot import 'no_such_module_anywhere'"),
        ("tests.echo_connector:nothing", "'tests.echo_connector' has no 'nothing'"),
    ],
)
def test_a_plugin_that_cannot_be_loaded_is_a_clear_usage_error(spec: str, says: str) -> None:
    proc = run("--plugin", spec, "list")
    assert_clean_error(proc, 2)
    assert says in proc.stderr
    assert "metadata" not in proc.stderr


def test_help_describes_every_argument() -> None:
    for command in ("show", "validate", "send", "list", "emulator"):
        text = run(command, "--help").stdout
        assert "connector id or target" in text or command in ("list", "emulator"), command
        if command != "emulator":
            assert "print the result as JSON" in text or command == "show", command
    assert "every interface" in run("emulator", "--help").stdout


def test_debug_prints_the_hidden_traceback(tmp_path: Path) -> None:
    # A connector bug the host cannot see (a result whose detail is not a mapping) reaches
    # the command line's last line of defence.
    (tmp_path / "buggy_sms.py").write_text(
        "from connector.kit import SendResult, hookimpl\n"
        "from tests.echo_connector import EchoConnector\n"
        "class Buggy(EchoConnector):\n"
        "    @hookimpl\n"
        "    def send_message(self, to, type, payload, config):\n"
        "        return SendResult(connector_id='echo-sms', to=to, detail=5)\n"
        "connector = Buggy()\n"
    )
    (tmp_path / "echo.json").write_text('{"prefix": "Code:"}')
    args = ["--plugin", "buggy_sms:connector", "send", "echo-sms", "--to", "+14155552671"]
    args += ["--config", str(tmp_path / "echo.json")]
    env = {"PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"}
    quiet = run(*args, env=env)
    assert_clean_error(quiet, 1)
    assert "unexpected TypeError (run with --debug" in quiet.stderr
    for loud in (
        run(*args, "--debug", env=env),
        run(*args, env={**env, "LOGTO_CONNECTOR_DEBUG": "1"}),
    ):
        assert loud.returncode == 1
        assert "Traceback (most recent call last)" in loud.stderr
        assert "TypeError" in loud.stderr


def test_unreadable_config_is_exit_2(tmp_path: Path) -> None:
    proc = run("validate", "tencent-sms", str(tmp_path / "missing.json"))
    assert_clean_error(proc, 2)
    assert "cannot read config" in proc.stderr


def test_validate_lists_every_problem(tmp_path: Path, logto_config: dict[str, Any]) -> None:
    logto_config.update(signName="", region="ap-guangzhou ")
    path = tmp_path / "c.json"
    path.write_text(json.dumps(logto_config))
    proc = run("validate", "tencent-sms", str(path))
    assert proc.returncode == 1
    assert "signName: must not be empty" in proc.stdout
    assert "region: has leading or trailing whitespace" in proc.stdout
    assert proc.stderr.strip().endswith("config has 2 problems (listed above)")

    proc = run("validate", "tencent-sms", str(path), "--json")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)  # the shape of every --json failure
    assert (doc["ok"], doc["code"]) == (False, "invalid_config")
    assert doc["message"].startswith("config is invalid (2 problems)")
    assert {p["path"] for p in doc["data"]["problems"]} == {"signName", "region"}


def test_validate_accepts_a_config_with_warnings_and_says_them_on_stderr(
    tmp_path: Path, logto_config: dict[str, Any]
) -> None:
    # Logto's form default: placeholders left in the types the admin does not use.
    logto_config["templates"].append(
        {"usageType": "MfaVerification", "templateCode": "<template-code>"}
    )
    logto_config["templates"].append({"usageType": "SignIn", "templateCode": "1234599"})
    path = tmp_path / "c.json"
    path.write_text(json.dumps(logto_config))
    proc = run("validate", "tencent-sms", str(path))
    assert proc.returncode == 0, proc.stderr
    assert "config is valid" in proc.stdout
    warnings = proc.stderr.strip().splitlines()
    assert warnings[0].startswith("logto-connector: warning: templates[4].templateCode: ")
    assert "MfaVerification counts as unset" in warnings[0]
    assert warnings[1].startswith("logto-connector: warning: templates[5].usageType: ")
    assert len(warnings) == 2

    proc = run("validate", "tencent-sms", str(path), "--json")
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    assert doc["ok"] is True and doc["problems"] == []
    assert [(w["path"], w["severity"]) for w in doc["warnings"]] == [
        ("templates[4].templateCode", "warning"),
        ("templates[5].usageType", "warning"),
    ]


def test_a_secret_pasted_as_a_key_is_never_quoted_back(
    tmp_path: Path, logto_config: dict[str, Any]
) -> None:
    secret = "Zq8sL2vN4xT6wY1bC3dF5gH7jK9mP0rS"  # 32 characters, as Tencent's SecretKey
    logto_config[secret] = "accessKeySecret"
    logto_config["templates"][0][secret] = "x"
    logto_config["international"] = {secret: "y", "templates": logto_config["templates"]}
    path = tmp_path / "c.json"
    path.write_text(json.dumps(logto_config))
    for args in ([], ["--json"]):
        proc = run("validate", "tencent-sms", str(path), *args)
        assert proc.returncode == 0, proc.stderr
        assert "32 characters" in proc.stdout + proc.stderr
        assert secret[:8] not in proc.stdout + proc.stderr
    logto_config.pop("signName")  # refused: the warnings travel in the error's data
    path.write_text(json.dumps(logto_config))
    proc = run("validate", "tencent-sms", str(path), "--json")
    assert proc.returncode == 1
    assert secret[:8] not in proc.stdout + proc.stderr


def test_usage_errors_honour_json() -> None:
    proc = run("send", "tencent-sms", "--config", "x.json", "--json")  # no --to
    assert proc.returncode == 2
    doc = json.loads(proc.stdout)
    assert doc["ok"] is False and "--to" in doc["message"]
    assert doc["code"] == "usage"  # wrong usage, not one of Logto's error codes


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_emulator_port_out_of_range_is_usage(port: str) -> None:
    assert_usage_error(run("emulator", "--port", port), " emulator")


def test_config_with_a_byte_order_mark_is_read(
    tmp_path: Path, logto_config: dict[str, Any]
) -> None:
    path = tmp_path / "c.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(logto_config).encode())
    assert run("validate", "tencent-sms", str(path)).returncode == 0


def test_validate_reads_stdin(logto_config: dict[str, Any]) -> None:
    proc = run("validate", "tencent-sms", "-", stdin=json.dumps(logto_config).encode())
    assert proc.returncode == 0 and "config is valid" in proc.stdout


def test_config_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{"accessKeyId": ')
    proc = run("validate", "tencent-sms", str(path))
    assert_clean_error(proc, 1)
    assert "config is not valid JSON" in proc.stderr


def test_send_json_prints_the_result(config_file: Path, emulator: Emulator) -> None:
    proc = run(*send_args(config_file))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["ok"] is True
    assert (doc["to"], doc["route"], doc["fee"], doc["isoCode"]) == (
        "+86138****8000",
        "mainland",
        1,
        "CN",
    )
    [message] = emulator.outbox()
    assert (doc["requestId"], doc["serialNo"]) == (message["requestId"], message["serialNo"])
    assert "123456" in message["text"]


def test_send_with_wrong_secret_exits_1_with_tencents_code(
    tmp_path: Path, emulator: Emulator
) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps(emulator.connector_config(accessKeySecret="not-the-secret")))
    proc = run(*send_args(path))
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["ok"] is False and doc["code"] == "invalid_config"
    assert doc["data"]["tencentCode"] == "AuthFailure.SignatureFailure"
    assert doc["data"]["requestId"]
    assert "not-the-secret" not in proc.stdout + proc.stderr


def test_send_human_output_never_shows_the_secret(config_file: Path) -> None:
    proc = run("send", "tencent-sms", "--config", str(config_file), "--to", "+14155552671")
    assert proc.returncode == 0, proc.stderr
    assert "route international" in proc.stdout
    assert DEMO_SECRET_KEY not in proc.stdout + proc.stderr
    # Neither the whole number nor the code reaches the screen.
    assert "14155552671" not in proc.stdout + proc.stderr
    assert "code" not in proc.stdout


def test_send_through_a_connector_without_provider_detail_prints_no_none(
    tmp_path: Path,
) -> None:
    config = tmp_path / "echo.json"
    config.write_text('{"prefix": "Code:"}')
    proc = run(
        "--plugin", "tests.echo_connector:connector",
        "send", "echo-sms", "--config", str(config), "--to", "+14155552671", "--code", "123456",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "sent Generic to +141****2671"


def test_invalid_utf8_argument_is_a_clean_error() -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "connector.cli", "show", b"\xff\xfe-bad"],
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2
    assert b"Traceback" not in proc.stderr
