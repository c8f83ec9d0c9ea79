"""The keys that seal configs at rest (AES-256-GCM) and where they come from.

A key ring is an ordered list of 32-byte keys: the first seals every new version, any of them
opens an old one.  Each sealed version records the id of its key (a digest of the key, never
the key), so a store knows which key it needs and says so when it is missing.  Keys come from
``LOGTO_CONNECTOR_KEY`` (base64; several separated by commas, newest first) or from a key file
(one base64 key per line, newest first), created with mode 0600 on first use.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import stat
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ._types import StoreError

KEY_ENV = "LOGTO_CONNECTOR_KEY"
KEY_BYTES = 32
_NONCE_BYTES = 12
#: HKDF's info for the key that digests receipts' phone numbers (never the sealing key itself).
_NUMBER_KEY_INFO = b"logto-connector receipt number digest v1"
MAKE_KEY_HINT = "python3 -c 'import base64, os; print(base64.b64encode(os.urandom(32)).decode())'"


def key_id(key: bytes) -> str:
    """A short public name for a key: 16 hex digits of a domain-separated SHA-256."""
    return hashlib.sha256(b"logto-connector key id\0" + key).hexdigest()[:16]


def new_key() -> bytes:
    """A fresh random 32-byte key."""
    return secrets.token_bytes(KEY_BYTES)


def encode_key(key: bytes) -> str:
    """A key as its file and environment form (standard base64)."""
    return base64.b64encode(key).decode("ascii")


def decode_key(text: str, where: str) -> bytes:
    """A key from its base64 form; StoreError naming ``where`` when it is not one."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise StoreError(
            f"{where} does not hold a key "
            f"(base64 of 32 random bytes; make one with {MAKE_KEY_HINT})"
        )
    return key


class KeyRing:
    """Keys by id; :meth:`seal` uses the first, :meth:`open` any.  ``source`` says where they
    came from (for messages; a key file is read again when a version names a key not held)."""

    def __init__(
        self,
        keys: Sequence[bytes],
        source: str,
        path: Path | None = None,
        stamp: tuple[int, int, int] | None = None,
    ) -> None:
        if not keys:
            raise StoreError(f"{source} holds no key")
        self._stamp = stamp  # the key file as read: (inode, mtime in ns, size)
        self._keys = {key_id(k): k for k in keys}
        self.current_id = key_id(keys[0])
        self.source = source
        self.path = path
        self._number_key = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=_NUMBER_KEY_INFO
        ).derive(keys[0])

    def __repr__(self) -> str:
        return f"KeyRing(ids={list(self._keys)}, source={self.source!r})"

    def keys(self) -> list[bytes]:
        """Every key held, the sealing one first."""
        return list(self._keys.values())

    @property
    def ids(self) -> list[str]:
        """Every key id held, the sealing one first."""
        return list(self._keys)

    def seal(self, plaintext: bytes, context: bytes) -> tuple[str, bytes]:
        """Encrypt under the first key; ``context`` is authenticated, not stored.  Returns the
        key id and nonce + ciphertext."""
        nonce = secrets.token_bytes(_NONCE_BYTES)
        sealed = AESGCM(self._keys[self.current_id]).encrypt(nonce, plaintext, context)
        return self.current_id, nonce + sealed

    def number_digest(self, number: str) -> str:
        """A phone number as a keyed HMAC-SHA256 (hex) under a key derived (HKDF) from the
        sealing key: stable for one key, useless for guessing numbers without the key."""
        return hmac.new(self._number_key, number.encode("utf-8"), hashlib.sha256).hexdigest()

    def fresh(self) -> KeyRing:
        """This ring, or the key file read again when it changed since (a rotation in another
        process put a new sealing key first and dropped the old one: sealing with the old one
        now would make a version no process can open)."""
        if self.path is None or self._stamp is None:
            return self
        try:
            changed = _stamp(self.path.stat()) != self._stamp
        except OSError:
            return self  # gone for a moment (being replaced): the next save looks again
        return read_key_file(self.path) if changed else self

    def holds(self, kid: str) -> bool:
        """Whether the key with id ``kid`` is in this ring."""
        return kid in self._keys

    def open(self, kid: str, blob: bytes, context: bytes, what: str) -> bytes:
        """Decrypt what :meth:`seal` made; StoreError when the key is missing or the data was
        changed (``what`` names the record in the message)."""
        key = self._keys.get(kid)
        if key is None:
            raise StoreError(
                f"{what} is sealed with key {kid}, which {self.source} does not hold "
                f"(it holds {', '.join(self.ids)}); give the key it was saved with"
            )
        try:
            return AESGCM(key).decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], context)
        except InvalidTag:
            raise StoreError(f"{what} is damaged or was altered (it does not decrypt)") from None


def context_of(name: str, version: int, connector_id: str) -> bytes:
    """What a sealed document is bound to: moving it to another row makes it unreadable."""
    return json.dumps([name, version, connector_id]).encode("utf-8")


def ring_from_env() -> KeyRing | None:
    """The ring named by ``LOGTO_CONNECTOR_KEY``, or None when it is unset or empty."""
    text = os.environ.get(KEY_ENV, "").strip()
    if not text:
        return None
    keys = [decode_key(part, KEY_ENV) for part in text.split(",") if part.strip()]
    return KeyRing(keys, KEY_ENV)


def read_key_file(path: Path) -> KeyRing:
    """The ring in a key file; StoreError when it is unreadable, not a key, or readable by
    others (a key anyone on the machine can read protects nothing)."""
    where = f"key file {str(path)!r}"
    try:
        info = path.stat()
        text = path.read_text("ascii")
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or type(exc).__name__
        raise StoreError(f"cannot read {where}: {reason}") from None
    if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise StoreError(f"{where} is readable by other users; chmod 600 it")
    lines = [line.strip() for line in text.splitlines()]
    keys = [decode_key(line, where) for line in lines if line and not line.startswith("#")]
    return KeyRing(keys, where, path, _stamp(info))


def _stamp(info: os.stat_result) -> tuple[int, int, int]:
    return (info.st_ino, info.st_mtime_ns, info.st_size)


def write_key_file(path: Path, keys: Sequence[bytes], *, replace: bool) -> None:
    """Write ``keys`` (newest first) to ``path`` with mode 0600, whole or not at all.  Without
    ``replace``, an existing file wins (two processes starting at once share one key)."""
    body = "".join(encode_key(k) + "\n" for k in keys)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        if replace:
            os.replace(tmp, path)
        else:
            # link fails when the file exists: a key is never overwritten by accident.
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
    except OSError as exc:
        raise StoreError(f"cannot write key file {str(path)!r}: {exc.strerror}") from None
    finally:
        tmp.unlink(missing_ok=True)
