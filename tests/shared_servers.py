"""Real shared servers for the several-gateway tests: Redis and PostgreSQL from Debian's
packages, on free loopback ports in temporary directories, stopped afterwards (``make test``
installs them where missing)."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

START_TIMEOUT = 15.0


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def redis_binary() -> str:
    """``redis-server``, or an AssertionError saying how to get it (never a silent skip)."""
    found = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    assert found, "redis-server is missing: `make test` installs it (apt-get install redis-server)"
    return found


class RedisServer:
    """``redis-server`` on 127.0.0.1, no persistence, its files in a temporary directory."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._dir = tempfile.mkdtemp(prefix="logto-connector-redis-")
        self.proc: subprocess.Popen[bytes] | None = None
        self.start()

    def start(self) -> None:
        """Start (again) on the same port."""
        self.proc = subprocess.Popen(
            [
                redis_binary(),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                self._dir,
                "--save",
                "",
                "--appendonly",
                "no",
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.ping():
                return
            assert self.proc.poll() is None, "redis-server exited at start"
            time.sleep(0.05)
        raise AssertionError("redis-server did not answer PING in time")

    def ping(self) -> bool:
        """Whether the server answers PING."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def kill(self) -> None:
        """Kill the server at once, as a crash would."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def __enter__(self) -> RedisServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.kill()
        shutil.rmtree(self._dir, ignore_errors=True)


def postgres_bin() -> Path:
    """The newest ``/usr/lib/postgresql/*/bin``, or an AssertionError saying how to get it."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=_major)
    assert found, "PostgreSQL is missing: `make test` installs it (apt-get install postgresql)"
    return Path(found[-1]).parent


def _major(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0


class PostgresServer:
    """A throwaway PostgreSQL cluster on 127.0.0.1 (trust auth, no fsync), in a temporary
    directory.  As root, the cluster runs as the ``postgres`` user (initdb refuses root)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        self._bin = postgres_bin()
        self._dir = Path(tempfile.mkdtemp(prefix="logto-connector-pg-"))
        self._data = self._dir / "data"
        self._as_root = os.geteuid() == 0
        if self._as_root:
            shutil.chown(self._dir, "postgres", "postgres")
        self._run(
            "initdb",
            "-D",
            str(self._data),
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--no-instructions",
        )
        self.start()

    def _run(self, program: str, *args: str) -> None:
        argv = [str(self._bin / program), *args]
        if self._as_root:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        done = subprocess.run(argv, capture_output=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr.decode("utf-8", "replace")[-2000:]

    def start(self) -> None:
        """Start (again) on the same port; waits until it accepts connections."""
        options = (
            f"-p {self.port} -k {self._dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl",
            "start",
            "-D",
            str(self._data),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            "-l",
            str(self._dir / "log"),
        )

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate``: as a crash would)."""
        if (self._data / "postmaster.pid").exists():
            self._run("pg_ctl", "stop", "-D", str(self._data), "-m", mode, "-w", "-t", "60")

    def __enter__(self) -> PostgresServer:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop("immediate")
        shutil.rmtree(self._dir, ignore_errors=True)
