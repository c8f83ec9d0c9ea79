"""Who may use the console: its own credential, a signed session cookie, CSRF and a login limit."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.security import check_password_hash

SESSION_COOKIE = "logto_admin_session"
CSRF_COOKIE = "logto_admin_csrf"
SESSION_SECONDS = 8 * 3600


class AdminCredential:
    """The console's own credential: a token, or a password hash (werkzeug's format).

    The gateway's token never opens the console.
    """

    def __init__(self, *, token: str | None = None, password_hash: str | None = None) -> None:
        if not token and not password_hash:
            raise ValueError(
                "the admin console needs LOGTO_CONNECTOR_ADMIN_TOKEN or "
                "LOGTO_CONNECTOR_ADMIN_PASSWORD_HASH"
            )
        self._token = token or None
        self._hash = password_hash or None

    def check(self, offered: str) -> bool:
        """True when ``offered`` is the token or matches the password hash."""
        if self._token is not None:
            return hmac.compare_digest(offered.encode(), self._token.encode())
        assert self._hash is not None
        try:
            return check_password_hash(self._hash, offered)
        except ValueError:  # an unknown hash method
            return False

    def derived_secret(self, key: bytes) -> str:
        """A session secret every worker derives alike from the credential and ``key`` (the
        store's sealing key): the password hash alone, which may sit in an environment file,
        cannot forge a session.

        Changing the credential (or rotating the store's key) ends every session signed
        under the old one.
        """
        material = (self._token or self._hash or "").encode()
        return hmac.new(key, b"logto-connector admin session\0" + material, "sha256").hexdigest()


class Sessions:
    """Signs and reads the session cookie and the CSRF tokens."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="logto-connector-admin")
        self._csrf_key = hashlib.sha256(b"csrf\0" + secret.encode()).digest()

    def new_session(self) -> str:
        """A cookie value for a fresh login."""
        return self._serializer.dumps({"sid": secrets.token_urlsafe(16)})

    def valid(self, cookie: str | None) -> bool:
        """True for a cookie this secret signed less than ``SESSION_SECONDS`` ago."""
        if not cookie:
            return False
        try:
            self._serializer.loads(cookie, max_age=SESSION_SECONDS)
        except BadSignature:  # expired signatures are BadSignature too
            return False
        return True

    @staticmethod
    def new_nonce() -> str:
        """The random value kept in the CSRF cookie."""
        return secrets.token_urlsafe(24)

    def csrf_token(self, nonce: str) -> str:
        """The token a page sends back with every change: bound to this browser's nonce."""
        return hmac.new(self._csrf_key, nonce.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, nonce: str | None, token: str | None) -> bool:
        """True when ``token`` belongs to ``nonce``."""
        if not nonce or not token:
            return False
        return hmac.compare_digest(self.csrf_token(nonce), token)


@dataclass
class LoginLimiter:
    """At most ``attempts`` failed logins per client address in ``window`` seconds.

    Counted in this process: under several workers each keeps its own count, so the bound
    is per worker.
    """

    attempts: int = 5
    window: float = 300.0
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def retry_after(self, client: str) -> int:
        """Seconds until ``client`` may try again (0: now)."""
        now = time.monotonic()
        with self._lock:
            times = self._recent(client, now)
            if len(times) < self.attempts:
                return 0
            return max(1, int(times[0] + self.window - now) + 1)

    def failed(self, client: str) -> None:
        """Count one failed login."""
        now = time.monotonic()
        with self._lock:
            self._recent(client, now).append(now)
            if len(self._failures) > 10_000:  # bound memory under a spray of addresses
                self._failures = {k: v for k, v in self._failures.items() if v}

    def succeeded(self, client: str) -> None:
        """Forget the failures of a client that logged in."""
        with self._lock:
            self._failures.pop(client, None)

    def _recent(self, client: str, now: float) -> deque[float]:
        times = self._failures.setdefault(client, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times
