"""The package's data files (schemas, metadata), wherever the package is installed.

In a wheel they live in ``connector/_data``; in a source checkout or an editable install they
are the repository's top-level ``schemas/`` and ``metadata/`` folders.  One function hides the
difference so no caller depends on the working directory.
"""

from __future__ import annotations

import functools
import json
import sys
from importlib import resources
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    from importlib.resources.abc import Traversable
else:  # pragma: no cover - Python 3.10
    from importlib.abc import Traversable


@functools.cache
def data_root(kind: str) -> Traversable:
    """The folder holding ``kind`` (``"schemas"`` or ``"metadata"``)."""
    packaged = resources.files("connector") / "_data" / kind
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / kind


def read_data(kind: str, *parts: str) -> bytes:
    """The bytes of one data file, e.g. ``read_data("metadata", "tencent-sms", "logo.svg")``."""
    node = data_root(kind)
    for part in parts:
        node = node / part
    data: bytes = node.read_bytes()
    return data


@functools.cache
def load_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped in ``schemas/``, parsed once."""
    schema: dict[str, Any] = json.loads(read_data("schemas", name))
    return schema
