"""TC3-HMAC-SHA256: the request signature of Tencent Cloud API 3.0.

One module for both sides: the Tencent connector signs with it and the emulator verifies
with it.  It imports nothing but the standard library, so the emulator needs neither the kit
nor the connector.

The signature covers the exact body bytes, so callers serialise a body once, sign those
bytes and send those bytes.  Everything here is pure (no clock, no I/O): the timestamp is an
argument, which is what lets the test vectors and the emulator use the same code.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ALGORITHM = "TC3-HMAC-SHA256"
DEFAULT_SIGNED_HEADERS = ("content-type", "host")


@dataclass(frozen=True)
class SignedParts:
    """Every intermediate value of one signature, for tests and for a verifier's diagnostics."""

    canonical_request: str
    string_to_sign: str
    credential_scope: str
    signed_headers: str
    signature: str
    authorization: str


def utc_date(timestamp: int) -> str:
    """The UTC calendar date (YYYY-MM-DD) of a unix timestamp: the date the scope uses."""
    return time.strftime("%Y-%m-%d", time.gmtime(timestamp))


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def signing_key(secret_key: str, date: str, service: str) -> bytes:
    """kSigning = HMAC(HMAC(HMAC("TC3" + SecretKey, date), service), "tc3_request")."""
    k_date = _hmac(("TC3" + secret_key).encode("utf-8"), date)
    k_service = _hmac(k_date, service)
    return _hmac(k_service, "tc3_request")


def canonical_request(
    method: str,
    headers: Mapping[str, str],
    signed_headers: Sequence[str],
    body: bytes,
    *,
    path: str = "/",
    query: str = "",
) -> str:
    """The canonical request over the headers named in ``signed_headers``.

    Header names are matched case-insensitively; each value is trimmed and lowercased, as the
    TC3 rules say.  A name listed but absent is signed with an empty value, so a verifier that
    rebuilds a request from a client's SignedHeaders reaches the same string a client would.
    """
    return _canonical_head(method, headers, signed_headers, path, query) + _hex(body)


def _canonical_head(
    method: str, headers: Mapping[str, str], signed_headers: Sequence[str], path: str, query: str
) -> str:
    """The canonical request up to (not including) the hash of the body."""
    lowered = {name.lower(): value for name, value in headers.items()}
    names = sorted(name.lower() for name in signed_headers)
    header_lines = "".join(f"{name}:{lowered.get(name, '').strip().lower()}\n" for name in names)
    return f"{method.upper()}\n{path}\n{query}\n{header_lines}\n{';'.join(names)}\n"


def _hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _scope(date: str, service: str) -> str:
    return f"{date}/{service}/tc3_request"


def _string_to_sign(timestamp: int, scope: str, canonical: str) -> str:
    return f"{ALGORITHM}\n{timestamp}\n{scope}\n{_hex(canonical.encode('utf-8'))}"


def _signature(key: bytes, string_to_sign: str) -> str:
    return hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def _authorization(secret_id: str, scope: str, names: str, signature: str) -> str:
    return (
        f"{ALGORITHM} Credential={secret_id}/{scope}, SignedHeaders={names}, Signature={signature}"
    )


def sign(
    *,
    secret_id: str,
    secret_key: str,
    service: str,
    timestamp: int,
    headers: Mapping[str, str],
    body: bytes,
    method: str = "POST",
    signed_headers: Sequence[str] = DEFAULT_SIGNED_HEADERS,
    path: str = "/",
    query: str = "",
) -> SignedParts:
    """Sign one request and return the Authorization header with every step that led to it."""
    date = utc_date(timestamp)
    scope = _scope(date, service)
    names = ";".join(sorted(name.lower() for name in signed_headers))
    creq = canonical_request(method, headers, signed_headers, body, path=path, query=query)
    string_to_sign = _string_to_sign(timestamp, scope, creq)
    signature = _signature(signing_key(secret_key, date, service), string_to_sign)
    authorization = _authorization(secret_id, scope, names, signature)
    return SignedParts(creq, string_to_sign, scope, names, signature, authorization)


@dataclass(frozen=True)
class Authorization:
    """A parsed ``Authorization`` header (what a verifier needs to rebuild the signature)."""

    secret_id: str
    date: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_authorization(value: str) -> Authorization | None:
    """Parse a TC3 Authorization header; ``None`` when it is not one."""
    prefix = ALGORITHM + " "
    if not value.startswith(prefix):
        return None
    fields: dict[str, str] = {}
    for part in value[len(prefix) :].split(","):
        key, sep, val = part.strip().partition("=")
        if not sep:
            return None
        fields[key] = val
    try:
        secret_id, date, service, terminator = fields["Credential"].split("/")
        signed = tuple(fields["SignedHeaders"].split(";"))
        signature = fields["Signature"]
    except (KeyError, ValueError):
        return None
    if terminator != "tc3_request" or not all(signed) or not signature:
        return None
    return Authorization(secret_id, date, service, signed, signature)


class Signer:
    """Signs request after request for one credential, host and content type.

    Equal to :func:`sign` with the default signed headers (``content-type;host``), but
    derives the signing key once per UTC day and builds the fixed part of the canonical
    request once, since a client signs every send with the same values.
    """

    def __init__(
        self, *, secret_id: str, secret_key: str, service: str, host: str, content_type: str
    ) -> None:
        self._secret_id = secret_id
        self._secret_key = secret_key
        self._service = service
        self._canonical_head = _canonical_head(
            "POST", {"content-type": content_type, "host": host}, DEFAULT_SIGNED_HEADERS, "/", ""
        )
        # One tuple, replaced whole, so threads never pair one day's date with another's key.
        self._dated_key: tuple[str, bytes] = ("", b"")

    def __repr__(self) -> str:
        return f"Signer(secret_id={self._secret_id!r}, service={self._service!r})"

    def authorization(self, body: bytes, timestamp: int) -> str:
        """The Authorization header for ``body`` sent at ``timestamp``."""
        date = utc_date(timestamp)
        key_date, key = self._dated_key
        if key_date != date:  # a new day: derive again (a race only repeats the work)
            key = signing_key(self._secret_key, date, self._service)
            self._dated_key = (date, key)
        scope = _scope(date, self._service)
        string_to_sign = _string_to_sign(timestamp, scope, self._canonical_head + _hex(body))
        names = ";".join(DEFAULT_SIGNED_HEADERS)
        return _authorization(self._secret_id, scope, names, _signature(key, string_to_sign))
