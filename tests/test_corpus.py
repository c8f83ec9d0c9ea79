"""The bad-input corpus (``tests/corpus/``): every case refused with a sentence, never a crash.

Configs go through ``validate_config`` and ``send_message``, send requests through
``send_message``; then every config and every request the command line can express goes
through ``logto-connector`` in one batch process, and the cases of ``cli.jsonl`` each in a
real process of their own.  Nothing may reach the emulator.  Large values (megabyte strings,
deep nesting, huge arrays) are described in the corpus and made here.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from connector.emulator import Emulator
from connector.kit import ConnectorError, ConnectorHost, ErrorCode
from connector.tencent_sms import CONNECTOR_ID, TencentSmsConnector

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(__file__).resolve().parent / "corpus"
FAST = {"connectTimeout": 0.3, "readTimeout": 0.5, "sendTimeout": 1}
GOOD_REQUEST: dict[str, Any] = {
    "to": "+8613800138000",
    "type": "SignIn",
    "payload": {"code": "123456"},
}
REQUEST_REFUSALS = {ErrorCode.INVALID_REQUEST_PARAMETERS, ErrorCode.INSUFFICIENT_REQUEST_PARAMETERS}
MAX_MESSAGE = 4000  # a refusal is a sentence or a short list, never the input echoed back
MAX_SECONDS = 3.0  # per case, on a slow shared machine: a bad input must not cost a DoS


def load(name: str) -> list[dict[str, Any]]:
    cases = []
    for number, line in enumerate((CORPUS / name).read_text("utf-8").splitlines(), 1):
        if line.strip():
            case = json.loads(line)
            assert isinstance(case.get("why"), str), f"{name}:{number} has no why"
            case["line"] = number
            cases.append(case)
    return cases


CONFIGS = load("configs.jsonl")
CONFIG_WARNINGS = load("config-warnings.jsonl")
REQUESTS = load("requests.jsonl")
CLI_CASES = load("cli.jsonl")


def case_id(case: dict[str, Any]) -> str:
    return f"{case['line']}-{case['why'][:50]}"


# -- building a case -------------------------------------------------------------------------

_PATH = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*|\[\d+\])*")
_PART = re.compile(r"([A-Za-z_]\w*)|\[(\d+)\]")


def path_parts(path: str) -> list[str | int]:
    """``templates[0].usageType`` → ``["templates", 0, "usageType"]``; any other key as is."""
    if not _PATH.fullmatch(path):
        return [path]
    return [name if name else int(index) for name, index in _PART.findall(path)]


def put(doc: Any, path: str, value: Any) -> Any:
    """Set ``path`` in ``doc`` to ``value``; return the document."""
    parts = path_parts(path)
    target = doc
    for part in parts[:-1]:
        target = target[part]
    target[parts[-1]] = value
    return doc


def drop(doc: Any, path: str) -> None:
    parts = path_parts(path)
    target = doc
    for part in parts[:-1]:
        target = target[part]
    del target[parts[-1]]


class Lazy:
    """A value ``json.dumps`` cannot write (nesting 100000 deep, a 5000-digit number): made
    for the Python API by ``value()``, written as JSON text by hand by ``text()``."""

    def __init__(self, kind: str, size: int) -> None:
        self.kind, self.size = kind, size

    def value(self) -> Any:
        if self.kind == "big_int":
            return 10 ** (self.size - 1)
        value: Any = "x"
        for _ in range(self.size):
            value = [value] if self.kind == "nested_array" else {"a": value}
        return value

    def text(self) -> str:
        if self.kind == "big_int":
            return "1" + "0" * (self.size - 1)
        if self.kind == "nested_array":
            return "[" * self.size + '"x"' + "]" * self.size
        return '{"a":' * self.size + '"x"' + "}" * self.size


def generated(spec: dict[str, Any]) -> Any:
    """The large value a ``generate`` descriptor asks for."""
    kind, size = spec["kind"], spec["size"]
    if kind == "string":
        return spec.get("prefix", "") + spec.get("char", "x") * size
    if kind == "key":
        return {spec.get("char", "k") * size: "x"}
    if kind == "keys":
        return {f"k{i}": i for i in range(size)}
    if kind == "array":
        return [copy.deepcopy(spec["item"])] * size
    if kind in ("nested_array", "nested_object", "big_int"):
        return Lazy(kind, size)
    raise AssertionError(f"unknown generate kind {kind}")


def apply_generated(doc: Any, at: str, spec: dict[str, Any]) -> Any:
    """Put the generated value at ``at``; ``key`` and ``keys`` are added to what is there."""
    value = generated(spec)
    if spec["kind"] in ("key", "keys"):
        target = doc
        for part in path_parts(at) if at else []:
            target = target[part]
        target.update(value)
        return doc
    return value if at == "" else put(doc, at, value)


def build_config(case: dict[str, Any], base: dict[str, Any]) -> Any:
    """The config a case describes, large values made here (``Lazy`` ones not yet expanded)."""
    if "config" in case:
        return copy.deepcopy(case["config"])
    config = copy.deepcopy(base)
    for old, new in case.get("rename", {}).items():
        config[new] = config.pop(old)
    for path in case.get("drop", []):
        drop(config, path)
    for path, value in case.get("set", {}).items():
        config = put(config, path, value)
    if "generate" in case:
        config = apply_generated(config, case["generate"]["at"], case["generate"])
    return config


def build_request(case: dict[str, Any]) -> dict[str, Any]:
    request = copy.deepcopy(GOOD_REQUEST)
    for key in ("to", "type", "payload"):
        if key in case:
            request[key] = copy.deepcopy(case[key])
    if "generate" in case:
        request = apply_generated(request, case["generate"]["field"], case["generate"])
    return request


def expand(value: Any) -> Any:
    """``value`` with every ``Lazy`` placeholder made real (for the Python API)."""
    if isinstance(value, Lazy):
        return value.value()
    if isinstance(value, dict):
        return {k: expand(v) for k, v in value.items()}
    if isinstance(value, list) and value and isinstance(value[0], (dict, list, Lazy)):
        return [expand(v) for v in value]
    return value


_HOLE = "\u0000hole\u0000"


def as_json_text(value: Any) -> str:
    """JSON text for ``value``, with each ``Lazy`` placeholder written out by hand."""
    holes: list[str] = []

    def plug(node: Any) -> Any:
        if isinstance(node, Lazy):
            holes.append(node.text())
            return _HOLE
        if isinstance(node, dict):
            return {k: plug(v) for k, v in node.items()}
        if isinstance(node, list) and node and isinstance(node[0], (dict, list, Lazy)):
            return [plug(v) for v in node]
        return node

    text = json.dumps(plug(value), ensure_ascii=True)
    for hole in holes:
        text = text.replace(json.dumps(_HOLE), hole, 1)
    return text


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def corpus_emulator() -> Iterator[Emulator]:
    with Emulator(limits=None) as emulator:
        yield emulator
        # No bad input may ever reach the network.
        assert emulator.stats()["requests"] == 0


@pytest.fixture(scope="module")
def corpus_host() -> Iterator[ConnectorHost]:
    plugin = TencentSmsConnector()
    yield ConnectorHost(plugins=[plugin])
    plugin.close()


@pytest.fixture(scope="module")
def base_config(corpus_emulator: Emulator) -> dict[str, Any]:
    return corpus_emulator.connector_config(**FAST)


def assert_sentence(error: ConnectorError) -> None:
    """A refusal a person can read: one line, short, with no Python internals in it."""
    assert "\n" not in error.message and "\r" not in error.message
    assert len(error.message) < MAX_MESSAGE, error.message[:200]
    assert "Traceback" not in error.message
    assert "unexpected" not in error.message, error.message  # a connector bug, caught late


def refused(call: Any) -> tuple[ConnectorError, float]:
    started = time.monotonic()
    with pytest.raises(ConnectorError) as info:
        call()
    elapsed = time.monotonic() - started
    assert elapsed < MAX_SECONDS, f"took {elapsed:.2f} s"
    assert_sentence(info.value)
    return info.value, elapsed


# -- the Python API --------------------------------------------------------------------------


def test_the_corpus_is_big_enough() -> None:
    assert len(CONFIGS) + len(REQUESTS) >= 150
    assert len(CONFIGS) + len(REQUESTS) + len(CLI_CASES) == len(
        {
            (f, c["why"])
            for f, cases in (("c", CONFIGS), ("r", REQUESTS), ("l", CLI_CASES))
            for c in cases
        }
    ), "two cases share a why"


def test_the_base_config_and_request_are_valid(
    corpus_host: ConnectorHost, base_config: dict[str, Any]
) -> None:
    # Otherwise every case would be refused for the wrong reason.
    corpus_host.validate_config(CONNECTOR_ID, base_config)
    corpus_host.validate_request(**GOOD_REQUEST)


@pytest.mark.parametrize("case", CONFIG_WARNINGS, ids=case_id)
def test_suspicious_config_is_accepted_with_a_warning_at_its_path(
    case: dict[str, Any], corpus_host: ConnectorHost, base_config: dict[str, Any]
) -> None:
    # What Logto accepts and only some sends would notice: usable, with a warning named.
    config = expand(build_config(case, base_config))
    report = corpus_host.check_config(CONNECTOR_ID, config)
    assert report.ok, report.errors
    assert case["warning"] in [p.path for p in report.warnings], report.warnings
    assert all(len(str(p)) < MAX_MESSAGE and "\n" not in str(p) for p in report.warnings)


@pytest.mark.parametrize("case", CONFIGS, ids=case_id)
def test_bad_config_is_refused(
    case: dict[str, Any], corpus_host: ConnectorHost, base_config: dict[str, Any]
) -> None:
    config = expand(build_config(case, base_config))
    error, _ = refused(lambda: corpus_host.validate_config(CONNECTOR_ID, config))
    assert error.code is ErrorCode.INVALID_CONFIG
    paths = [p["path"] for p in error.data["problems"]]
    if "problem" in case:
        assert case["problem"] in paths, (paths, error.message)
    error, _ = refused(lambda: corpus_host.send_message(CONNECTOR_ID, config, **GOOD_REQUEST))
    assert error.code is ErrorCode.INVALID_CONFIG


@pytest.mark.parametrize("case", REQUESTS, ids=case_id)
def test_bad_request_is_refused(
    case: dict[str, Any], corpus_host: ConnectorHost, base_config: dict[str, Any]
) -> None:
    request = expand(build_request(case))
    error, _ = refused(lambda: corpus_host.send_message(CONNECTOR_ID, base_config, **request))
    assert error.code in REQUEST_REFUSALS, error


# Values JSON text cannot hold, which a Python host can still pass.
PYTHON_ONLY_CONFIGS: list[tuple[str, dict[Any, Any]]] = [
    ("NaN timeout", {"sendTimeout": math.nan}),
    ("infinite timeout", {"readTimeout": math.inf}),
    ("negative infinite timeout", {"connectTimeout": -math.inf}),
    ("a tuple of templates", {"templates": ({"usageType": "Generic", "templateCode": "1"},)}),
    ("bytes as the secret", {"accessKeySecret": b"secret"}),
    ("a set as the region", {"region": {"ap-guangzhou"}}),
    ("an integer key", {1: "x"}),
    ("a None key", {None: "x"}),
    ("an object as the sign", {"signName": object()}),
    ("a huge integer timeout", {"sendTimeout": 10**400}),
]


@pytest.mark.parametrize(
    ("why", "change"), PYTHON_ONLY_CONFIGS, ids=[why for why, _ in PYTHON_ONLY_CONFIGS]
)
def test_python_only_config_values_are_refused(
    why: str, change: dict[Any, Any], corpus_host: ConnectorHost, base_config: dict[str, Any]
) -> None:
    config: dict[Any, Any] = {**base_config, **change}
    error, _ = refused(lambda: corpus_host.validate_config(CONNECTOR_ID, config))
    assert error.code is ErrorCode.INVALID_CONFIG


PYTHON_ONLY_REQUESTS: list[tuple[str, dict[str, Any]]] = [
    ("NaN as a template value", {"payload": {"code": "123456", "minutes": math.nan}}),
    ("infinity as a template value", {"payload": {"code": "123456", "minutes": math.inf}}),
    ("a huge integer as a value", {"payload": {"code": "123456", "minutes": 10**400}}),
    ("bytes as the number", {"to": b"+8613800138000"}),
    ("bytes as the code", {"payload": {"code": b"123456"}}),
    ("a tuple as the payload", {"payload": ("code", "123456")}),
    ("an integer payload key", {"payload": {"code": "123456", 1: "x"}}),
    ("an object as the type", {"type": object()}),
]


@pytest.mark.parametrize(
    ("why", "change"), PYTHON_ONLY_REQUESTS, ids=[why for why, _ in PYTHON_ONLY_REQUESTS]
)
def test_python_only_request_values_are_refused(
    why: str, change: dict[str, Any], corpus_host: ConnectorHost, base_config: dict[str, Any]
) -> None:
    request = {**GOOD_REQUEST, **change}
    error, _ = refused(lambda: corpus_host.send_message(CONNECTOR_ID, base_config, **request))
    assert error.code in REQUEST_REFUSALS


# -- the command line ------------------------------------------------------------------------

# Runs many command lines in one interpreter (starting Python ~200 times would be slow):
# each gets fresh stdout and stderr, and anything escaping main() is reported as a traceback.
_BATCH = r"""
import io, json, sys, traceback
from connector import cli

results = []
for argv in json.load(sys.stdin):
    out, err = io.BytesIO(), io.BytesIO()
    sys.stdout = io.TextIOWrapper(out, encoding="utf-8", errors="strict")
    sys.stderr = io.TextIOWrapper(err, encoding="utf-8", errors="strict")
    escaped = None
    try:
        status = cli.main(argv)
    except BaseException:
        status, escaped = None, traceback.format_exc()
    sys.stdout.flush(); sys.stderr.flush()
    results.append({"status": status, "escaped": escaped,
                    "stdout": out.getvalue().decode("utf-8", "replace"),
                    "stderr": err.getvalue().decode("utf-8", "replace")})
sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
json.dump(results, sys.stdout)
"""


def cli_env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")


def run_batch(argvs: list[list[str]], processes: int = 2) -> list[dict[str, Any]]:
    """Run the command lines in ``processes`` interpreters side by side; results in order."""

    def run_share(share: list[list[str]]) -> list[dict[str, Any]]:
        proc = subprocess.run(
            [sys.executable, "-c", _BATCH],
            input=json.dumps(share).encode("utf-8"),
            capture_output=True,
            env=cli_env(),
            timeout=300,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")[-2000:]
        results: list[dict[str, Any]] = json.loads(proc.stdout)
        return results

    shares = [argvs[i::processes] for i in range(processes)]
    with ThreadPoolExecutor(processes) as pool:
        done = list(pool.map(run_share, shares))
    ordered: list[dict[str, Any]] = [{}] * len(argvs)
    for i, results in enumerate(done):
        ordered[i::processes] = results
    return ordered


def assert_clean_exit(result: dict[str, Any], statuses: tuple[int, ...] = (1, 2)) -> None:
    assert result["escaped"] is None, result["escaped"]
    assert result["status"] in statuses, result
    text = result["stdout"] + result["stderr"]
    assert "Traceback" not in text
    lines = result["stderr"].splitlines()
    assert len(lines) == 1, result["stderr"][:500]
    assert len(lines[0]) < MAX_MESSAGE + 100, lines[0][:200]


def cli_request_args(request: dict[str, Any]) -> list[str] | None:
    """The ``send`` flags for a request, or ``None`` when a command line cannot say it."""
    to, type_, payload = request["to"], request["type"], request["payload"]
    if not (isinstance(to, str) and isinstance(type_, str)):
        return None
    if isinstance(payload, dict) and not payload.get("code"):
        return None  # the command line would make up a code
    args = ["--to", to, "--type", type_, "--payload", as_json_text(payload)]
    return args


def test_every_config_and_request_through_the_command_line(
    tmp_path: Path, base_config: dict[str, Any]
) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(base_config))
    argvs: list[list[str]] = []
    for case in CONFIGS:
        path = tmp_path / f"config-{case['line']}.json"
        text = as_json_text(build_config(case, base_config))
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        argvs.append(["validate", "tencent-sms", str(path)])
        if case["line"] % 10 == 0:  # send validates the same way; a sample shows it
            argvs.append(["send", "tencent-sms", "--config", str(path), "--to", "+8613800138000"])
    request_cases = 0
    for case in REQUESTS:
        args = cli_request_args(build_request(case))
        if args is not None:
            argvs.append(["send", "tencent-sms", "--config", str(good), *args])
            request_cases += 1
    assert request_cases >= 40

    started = time.monotonic()
    results = run_batch(argvs)
    assert time.monotonic() - started < 120
    assert len(results) == len(argvs)
    for argv, result in zip(argvs, results, strict=True):
        try:
            assert_clean_exit(result)
        except AssertionError as exc:
            raise AssertionError(f"{[a[:80] for a in argv]}: {exc}") from None


def run_cli_case(case: dict[str, Any], folder: Path, good: Path) -> list[str]:
    """Run one ``cli.jsonl`` case in a process of its own; return what went wrong."""
    config = folder / f"config-{case['line']}.json"
    if "file" in case:
        encoding = case.get("file_encoding", "utf-8")
        errors = "surrogateescape" if encoding == "utf-8" else "strict"
        config.write_bytes(case["file"].encode(encoding, errors))
    elif "file_generate" in case:
        value = apply_generated(None, "", case["file_generate"])
        config.write_bytes(as_json_text(value).encode("utf-8"))
    args = [a.replace("{config}", str(config)).replace("{good}", str(good)) for a in case["args"]]
    proc = subprocess.run(
        [sys.executable, "-m", "connector.cli", *(os.fsencode(a) for a in args)],
        input=case.get("stdin", "").encode("utf-8"),
        capture_output=True,
        env=cli_env(),
        timeout=60,
        check=False,
    )
    stderr = proc.stderr.decode("utf-8", "replace")
    wrong = []
    if proc.returncode != case["status"]:
        wrong.append(f"exit {proc.returncode}, not {case['status']}")
    if b"Traceback" in proc.stdout + proc.stderr:
        wrong.append("a traceback")
    if len(stderr.splitlines()) != 1:
        wrong.append(f"{len(stderr.splitlines())} lines on stderr")
    if "says" in case and case["says"] not in stderr:
        wrong.append(f"stderr does not say {case['says']!r}")
    return [f"{case['why']}: {w} ({stderr.strip()[:200]!r})" for w in wrong]


def test_command_line_cases_in_real_processes(tmp_path: Path, base_config: dict[str, Any]) -> None:
    # One process per case, as a user runs them (invalid UTF-8 in argv, files, stdin);
    # started side by side, since most of the time is Python starting up.
    good = tmp_path / "good.json"
    good.write_text(json.dumps(base_config))
    with ThreadPoolExecutor(4) as pool:
        wrong = list(pool.map(lambda case: run_cli_case(case, tmp_path, good), CLI_CASES))
    assert [w for ws in wrong for w in ws] == []
