"""The emulator in a process of its own, on loopback, with the per-number limits off."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

_START_TIMEOUT = 20.0
_TICKS = os.sysconf("SC_CLK_TCK")
# Loopback needs no proxy, whatever the environment says.
_PLAIN = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class EmulatorProcess:
    """``logto-connector emulator --port 0 --no-limits`` (``--tls`` too when asked) as a child.

    Use as a context manager: on entry it waits until the config file the emulator writes
    is complete and its health endpoint answers; on exit it stops the child (SIGTERM, which
    the emulator treats as Ctrl-C) and removes the config file, which holds the demo secret.
    """

    def __init__(self, *, tls: bool = False) -> None:
        self._tls = tls
        self._workdir = tempfile.mkdtemp(prefix="bench-emulator-")
        self.config_path = Path(self._workdir) / "config.json"
        self._log_path = Path(self._workdir) / "emulator.log"
        self._process: subprocess.Popen[bytes] | None = None
        self.config: dict[str, Any] = {}
        self.url = ""
        self._opener = _PLAIN

    def __enter__(self) -> EmulatorProcess:
        command = [
            sys.executable,
            "-m",
            "connector.cli",
            "emulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--no-limits",
            "--write-config",
            str(self.config_path),
            *(["--tls"] if self._tls else []),
        ]
        with open(self._log_path, "wb") as log:
            self._process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        try:
            self.config = self._wait_for_config()
            self.url = str(self.config["endpoint"])
            if self._tls:  # verify the emulator with the CA it made, as every client here does
                context = ssl.create_default_context(cafile=self.config["caBundle"])
                self._opener = urllib.request.build_opener(
                    urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
                )
            self._wait_for_health()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        shutil.rmtree(self._workdir, ignore_errors=True)

    @property
    def pid(self) -> int:
        """The child's process id."""
        assert self._process is not None
        return self._process.pid

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the emulator process has used so far.

        Read from /proc in clock ticks (usually 10 ms), so it is only meaningful over
        many requests.
        """
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        # After the command name: state is field 3, utime and stime are fields 14 and 15.
        return (int(fields[11]) + int(fields[12])) / _TICKS

    def stats(self) -> dict[str, int]:
        """``{"requests": N, "delivered": M}`` since the emulator started."""
        stats: dict[str, int] = self._get("/__emulator/stats")
        return stats

    def clear_outbox(self) -> None:
        """Empty the outbox, so a long run does not make the emulator's memory grow."""
        request = urllib.request.Request(self.url + "/__emulator/outbox", method="DELETE")
        with self._opener.open(request, timeout=5) as reply:
            reply.read()

    def _get(self, path: str) -> Any:
        with self._opener.open(self.url + path, timeout=5) as reply:
            return json.loads(reply.read())

    def _wait_for_config(self) -> dict[str, Any]:
        # The file appears before its text is complete: wait until it parses.
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                config: dict[str, Any] = json.loads(self.config_path.read_text("utf-8"))
                return config
            except (OSError, ValueError):
                time.sleep(0.02)
        raise RuntimeError(f"the emulator wrote no config in {_START_TIMEOUT:.0f} s")

    def _wait_for_health(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                if self._get("/__emulator/health").get("ok"):
                    return
            except OSError:
                time.sleep(0.02)
        raise RuntimeError(
            f"the emulator's health endpoint did not answer in {_START_TIMEOUT:.0f} s"
        )

    def _check_alive(self) -> None:
        assert self._process is not None
        if self._process.poll() is not None:
            log = (
                self._log_path.read_text("utf-8", errors="replace")
                if os.path.exists(self._log_path)
                else ""
            )
            status = self._process.returncode
            raise RuntimeError(f"the emulator exited with status {status}: {log}")
