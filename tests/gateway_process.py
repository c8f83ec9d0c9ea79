"""Real processes for the gateway tests: ``logto-connector serve``, the emulator, and node."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "tests" / "js"
TOKEN = "test-token-5bd1c1e0b6a94a7f"
START_TIMEOUT = 30.0


class _Process:
    """A child process whose stdout lines are collected and whose stderr goes to a file."""

    def __init__(self, args: Sequence[str], env: Mapping[str, str], marker: str) -> None:
        self._stderr: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "connector.cli", *args],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env={**os.environ, "PYTHONPATH": str(ROOT), **env},
        )
        self.lines: list[str] = []
        self._marker = marker
        self._seen = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.returncode: int | None = None
        self._final_stderr = ""

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.lines.append(line)
            if self._marker in line:
                self._seen.set()
        self._seen.set()

    def wait_ready(self) -> str:
        """The first stdout line with the marker; fails with the output when there is none."""
        self._seen.wait(START_TIMEOUT)
        for line in self.lines:
            if self._marker in line:
                return line
        self.stop()
        raise AssertionError(f"did not start:\n{self.stdout}\n{self.stderr}")

    @property
    def stdout(self) -> str:
        """Everything printed so far."""
        return "\n".join(self.lines)

    @property
    def stderr(self) -> str:
        """Everything written to stderr so far (all of it, once the process is closed)."""
        if self._stderr.closed:
            return self._final_stderr
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the process (if it runs) and keep what it wrote to stderr."""
        self.stop()
        if not self._stderr.closed:
            self._final_stderr = self.stderr
            self._stderr.close()

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send ``sig`` and wait for the exit; return the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.returncode = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.returncode = self.proc.wait()
        self._reader.join(5)
        return self.returncode


class Gateway(_Process):
    """``logto-connector serve`` on a free loopback port."""

    def __init__(
        self, *args: str, token: str | None = TOKEN, env: Mapping[str, str] | None = None
    ) -> None:
        extra = {"LOGTO_CONNECTOR_TOKEN": token} if token is not None else {}
        super().__init__(["serve", "--port", "0", *args], {**extra, **(env or {})}, "Endpoint:")
        self.url = self.wait_ready().split()[-1]
        self.base = self.url.rsplit("/logto/sms", 1)[0]

    def __enter__(self) -> Gateway:
        return self


class EmulatorProcess(_Process):
    """``logto-connector emulator`` in its own process, writing its config to ``config_path``."""

    def __init__(self, config_path: Path, *args: str) -> None:
        super().__init__(
            ["emulator", "--port", "0", "--write-config", str(config_path), *args],
            {},
            "Tencent SMS emulator on",
        )
        self.url = self.wait_ready().split()[-1]

    def stats(self) -> dict[str, int]:
        """``{"requests", "delivered"}`` from the emulator's API."""
        return dict(get_json(f"{self.url}/__emulator/stats"))

    def __enter__(self) -> EmulatorProcess:
        return self


def get_json(url: str) -> Any:
    """GET a JSON document from a loopback URL."""
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.loads(answer.read())


def post(
    url: str, body: bytes, headers: Mapping[str, str], timeout: float = 30.0
) -> tuple[int, dict[str, str], bytes]:
    """POST ``body``; return the status, headers (lower-case names) and body, errors included."""
    request = urllib.request.Request(url, data=body, headers=dict(headers), method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, _lower(answer.headers.items()), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, _lower(error.headers.items()), error.read()


def _lower(items: Sequence[tuple[str, str]] | Any) -> dict[str, str]:
    return {name.lower(): value for name, value in items}


def logto_send(
    endpoint: str, calls: Sequence[Mapping[str, Any]], authorization: str | None = None
) -> list[dict[str, Any]]:
    """Send ``calls`` concurrently through Logto's real HTTP SMS connector (node)."""
    document: dict[str, Any] = {"endpoint": endpoint, "calls": list(calls)}
    if authorization is not None:
        document["authorization"] = authorization
    proc = subprocess.run(
        ["node", str(JS / "http-sms-send.mjs")],
        input=json.dumps(document).encode(),
        capture_output=True,
        timeout=120,
        check=False,
        cwd=JS,
    )
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    return [json.loads(line) for line in proc.stdout.decode().splitlines()]


def wait_until(predicate: Any, timeout: float = 10.0) -> bool:
    """Poll ``predicate()`` until true or ``timeout`` seconds; return its last answer."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return bool(predicate())
