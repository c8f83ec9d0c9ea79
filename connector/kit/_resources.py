"""The package's data files (schemas, metadata), wherever the package is installed.

In a wheel they live in ``connector/_data``; in a source checkout or an editable install they
are the repository's top-level ``schemas/`` and ``metadata/`` folders.  One function hides the
difference so no caller depends on the working directory.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any


@functools.lru_cache(maxsize=None)
def data_root(kind: str) -> Traversable:
    """The folder holding ``kind`` (``"schemas"`` or ``"metadata"``)."""
    packaged = resources.files("connector") / "_data" / kind
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / kind


def read_bytes(kind: str, *parts: str) -> bytes:
    """The bytes of one data file, e.g. ``read_bytes("metadata", "tencent-sms", "logo.svg")``."""
    node = data_root(kind)
    for part in parts:
        node = node / part
    return node.read_bytes()


@functools.lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in ``schemas/``, parsed once."""
    schema: dict[str, Any] = json.loads(read_bytes("schemas", name))
    return schema
