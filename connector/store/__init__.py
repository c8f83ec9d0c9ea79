"""Where connector configs live: named, versioned, sealed at rest.

Every save of a named config is a new version with its time and a note; nothing is
overwritten, and an old version is restored by saving a copy of it.  Documents are encrypted
with AES-256-GCM under a key from ``LOGTO_CONNECTOR_KEY`` or a key file beside the database.
The store keeps JSON documents and knows no connector: masking secrets for display is the
caller's job (``connector.kit.mask_secrets``).

    store = open_store("configs.db")   # SQLite, created on first use, key file configs.db.key
    store = open_store("postgresql://gw@db.internal/connector")   # shared by every machine
    store.save("default", "tencent-short-message-service", config, note="first")
    store.latest("default").config     # the config, decrypted
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from ._keys import KEY_ENV, KeyRing, decode_key, key_id, new_key
from ._rotate import Rotation, rotate_key
from ._sqlite import MIGRATIONS, SqliteStore, default_key_path
from ._types import (
    DEFAULT_NAME,
    ConfigStore,
    ConfigVersion,
    StoredReceipt,
    StoreError,
    check_name,
)

__all__ = [
    "DEFAULT_NAME",
    "KEY_ENV",
    "MIGRATIONS",
    "ConfigStore",
    "ConfigVersion",
    "KeyRing",
    "Rotation",
    "SqliteStore",
    "StoreError",
    "StoredReceipt",
    "check_name",
    "decode_key",
    "default_key_path",
    "key_id",
    "new_key",
    "open_store",
    "rotate_key",
]


def open_store(
    where: str | os.PathLike[str],
    *,
    key: bytes | KeyRing | None = None,
    key_file: str | os.PathLike[str] | None = None,
) -> ConfigStore:
    """Open (or create) the store at ``where``: a file path for SQLite, a ``postgresql://``
    URL for PostgreSQL (tables in the schema ``logto_connector``, made on first use).

    The key: ``key`` when given; else ``LOGTO_CONNECTOR_KEY``; else ``key_file`` (default:
    the database path plus ``.key``; PostgreSQL has no default), created with mode 0600 when
    the store is new.  Raises :class:`StoreError` with a one-line reason (unreadable file,
    wrong key, newer schema, a server that cannot be reached).
    """
    text = os.fspath(where)
    ring = KeyRing([key], "the key given") if isinstance(key, bytes) else key
    if "://" in text:
        scheme = text.split("://", 1)[0]
        if scheme not in ("postgresql", "postgres"):
            raise StoreError(
                f"{scheme}:// stores are not supported; give a file path (SQLite) or a "
                "postgresql:// URL"
            )
        if importlib.util.find_spec("psycopg") is None:
            raise StoreError("a postgresql:// store needs psycopg: pip install '.[postgresql]'")
        from ._postgres import PostgresStore

        return PostgresStore(text, ring, Path(key_file) if key_file is not None else None)
    if not text:
        raise StoreError("no store path given")
    return SqliteStore(Path(text), ring, Path(key_file) if key_file is not None else None)
