"""The SendSms client: one HTTP session per config, signed requests, deadlines, safe retries.

Retry policy (the reason this module exists): a message is sent again only when it certainly
was not sent — the connection was never made, or Tencent answered ``RequestLimitExceeded``.
After a read timeout, a dropped response, an HTTP error status or an internal error Tencent
may have texted the user already, and a second attempt would text a second code; those fail
at once with ``delivery: unknown``.
"""

from __future__ import annotations

import contextvars
import http.client
import io
import json
import logging
import os
import random
import socket
import ssl
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
import urllib3
import urllib3.connection
import urllib3.connectionpool
from urllib3.util.ssl_match_hostname import CertificateError

from .. import __version__, signing
from ..kit import ConnectorError, ErrorCode
from . import errors
from .settings import Settings, _is_loopback

ACTION = "SendSms"
VERSION = "2021-01-11"
SERVICE = "sms"
MAX_ATTEMPTS = 3
BACKOFF_BASE = 0.1
_CONTENT_TYPE = "application/json"
log = logging.getLogger("connector.tencent_sms")


@dataclass(frozen=True)
class Answer:
    """Tencent's parsed ``Response`` object and how many attempts it took."""

    response: Mapping[str, Any]
    request_id: str | None
    attempts: int


class SendSmsClient:
    """Sends SendSms requests for one config.  Thread-safe; keeps connections alive."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        session = requests.Session()
        adapter = _DeadlineAdapter(pool_connections=1, pool_maxsize=32, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        # Read proxy settings from the environment once, here, rather than on every request
        # (requests would also re-read ~/.netrc each time).  A loopback endpoint (the
        # emulator, plain http) never goes through a proxy: the number, the code and the
        # signature would leave the machine in clear text.  An https endpoint honours
        # HTTPS_PROXY / ALL_PROXY and NO_PROXY; the proxy sees only the host name (CONNECT).
        if not _is_loopback(urlsplit(settings.endpoint).hostname or ""):
            session.proxies.update(requests.utils.get_environ_proxies(settings.endpoint))
        session.trust_env = False
        session.verify = settings.ca_bundle or True
        # Only the headers Tencent reads: requests' defaults (Accept, Accept-Encoding,
        # Connection) cost a header line each to write and ask for compression nobody needs.
        session.headers.clear()
        self._session = session
        self._url = settings.endpoint + "/"
        self._signer = signing.Signer(
            secret_id=settings.secret_id,
            secret_key=settings.secret_key,
            service=SERVICE,
            host=settings.host,
            content_type=_CONTENT_TYPE,
        )
        fixed_headers = {
            "Content-Type": _CONTENT_TYPE,
            "Host": settings.host,
            "X-TC-Action": ACTION,
            "X-TC-Version": VERSION,
            "X-TC-Region": settings.region,
            "X-TC-Language": "en-US",
            "User-Agent": f"logto-connector-tencent-sms/{__version__}",
        }
        # The URL and the fixed headers never change for this client: prepare them once
        # (parsing and re-quoting the URL is the costliest step of a requests call) and copy
        # the prepared request for each attempt.
        self._template = session.prepare_request(
            requests.Request("POST", self._url, headers=fixed_headers)
        )

    def __repr__(self) -> str:
        settings = self.settings
        return f"SendSmsClient(endpoint={settings.endpoint!r}, region={settings.region!r})"

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    def _attempt_headers(self, body: bytes, timestamp: int) -> dict[str, str]:
        """What changes between attempts (the fixed headers are in the prepared template)."""
        return {
            "X-TC-Timestamp": str(timestamp),
            "Authorization": self._signer.authorization(body, timestamp),
        }

    def send(self, params: Mapping[str, Any], action: str = ACTION) -> Answer:
        """POST one SendSms request (or another ``action`` of the same API: the account
        look-ups); return Tencent's ``Response`` or raise ConnectorError."""
        settings = self.settings
        started = time.monotonic()
        deadline = started + settings.send_timeout
        # Serialised once: the signature covers these exact bytes on every attempt.
        body = json.dumps(params, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        attempt = 0
        while True:
            attempt += 1
            # A sleep may overrun the backoff a little; never pass requests a timeout <= 0.
            remaining = max(deadline - time.monotonic(), _MIN_TIMEOUT)
            timeout = (
                min(settings.connect_timeout, remaining),
                min(settings.read_timeout, remaining),
            )
            if settings.ca_bundle and not os.path.isfile(settings.ca_bundle):
                raise ConnectorError(
                    ErrorCode.INVALID_CONFIG,
                    "caBundle names no readable file any more, so nothing was sent; give the "
                    "path of a PEM file with the CA certificates",
                    {"attempts": attempt, "delivery": "not_sent", "reason": "tls"},
                )
            token = _DEADLINE.set(deadline)
            try:
                prepared = self._template.copy()
                prepared.headers.update(self._attempt_headers(body, int(time.time())))
                if action != ACTION:  # unsigned: the signature covers content-type and host
                    prepared.headers["X-TC-Action"] = action
                prepared.prepare_body(body, None)
                reply = self._session.send(prepared, timeout=timeout, allow_redirects=False)
                raw = reply.content
            except requests.RequestException as exc:
                failure = _transport_failure(exc, settings, attempt)
                # A TLS failure is certainly not sent too, but another attempt cannot fix it.
                if failure.data.get("reason") == "connect" and _may_retry(attempt, deadline):
                    log.debug(
                        "attempt %d could not connect (%s); retrying", attempt, type(exc).__name__
                    )
                    continue
                raise failure from None
            except OSError as exc:  # not wrapped by requests: cannot tell whether it went out
                raise ConnectorError(
                    ErrorCode.GENERAL,
                    f"the request to {settings.host} failed ({type(exc).__name__}); delivery "
                    "is unknown (the message may have been sent), so it was not retried",
                    {"attempts": attempt, "delivery": "unknown", "reason": "local"},
                ) from None
            finally:
                _DEADLINE.reset(token)
            response = _parse(reply.status_code, reply.headers.get("Content-Type"), raw, attempt)
            error = response.get("Error")
            request_id = errors.text_field(response.get("RequestId"))
            if isinstance(error, Mapping):
                code = errors.text_field(error.get("Code")) or errors.NO_CODE
                if errors.is_retryable(code) and _may_retry(attempt, deadline):
                    log.debug("attempt %d throttled (%s); retrying", attempt, code)
                    continue
                raise errors.tencent_error(
                    code,
                    errors.text_field(error.get("Message")) or "",
                    request_id,
                    attempts=attempt,
                )
            return Answer(response, request_id, attempt)


def _may_retry(attempt: int, deadline: float) -> bool:
    """Back off (with full jitter) if another attempt fits before the deadline."""
    if attempt >= MAX_ATTEMPTS:
        return False
    pause = random.uniform(0, BACKOFF_BASE * 2 ** (attempt - 1))
    if time.monotonic() + pause >= deadline:
        return False
    time.sleep(pause)
    return True


def _transport_failure(
    exc: requests.RequestException, settings: Settings, attempts: int
) -> ConnectorError:
    """The ConnectorError for a request that got no usable answer, with its delivery state."""
    host = settings.host
    data: dict[str, Any] = {"attempts": attempts, "endpoint": settings.endpoint}
    if isinstance(exc, requests.exceptions.SSLError):
        if _certificate_problem(exc):
            return ConnectorError(
                ErrorCode.INVALID_CONFIG,
                f"TLS verification of {host} failed, so nothing was sent; for a private "
                "endpoint, set caBundle to the PEM file of its CA",
                {**data, "delivery": "not_sent", "reason": "tls"},
            )
        return ConnectorError(
            ErrorCode.GENERAL,
            f"the TLS handshake with {host} failed ({_ssl_reason(exc)}), so nothing was sent; "
            "is the endpoint an https server?",
            {**data, "delivery": "not_sent", "reason": "tls"},
        )
    if isinstance(exc, _NEVER_SENT):
        return ConnectorError(
            ErrorCode.GENERAL,
            f"the request to {host} could not be made ({type(exc).__name__}); not sent",
            {**data, "delivery": "not_sent", "reason": "local"},
        )
    if _never_connected(exc):
        return ConnectorError(
            ErrorCode.GENERAL,
            f"could not reach Tencent at {host} after {attempts} attempt(s); not sent",
            {**data, "delivery": "not_sent", "reason": "connect"},
        )
    reason = "timeout" if _timed_out(exc) else "connection"
    what = "no answer in time" if reason == "timeout" else "the connection broke before an answer"
    return ConnectorError(
        ErrorCode.GENERAL,
        f"{what} from {host}; delivery is unknown (the message may have been sent), "
        "so it was not retried",
        {**data, "delivery": "unknown", "reason": reason},
    )


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps: the arguments and causes requests and urllib3 chain."""
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        item = stack.pop()
        if not isinstance(item, BaseException) or id(item) in seen:
            continue
        seen.add(id(item))
        yield item
        stack.extend(item.args)
        stack.extend((getattr(item, "reason", None), item.__cause__, item.__context__))


def _certificate_problem(exc: BaseException) -> bool:
    """True when a certificate was refused or the CA file could not be used (X509, PEM)."""
    return any(
        isinstance(e, (ssl.SSLCertVerificationError, CertificateError))
        or (isinstance(e, ssl.SSLError) and getattr(e, "library", None) in ("X509", "PEM"))
        for e in _causes(exc)
    )


def _ssl_reason(exc: BaseException) -> str:
    """OpenSSL's short reason (e.g. ``WRONG_VERSION_NUMBER``), or the exception's class."""
    for e in _causes(exc):
        if isinstance(e, ssl.SSLError) and getattr(e, "reason", None):
            return str(e.reason)
    return type(exc).__name__


#: requests refuses these before opening a connection.
_NEVER_SENT = (
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidHeader,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidSchema,
)


def _never_connected(exc: requests.RequestException) -> bool:
    """True when the request certainly never left this machine."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(exc, requests.exceptions.ConnectionError):
        return False
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, urllib3.exceptions.MaxRetryError):
        reason = reason.reason
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _timed_out(exc: requests.RequestException) -> bool:
    """True for a read timeout, including one while reading the body (which requests reports
    as a ConnectionError wrapping urllib3's ReadTimeoutError)."""
    if isinstance(exc, requests.exceptions.Timeout):
        return True
    reason = exc.args[0] if exc.args else None
    return isinstance(reason, urllib3.exceptions.ReadTimeoutError)


def _parse(status: int, content_type: str | None, raw: bytes, attempts: int) -> Mapping[str, Any]:
    """Tencent's ``Response`` object, or ``invalid_response`` / unknown delivery."""
    if status != 200:
        raise ConnectorError(
            ErrorCode.GENERAL,
            f"Tencent answered HTTP {status}; delivery is unknown (the message may have been "
            "sent), so it was not retried",
            {"httpStatus": status, "delivery": "unknown", "attempts": attempts},
        )
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError):
        document = None
    response = document.get("Response") if isinstance(document, dict) else None
    if not isinstance(response, dict):
        raise ConnectorError(
            ErrorCode.INVALID_RESPONSE,
            "Tencent's answer was not a SendSms response (no Response object); delivery is unknown",
            {
                "httpStatus": status,
                "contentType": content_type,
                "delivery": "unknown",
                "attempts": attempts,
            },
        )
    return response


# -- one deadline for the whole answer ------------------------------------------------------
#
# A read timeout bounds each wait for the next bytes, not the whole answer: a server that
# trickles one byte per second would hold a send (and the user at the login page) for as long
# as it likes.  While a send is in flight its deadline sits in _DEADLINE, and the responses of
# this client's connections read the socket through _DeadlineReader, which never waits past it.

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "sendsms_deadline", default=None
)
_MIN_TIMEOUT = 0.001


class _DeadlineReader(io.RawIOBase):
    """Reads a socket with each wait cut to what is left before the deadline."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        super().__init__()
        self._sock = sock
        self._deadline = deadline
        self._timeout = sock.gettimeout()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        left = self._deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the send's deadline passed while reading the answer")
        self._sock.settimeout(left if self._timeout is None else min(self._timeout, left))
        return self._sock.recv_into(buffer)


class _DeadlineResponse(http.client.HTTPResponse):
    """An http.client response whose reads stop at the send's deadline."""

    def __init__(
        self,
        sock: socket.socket,
        debuglevel: int = 0,
        method: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(sock, debuglevel, method, url)
        deadline = _DEADLINE.get()
        if deadline is not None:
            self.fp.close()  # the plain socket file made above; nothing was read from it yet
            self.fp = io.BufferedReader(_DeadlineReader(sock, deadline))


class _HTTPConnection(urllib3.connection.HTTPConnection):
    response_class = _DeadlineResponse


class _HTTPSConnection(urllib3.connection.HTTPSConnection):
    response_class = _DeadlineResponse

    def connect(self) -> None:
        try:
            super().connect()
        except urllib3.exceptions.HTTPError:
            raise  # the TCP connection itself failed: urllib3 already says so
        except (ssl.SSLCertVerificationError, CertificateError):
            raise  # a certificate was refused: retrying cannot help, the CA hint can
        except (TimeoutError, ConnectionError, ssl.SSLEOFError, ssl.SSLZeroReturnError) as exc:
            # No answer, a reset or a close before the handshake finished: the request was
            # never written, so this counts as a connection that was never made (retried).
            raise urllib3.exceptions.NewConnectionError(
                self, f"the TLS handshake did not complete ({type(exc).__name__})"
            ) from exc


class _HTTPPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS: dict[str, type[urllib3.HTTPConnectionPool]] = {"http": _HTTPPool, "https": _HTTPSPool}


class _DeadlineAdapter(requests.adapters.HTTPAdapter):
    """requests' adapter, with connections whose answers honour the send's deadline.

    It also remembers the connection pool for the one endpoint a client talks to: finding it
    again re-parses the URL and rebuilds the pool key on every request (requests' own work,
    about a tenth of a send's CPU).  Requests through a proxy take the usual path.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._pools: dict[tuple[Any, ...], urllib3.connectionpool.ConnectionPool] = {}
        super().__init__(*args, **kwargs)

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: bool | str | None,
        proxies: Mapping[str, str] | None = None,
        cert: Any = None,
    ) -> urllib3.connectionpool.ConnectionPool:
        if proxies:
            return super().get_connection_with_tls_context(request, verify, proxies, cert)
        key = (request.url, verify, cert)
        pool = self._pools.get(key)
        if pool is None:
            pool = super().get_connection_with_tls_context(request, verify, proxies, cert)
            self._pools[key] = pool
        return pool

    def close(self) -> None:
        self._pools.clear()
        super().close()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> urllib3.ProxyManager:
        manager: urllib3.ProxyManager = super().proxy_manager_for(proxy, **kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager
