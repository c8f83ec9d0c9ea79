"""Which config values are secrets, and how to keep them out of what a person sees.

A secret is a top-level config key that the connector marks ``isConfidential`` in its form
items or ``writeOnly`` in its config schema.  Consoles and command lines that show a stored
config use these helpers, so every caller masks the same keys the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._types import ConnectorMetadata

#: What a masked secret shows instead of its value.
MASK = "********"


def secret_keys(metadata: ConnectorMetadata, schema: Mapping[str, Any]) -> frozenset[str]:
    """The config keys whose values are secrets (``isConfidential`` or ``writeOnly``)."""
    keys = {item["key"] for item in metadata.get("formItems", []) if item.get("isConfidential")}
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        keys.update(
            str(key)
            for key, sub in properties.items()
            if isinstance(sub, Mapping) and sub.get("writeOnly")
        )
    return frozenset(keys)


def mask_secrets(config: Mapping[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    """A copy of ``config`` with each secret that is set replaced by :data:`MASK`."""
    return {
        key: MASK if key in keys and value not in (None, "") else value
        for key, value in config.items()
    }


def without_secrets(config: Mapping[str, Any], keys: frozenset[str]) -> dict[str, Any]:
    """A copy of ``config`` without its secrets (what a write-only form may send back)."""
    return {key: value for key, value in config.items() if key not in keys}


def keep_secrets(
    edited: Mapping[str, Any], stored: Mapping[str, Any] | None, keys: frozenset[str]
) -> dict[str, Any]:
    """``edited`` with every secret it leaves out or empty taken from ``stored``.

    A write-only form never receives a saved secret, so an empty secret field means "keep
    the one that is set", not "clear it".
    """
    merged = dict(edited)
    for key in keys:
        if merged.get(key) in (None, "") and stored is not None and key in stored:
            merged[key] = stored[key]
    return merged
