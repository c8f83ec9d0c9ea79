"""``logto-connector serve``: the service on gunicorn (threaded workers), run from Python.

gunicorn's ``gthread`` worker suits a blocking ``requests`` client: each worker process runs
``threads`` requests at once, keeps connections alive, and on SIGTERM stops accepting and
finishes the requests in flight.  With several workers, Prometheus metrics go through
``PROMETHEUS_MULTIPROC_DIR`` (a private temp directory made and removed here).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Flask
from gunicorn.app.base import BaseApplication

from ..kit import ConnectorHost
from ._config import ConfigSource
from ._counters import Counters
from ._gateway import ANSWER_MARGIN
from ._guards import GuardSettings, GuardSource
from ._metrics import MULTIPROC_ENV, GatewayMetrics

log = logging.getLogger("connector.service")
#: How long an idle kept-alive connection stays open (longer than the usual 60 s of a proxy
#: in front would be wrong; shorter costs reconnects).
KEEPALIVE_SECONDS = 55


@dataclass
class ServeOptions:
    """How to run the service."""

    host: str = "127.0.0.1"
    port: int = 8090
    workers: int = 1
    threads: int = 8
    token: str | None = None
    deadline: float = 10.0
    #: Called in the master once the port is open, with the URL of ``POST /logto/sms``.
    on_ready: Callable[[str], None] | None = None
    gunicorn: dict[str, Any] = field(default_factory=dict)
    #: Makes more areas for each worker's app (the admin console), called after the fork so
    #: that each worker opens its own store connection.
    blueprints: Callable[[], Iterable[tuple[Blueprint, str | None]]] | None = None
    #: The abuse guards (``None``: none), and the Redis URL their counters live in (``None``:
    #: in each worker's memory, right for one worker only).
    guards: GuardSettings | GuardSource | None = None
    redis_url: str | None = None


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback address (or ``localhost``)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """gunicorn, configured from Python; every worker builds its own app after the fork."""

    def __init__(self, make_app: Callable[[], Flask], settings: dict[str, Any]) -> None:
        self._make_app = make_app
        self._settings = settings
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._settings.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self._make_app()


def serve(host: ConnectorHost, source: ConfigSource, options: ServeOptions) -> int:
    """Serve until SIGTERM or Ctrl-C, then finish the sends in flight; return the exit status."""
    multiproc_dir: str | None = None
    if options.workers > 1 and not os.environ.get(MULTIPROC_ENV):
        multiproc_dir = tempfile.mkdtemp(prefix="logto-connector-metrics-")
        os.environ[MULTIPROC_ENV] = multiproc_dir
    _configure_logging()

    def make_app() -> Flask:
        from ._app import create_app, shutdown

        counters: Counters | None = None
        if options.guards is not None and options.redis_url is not None:
            from ._counters import RedisCounters

            counters = RedisCounters(options.redis_url)  # after the fork: its own connections
        app = create_app(
            host,
            source,
            token=options.token,
            metrics=GatewayMetrics(),
            send_threads=options.threads,
            blueprints=options.blueprints() if options.blueprints is not None else (),
            guards=options.guards,
            counters=counters,
        )
        app.extensions["logto_connector.shutdown"] = shutdown
        return app

    def when_ready(server: Any) -> None:
        bound = server.LISTENERS[0].sock.getsockname()
        shown = f"[{bound[0]}]" if ":" in bound[0] else bound[0]
        url = f"http://{shown}:{bound[1]}/logto/sms"
        if options.on_ready is not None:
            options.on_ready(url)

    def worker_exit(server: Any, worker: Any) -> None:
        app = getattr(worker, "wsgi", None)
        if isinstance(app, Flask):
            app.extensions["logto_connector.shutdown"](app)

    def child_exit(server: Any, worker: Any) -> None:
        if os.environ.get(MULTIPROC_ENV):
            from prometheus_client import multiprocess

            multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]

    bind = (
        f"[{options.host}]:{options.port}"
        if ":" in options.host
        else (f"{options.host}:{options.port}")
    )
    settings: dict[str, Any] = {
        "bind": [bind],
        "workers": options.workers,
        "threads": options.threads,
        "worker_class": "gthread",
        "keepalive": KEEPALIVE_SECONDS,
        # In-flight sends end within their deadline; give them that and a little more.
        "graceful_timeout": math.ceil(options.deadline + ANSWER_MARGIN + 2),
        "timeout": max(30, int(options.deadline * 3)),
        "accesslog": None,  # the gateway writes its own line (masked numbers, RequestId)
        "errorlog": "-",
        "loglevel": "warning",
        "proc_name": "logto-connector",
        "control_socket_disable": True,
        "when_ready": when_ready,
        "worker_exit": worker_exit,
        "child_exit": child_exit,
        **options.gunicorn,
    }
    try:
        _Gunicorn(make_app, settings).run()
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    finally:
        if multiproc_dir is not None:
            shutil.rmtree(multiproc_dir, ignore_errors=True)
            os.environ.pop(MULTIPROC_ENV, None)
    return 0


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s")
    )
    for name in ("connector.service", "connector.kit"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
