"""The HTTP(S) server: routes, the ``Emulator`` that owns it, and the foreground ``serve``."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import selectors
import shutil
import signal
import socket
import socketserver
import ssl
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import EllipsisType, FrameType, TracebackType
from typing import Any

from ._account_apis import AccountApis
from ._accounts import (
    DEMO_INTERNATIONAL_TEMPLATE_IDS,
    DEMO_REGION,
    DEMO_SDK_APP_ID,
    DEMO_SECRET_ID,
    DEMO_SECRET_KEY,
    DEMO_SIGN,
    DEMO_TEMPLATE_IDS,
    Account,
    Directory,
    demo_account,
    load_accounts,
)
from ._clock import Clock
from ._faults import FaultQueue, fault_response, make_fault
from ._limits import FrequencyLimits, Limiter
from ._outbox import Outbox
from ._page import render_outbox_page
from ._receipts import CallbackPusher, ReportBook
from ._sendsms import SendSms

logger = logging.getLogger("connector.emulator")

DEFAULT_LIMITS = FrequencyLimits()
# A wildcard address is not something a client can connect to: URLs name loopback instead.
_WILDCARDS = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}  # noqa: S104
MAX_BODY = 10 * 1024 * 1024  # Tencent's own cap on a request body
_IDLE_TIMEOUT = 300.0  # seconds a kept-alive connection may sit idle before it is closed
_HANDSHAKE_TIMEOUT = 10.0
_STOP_TIMEOUT = 5.0


@dataclass
class _State:
    """What request handlers share with the ``Emulator`` that started them."""

    sendsms: SendSms
    outbox: Outbox
    faults: FaultQueue
    stopping: threading.Event
    reports: ReportBook
    url: str = ""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Without it a reused connection stalls ~40 ms per call (Nagle + delayed ACK).
    disable_nagle_algorithm = True
    server_version = "TencentSmsEmulator/1"
    sys_version = ""
    timeout = _IDLE_TIMEOUT
    server: _Server

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def log_message(self, format: str, *args: Any) -> None:
        # http.server writes every access line to stderr; keep them for whoever asks.
        logger.debug("%s %s", self.address_string(), format % args)

    # --- plumbing ------------------------------------------------------------------------

    def _dispatch(self, method: str) -> None:
        if self.server.state.stopping.is_set():  # cut short by stop(): nobody waits for it
            self.close_connection = True
            return
        body = self._read_body()
        if body is None:
            return
        path = self.path.partition("?")[0]
        routes = _ROUTES.get(path)
        if routes is None:
            self._json(404, {"error": f"no such path: {path}"})
            return
        route = routes.get(method)
        if route is None:
            self._json(405, {"error": f"{method} is not allowed here"}, allow=", ".join(routes))
            return
        try:
            route(self, body)
        except OSError as exc:  # the client, or stop(), closed the connection mid-answer
            logger.debug("%s %s: connection closed (%s)", method, path, exc)
            self.close_connection = True
        except Exception:
            logger.exception("emulator failed on %s %s", method, path)
            with contextlib.suppress(OSError):
                self._json(500, {"error": "the emulator failed; its log has the details"})

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            self.close_connection = True
            self._json(411, {"error": "send a Content-Length; chunked bodies are not supported"})
            return None
        declared = self.headers.get("Content-Length", "0")
        if not declared.isascii() or not declared.isdigit():
            self.close_connection = True
            self._json(400, {"error": "Content-Length is not a number"})
            return None
        length = int(declared)
        if length > MAX_BODY:
            self.close_connection = True
            self._json(413, {"error": f"the body is larger than {MAX_BODY} bytes"})
            return None
        body = self.rfile.read(length)
        if len(body) < length:  # the client went away mid-body: nobody to answer
            self.close_connection = True
            return None
        return body

    def _respond(
        self, status: int, content_type: str, body: bytes, extra: Mapping[str, str] | None = None
    ) -> None:
        phrase = HTTPStatus(status).phrase if status in _STATUSES else "Error"
        lines = [
            f"HTTP/1.1 {status} {phrase}",
            f"Server: {self.server_version}",
            f"Date: {self.date_time_string()}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in (extra or {}).items()),
        ]
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        # One write per response: a split header/body write costs a round trip on loopback.
        self.wfile.write(head + body)
        logger.debug("%s %r %d", self.address_string(), self.requestline, status)

    def _json(self, status: int, data: object, allow: str | None = None) -> None:
        body = json.dumps(data, ensure_ascii=False).encode("utf-8")
        # Exactly application/json: Tencent's SDK ignores an error body with a charset.
        self._respond(status, "application/json", body, {"Allow": allow} if allow else {})

    def _headers_as_received(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), value)
        return headers

    # --- routes --------------------------------------------------------------------------

    def _get_root(self, body: bytes) -> None:
        # A signed GET is SendSms with its parameters in the query (Tencent's SDK can send
        # that); any other GET is a person opening the outbox page.
        if "authorization" in self._headers_as_received():
            self._send_sms(body)
        else:
            self._page(body)

    def _send_sms(self, body: bytes) -> None:
        state = self.server.state
        state.outbox.count_request()
        fault = state.faults.take()
        if fault is not None:
            logger.debug("injecting fault %s", fault.kind)
            if fault.kind == "drop":
                self.close_connection = True
                return
            if fault.kind == "delay" and state.stopping.wait(fault.seconds):
                self.close_connection = True
                return
            canned = fault_response(fault, str(uuid.uuid4()))
            if canned is not None:
                status, content_type, payload = canned
                self._respond(status, content_type, payload)
                return
        answer = state.sendsms.handle(
            self._headers_as_received(),
            body,
            method=self.command,
            query=self.path.partition("?")[2],
        )
        state.outbox.add(answer.messages)
        state.reports.record(answer.messages)
        if answer.error_code:
            logger.info("SendSms refused: %s", answer.error_code)
        else:
            logger.info("SendSms delivered %d message(s)", len(answer.messages))
        self._json(200, answer.body)

    def _page(self, body: bytes) -> None:
        state = self.server.state
        page = render_outbox_page(state.outbox.messages(), state.url, state.outbox.stats())
        self._respond(
            200, "text/html; charset=utf-8", page.encode("utf-8"), {"Cache-Control": "no-store"}
        )

    def _get_outbox(self, body: bytes) -> None:
        messages = self.server.state.outbox.messages()
        self._json(200, {"messages": [m.to_json() for m in messages]})

    def _clear_outbox(self, body: bytes) -> None:
        self.server.state.outbox.clear()
        self._json(200, {"ok": True})

    def _get_reports(self, body: bytes) -> None:
        state = self.server.state
        now = state.sendsms.clock.now()
        self._json(200, {"reports": [r.to_json(now) for r in state.reports.all()]})

    def _inject_report(self, body: bytes) -> None:
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError('the body must be a JSON object such as {"code": "UNDELIV"}')
            self.server.state.reports.inject(data.get("code"), data.get("count", 1))
        except ValueError as exc:
            self._json(400, {"error": str(exc)})
            return
        self._json(200, {"ok": True})

    def _health(self, body: bytes) -> None:
        self._json(200, {"ok": True})

    def _stats(self, body: bytes) -> None:
        self._json(200, self.server.state.outbox.stats())

    def _get_faults(self, body: bytes) -> None:
        self._json(200, {"faults": self.server.state.faults.pending()})

    def _add_fault(self, body: bytes) -> None:
        faults = self.server.state.faults
        try:
            try:
                data = json.loads(body)
            except RecursionError:
                raise ValueError("the body is nested too deeply to read") from None
            if not isinstance(data, dict):
                raise ValueError('the body must be a JSON object such as {"kind": "drop"}')
            params = dict(data)
            kind = params.pop("kind", None)
            count = params.pop("count", 1)
            faults.add(make_fault(str(kind), params), count)
        except ValueError as exc:  # FaultError and JSON errors alike
            self._json(400, {"error": str(exc)})
            return
        self._json(200, {"ok": True, "faults": faults.pending()})

    def _clear_faults(self, body: bytes) -> None:
        self.server.state.faults.clear()
        self._json(200, {"ok": True})


_Route = Callable[[_Handler, bytes], None]
_ROUTES: Mapping[str, Mapping[str, _Route]] = {
    "/": {"POST": _Handler._send_sms, "GET": _Handler._get_root},
    "/__emulator/outbox": {"GET": _Handler._get_outbox, "DELETE": _Handler._clear_outbox},
    "/__emulator/health": {"GET": _Handler._health},
    "/__emulator/reports": {"GET": _Handler._get_reports, "POST": _Handler._inject_report},
    "/__emulator/stats": {"GET": _Handler._stats},
    "/__emulator/faults": {
        "GET": _Handler._get_faults,
        "POST": _Handler._add_fault,
        "DELETE": _Handler._clear_faults,
    },
}
_STATUSES = frozenset(s.value for s in HTTPStatus)


class _Server(ThreadingHTTPServer):
    """A threading server that wraps connections in TLS when asked and stops at once.

    ``serve_forever`` notices a shutdown only at its next poll; this server's loop waits on
    the listening socket and a wake-up socket together, so ``stop_accepting`` takes effect
    immediately (tests start and stop many emulators).
    """

    daemon_threads = True
    # socketserver's default backlog of 5 drops connections when many clients connect at
    # once (the kernel then retries after a second, or resets): tests use 16 threads.
    request_queue_size = 128

    def __init__(
        self, address: tuple[str, int], state: _State, context: ssl.SSLContext | None
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.state = state
        self.context = context
        self._live: dict[socket.socket, threading.Thread] = {}
        self._live_lock = threading.Lock()
        # Before binding: a failed bind calls server_close, which closes these too.
        self._wake_reader, self._wake_writer = socket.socketpair()
        super().__init__(address, _Handler)

    def run(self) -> None:
        """Accept connections, each served on its own thread, until ``stop_accepting``."""
        with selectors.DefaultSelector() as selector:
            selector.register(self.socket, selectors.EVENT_READ)
            selector.register(self._wake_reader, selectors.EVENT_READ)
            while True:
                ready = [key.fileobj for key, _ in selector.select()]
                if self._wake_reader in ready:
                    return
                try:
                    request, client_address = self.get_request()
                except OSError:  # the client gave up between select and accept
                    continue
                try:
                    self.process_request(request, client_address)
                except Exception:
                    self.handle_error(request, client_address)
                    self.shutdown_request(request)

    def stop_accepting(self) -> None:
        """Make ``run`` return (from any thread)."""
        self._wake_writer.send(b"\0")

    def server_close(self) -> None:
        super().server_close()
        self._wake_reader.close()
        self._wake_writer.close()

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks up the host's FQDN, a DNS query this server never needs.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def finish_request(self, request: Any, client_address: Any) -> None:
        conn: socket.socket = request
        if self.context is not None:
            # Handshake here, in the connection's own thread, so a slow or failing client
            # never holds up accept().
            request.settimeout(_HANDSHAKE_TIMEOUT)
            conn = self.context.wrap_socket(
                request, server_side=True, do_handshake_on_connect=False
            )
        with self._live_lock:
            self._live[conn] = threading.current_thread()
        try:
            if self.state.stopping.is_set():  # accepted just as stop() began: never served
                return
            if isinstance(conn, ssl.SSLSocket):
                conn.do_handshake()
            _Handler(conn, client_address, self)
        except (ssl.SSLError, OSError) as exc:
            logger.debug("connection from %s ended: %s", client_address, exc)
        finally:
            with self._live_lock:
                del self._live[conn]
            if conn is not request:  # the TLS wrapper took over the socket; close it here
                _shut(conn)
                conn.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.exception("unexpected error serving %s", client_address)

    def close_connections(self) -> list[threading.Thread]:
        """Shut every open connection so its thread ends; return those threads to join."""
        with self._live_lock:
            for conn in self._live:
                _shut(conn)
            return list(self._live.values())


def _shut(conn: socket.socket) -> None:
    # shutdown() on a duplicate descriptor: it ends the connection for the thread reading
    # it without touching that thread's socket object (an SSLSocket's state included).
    try:
        with socket.socket(fileno=os.dup(conn.fileno())) as dup:
            dup.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class Emulator:
    """A local Tencent SMS API (SendSms 2021-01-11) on loopback, for demos and tests.

    ``accounts`` are served beside the built-in demo account.  ``limits`` are the
    per-number frequency limits: ``...`` (the default) means ``DEFAULT_LIMITS``, Tencent's
    classic ones, and ``None`` switches them off.  ``tls=True`` serves HTTPS with a
    throwaway CA whose bundle is ``ca_bundle`` (written to ``ca_path`` when given).

    Each accepted message gets a delivery report ``report_delay`` seconds (emulator clock)
    later; ``callback_url`` receives them as Tencent's status callback pushes them, a failed
    push being retried twice, ``callback_retry_delay`` seconds apart.  Use it as a context
    manager, or call ``start()`` and ``stop()``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        accounts: Iterable[Account] | None = None,
        limits: FrequencyLimits | EllipsisType | None = ...,
        tls: bool = False,
        ca_path: str | os.PathLike[str] | None = None,
        report_delay: float = 1.0,
        callback_url: str | None = None,
        callback_retry_delay: float = 1.0,
    ) -> None:
        if callback_url is not None and not callback_url.startswith(("http://", "https://")):
            raise ValueError("callback_url must be an http:// or https:// URL")
        self.host = host
        self._requested_port = port
        self._tls = tls
        self._ca_path = os.fspath(ca_path) if ca_path is not None else None
        self._directory = Directory((demo_account(), *(accounts or ())))
        self._limits = DEFAULT_LIMITS if isinstance(limits, EllipsisType) else limits
        self._clock = Clock()
        self._outbox = Outbox()
        self._faults = FaultQueue()
        self._reports = ReportBook(self._directory, self._clock, report_delay)
        apis = AccountApis(self._directory, self._reports)
        self._state = _State(
            SendSms(
                self._directory,
                self._clock,
                Limiter(self._limits) if self._limits else None,
                apis.actions(),
            ),
            self._outbox,
            self._faults,
            threading.Event(),
            self._reports,
        )
        self._callback_url = callback_url
        self._callback_retry_delay = callback_retry_delay
        self._pusher: CallbackPusher | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._ca_bundle: str | None = None
        self._workdir: str | None = None

    # --- life cycle ----------------------------------------------------------------------

    def start(self) -> Emulator:
        """Listen and serve in a background thread; returns the emulator, now running."""
        if self._server is not None:
            raise RuntimeError("the emulator is already running")
        context = None
        if self._tls:
            from ._tls import make_tls  # cryptography is needed only in HTTPS mode

            setup = make_tls(self._ca_path)
            context, self._ca_bundle, self._workdir = setup.context, setup.ca_bundle, setup.workdir
        self._state.stopping.clear()
        try:
            server = _Server((self.host, self._requested_port), self._state, context)
        except BaseException:
            self._remove_workdir()
            raise
        # Known only now that the system has picked the port.
        self._state.url = self._url(server.server_port)
        self._server = server
        self._thread = threading.Thread(
            target=server.run,
            name=f"tencent-sms-emulator:{server.server_port}",
            daemon=True,
        )
        self._thread.start()
        if self._callback_url is not None:
            self._start_pusher(self._callback_url)
        logger.info("Tencent SMS emulator listening on %s", self.url)
        return self

    def push_callbacks_to(self, url: str) -> None:
        """Push delivery reports to ``url`` from now on (a running emulator starts pushing at
        once): for a receiver whose address is known only after the emulator started."""
        if not url.startswith(("http://", "https://")):
            raise ValueError("callback_url must be an http:// or https:// URL")
        if self._pusher is not None:
            raise RuntimeError("the emulator already pushes its reports")
        self._callback_url = url
        if self._server is not None:
            self._start_pusher(url)

    def _start_pusher(self, url: str) -> None:
        self._pusher = CallbackPusher(
            self._reports, self._clock, url, self._callback_retry_delay, self._state.stopping
        )
        self._pusher.start()

    def stop(self) -> None:
        """Stop serving, close every connection and the listening socket; safe to repeat."""
        server, self._server = self._server, None
        if server is None:
            return
        self._state.stopping.set()  # ends injected delays early
        server.stop_accepting()
        if self._thread is not None:
            self._thread.join()
        deadline = time.monotonic() + _STOP_TIMEOUT
        for thread in server.close_connections():
            thread.join(max(0.0, deadline - time.monotonic()))
        if self._pusher is not None:
            self._pusher.join(max(0.0, deadline - time.monotonic()))
        server.server_close()
        self._remove_workdir()
        logger.info("Tencent SMS emulator stopped")

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _remove_workdir(self) -> None:
        if self._workdir is not None:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None

    # --- where it is ---------------------------------------------------------------------

    @property
    def accounts(self) -> tuple[Account, ...]:
        """The accounts it serves: the demo account first, then those given."""
        return self._directory.accounts

    @property
    def limits(self) -> FrequencyLimits | None:
        """The per-number frequency limits it applies; ``None`` when switched off."""
        return self._limits

    @property
    def port(self) -> int:
        """The port it listens on (the one picked by the system when asked for 0)."""
        return self._running().server_port

    @property
    def url(self) -> str:
        """The endpoint, e.g. ``http://127.0.0.1:54321``; clients POST SendSms to it."""
        return self._url(self.port)

    @property
    def ca_bundle(self) -> str | None:
        """Path of the PEM CA bundle that verifies the HTTPS emulator; ``None`` without TLS."""
        return self._ca_bundle if self._tls else None

    def _url(self, port: int) -> str:
        # A wildcard address is not something a client can connect to: name loopback instead.
        host = _WILDCARDS.get(self.host, self.host)
        if ":" in host:
            host = f"[{host}]"
        return f"{'https' if self._tls else 'http'}://{host}:{port}"

    def _running(self) -> _Server:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._server

    # --- what it saw, and how it behaves -------------------------------------------------

    def outbox(self) -> list[dict[str, Any]]:
        """Delivered messages, oldest first, as ``GET /__emulator/outbox`` lists them."""
        return [m.to_json() for m in self._outbox.messages()]

    def clear_outbox(self) -> None:
        """Forget every delivered message (the counters in ``stats`` keep counting)."""
        self._outbox.clear()

    def stats(self) -> dict[str, int]:
        """``{"requests": N, "delivered": M}``: SendSms requests seen (faulted ones included)
        and messages delivered, since the emulator was created."""
        return self._outbox.stats()

    def inject(self, kind: str, count: int = 1, **params: Any) -> None:
        """Misbehave on the next ``count`` SendSms requests (after faults already queued).

        Kinds: ``delay`` (``seconds=``), ``status`` (``status=500``, ``body=``), ``malformed``
        (``body=``), ``wrong_shape`` (``body=`` any JSON value), ``drop``, and ``error``
        (``code=``, ``message=``).  Raises ``FaultError`` for anything else.
        """
        self._faults.add(make_fault(kind, params), count)

    def clear_faults(self) -> None:
        """Drop every fault not yet used."""
        self._faults.clear()

    def reports(self) -> list[dict[str, Any]]:
        """Every delivery report, ready or not, as ``GET /__emulator/reports`` lists them:
        the ``PullSmsSendStatus`` fields plus ``SmsSdkAppId``, ``ready``, ``pulled``,
        ``pushed``.  Messages whose carrier never reports have none."""
        now = self._clock.now()
        return [r.to_json(now) for r in self._reports.all()]

    def inject_report(self, code: str, count: int = 1) -> None:
        """Give the next ``count`` accepted messages this delivery outcome: a receipt code
        (``UNDELIV``, ``EXPIRED``, ``DELIVRD``…) or ``NONE`` (never reported); the same as
        ``POST /__emulator/reports`` with ``{"code", "count"}``.  ``ValueError`` for others."""
        self._reports.inject(code, count)

    @property
    def report_delay(self) -> float:
        """Seconds (emulator clock) between a message's acceptance and its report."""
        return self._reports.delay

    def callback_attempts(self) -> list[dict[str, Any]]:
        """Every status-callback push attempt so far (empty without ``callback_url``)."""
        pusher = self._pusher
        return [a.to_json() for a in pusher.attempts()] if pusher is not None else []

    def now(self) -> float:
        """The emulator's clock (unix seconds): real time moved by ``advance_clock``."""
        return self._clock.now()

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock, which judges X-TC-Timestamp and the frequency limits."""
        self._clock.advance(seconds)

    # --- a config for the connector ------------------------------------------------------

    def connector_config(self, **overrides: Any) -> dict[str, Any]:
        """The connector config (what an admin pastes) for the demo account on this emulator.

        ``overrides`` replace top-level keys.  It holds the demo secret key: keep it out of logs.
        """
        config: dict[str, Any] = {
            "accessKeyId": DEMO_SECRET_ID,
            "accessKeySecret": DEMO_SECRET_KEY,
            "signName": DEMO_SIGN,
            "sdkAppId": DEMO_SDK_APP_ID,
            "region": DEMO_REGION,
            "templates": _template_list(DEMO_TEMPLATE_IDS),
            "international": {"templates": _template_list(DEMO_INTERNATIONAL_TEMPLATE_IDS)},
            "endpoint": self.url,
        }
        if self.ca_bundle is not None:
            config["caBundle"] = self.ca_bundle
        config.update(overrides)
        return config

    def write_config(self, path: str | os.PathLike[str]) -> Path:
        """Write ``connector_config()`` as JSON to ``path``, readable by its owner only."""
        text = json.dumps(self.connector_config(), indent=2) + "\n"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.fchmod(fd, 0o600)  # O_CREAT's mode does not apply to a file that already existed
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        return Path(path)


def _template_list(ids: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"usageType": usage, "templateCode": code} for usage, code in ids.items()]


def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    accounts_path: str | os.PathLike[str] | None = None,
    tls: bool = False,
    ca_path: str | os.PathLike[str] | None = None,
    write_config: str | os.PathLike[str] | None = None,
    limits: FrequencyLimits | EllipsisType | None = ...,
    report_delay: float = 1.0,
    callback_url: str | None = None,
) -> int:
    """Run the emulator in the foreground until Ctrl-C; return the exit status.

    Prints where it listens and what to do next, never the secret key.  Returns 0 after
    Ctrl-C (or SIGTERM), 2 when it cannot start (bad accounts file, port in use, config
    file not writable).
    """
    try:
        accounts = load_accounts(accounts_path) if accounts_path is not None else ()
        emulator = Emulator(
            host,
            port,
            accounts=accounts,
            limits=limits,
            tls=tls,
            ca_path=ca_path,
            report_delay=report_delay,
            callback_url=callback_url,
        )
        emulator.start()
    except ValueError as exc:  # AccountsError, or a callback URL that is not http(s)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot start on {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    restore = _stop_on_sigterm()
    try:
        try:
            written = emulator.write_config(write_config) if write_config is not None else None
        except OSError as exc:
            print(f"error: cannot write {write_config}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        url = emulator.url
        print(f"Tencent SMS emulator on {url}")
        if host in _WILDCARDS:
            print(
                f"  listening:     on every interface ({host or '*'}:{emulator.port}); the URLs "
                "here use loopback. From another machine use this machine's address, and "
                "--tls: the connector sends plain http only to a loopback address"
            )
        print(f"  outbox:        {url}/  (JSON: {url}/__emulator/outbox)")
        print(
            f"  demo account:  SecretId {DEMO_SECRET_ID}, SdkAppId {DEMO_SDK_APP_ID}, "
            f"sign '{DEMO_SIGN}'"
        )
        if accounts_path is not None:
            ids = ", ".join(a.secret_id for a in accounts)
            print(f"  accounts:      {len(accounts)} more from {accounts_path} (SecretId {ids})")
        else:
            print("  accounts:      pass --accounts FILE to serve your own beside the demo one")
        print(f"  limits:        {_describe_limits(emulator.limits)}")
        if emulator.ca_bundle is not None:
            print(f"  CA bundle:     {emulator.ca_bundle}")
        print(f"  receipts:      after {report_delay:g} s; JSON: {url}/__emulator/reports")
        if callback_url is not None:
            print(f"  callbacks:     pushed to {callback_url}")
        if written is not None:
            print(f"  config:        written to {written} (mode 0600; it holds the secret key)")
        else:
            print("  config:        pass --write-config PATH for a ready connector config")
        print("Press Ctrl-C to stop.", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nstopped", flush=True)
        return 0
    finally:
        restore()
        emulator.stop()


def _describe_limits(limits: FrequencyLimits | None) -> str:
    if limits is None:
        return "off (no per-number limits)"
    parts = []
    if limits.same_content_seconds is not None:
        parts.append(f"the same text once per {limits.same_content_seconds:g} s")
    if limits.per_hour is not None:
        parts.append(f"{limits.per_hour} an hour")
    if limits.per_day is not None:
        parts.append(f"{limits.per_day} a day")
    return f"per number: {', '.join(parts) or 'none'} (--no-limits switches them off)"


def _stop_on_sigterm() -> Callable[[], None]:
    """Treat SIGTERM like Ctrl-C while serving; returns what undoes that."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore
