"""Remember, across processes, which connectors already passed the load-time checks.

Checking metadata and a config schema needs jsonschema, whose import alone costs more than
everything else ``logto-connector list`` does.  The checks are pure functions of the
documents, so a pass is remembered as an empty marker file named by the digest of exactly
what was checked (the documents, the metadata schema and this package's version).  Any change
to any of them is a new digest and a new check; a failure is never remembered.

The folder is ``$LOGTO_CONNECTOR_CACHE_DIR``, else ``$XDG_CACHE_HOME/logto-connector``, else
``~/.cache/logto-connector``.  Set ``LOGTO_CONNECTOR_CACHE_DIR=off`` to check every time.  A
folder that cannot be written only means checking every time.
"""

from __future__ import annotations

import os
from pathlib import Path

from .. import __version__
from ._cache import config_fingerprint


def _folder() -> Path | None:
    explicit = os.environ.get("LOGTO_CONNECTOR_CACHE_DIR")
    if explicit is not None:
        return None if explicit in ("", "off", "0") else Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "logto-connector")


def digest(*documents: object) -> str | None:
    """The digest of the documents as JSON; ``None`` if one of them is not plain JSON."""
    key = config_fingerprint([__version__, *documents])
    return None if key is None else key.hex()


def passed_before(key: str | None) -> bool:
    """Whether the checks behind ``key`` passed in this or an earlier process."""
    folder = _folder()
    return key is not None and folder is not None and (folder / f"checked-{key}").exists()


def remember(key: str | None) -> None:
    """Record that the checks behind ``key`` passed (silently skipped if it cannot be)."""
    folder = _folder()
    if key is None or folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"checked-{key}").touch()
    except OSError:
        pass
