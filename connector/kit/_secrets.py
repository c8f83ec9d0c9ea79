"""Which parts of a config are secret, and a copy of a config with those parts masked.

A connector marks a secret twice: ``isConfidential`` on its form item (what a console
renders) and ``writeOnly`` in its config schema (what a validator sees).  Either one is enough
here, so a connector that forgets one marker still has its secret kept out of every display.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: What a masked secret shows instead of its value.
SECRET_MASK = "********"

#: A path into a config: object keys, with ``"*"`` for every item of an array.
SecretPath = tuple[str, ...]

_MAX_DEPTH = 32  # a schema nested deeper than this is not a config form


def secret_paths(metadata: Mapping[str, Any], schema: Mapping[str, Any]) -> frozenset[SecretPath]:
    """Every path of a config that holds a secret: form items marked ``isConfidential`` and
    schema properties marked ``writeOnly`` (local ``$ref``\\s followed, ``"*"`` for array items)."""
    paths: set[SecretPath] = {
        (str(item["key"]),)
        for item in metadata.get("formItems") or ()
        if isinstance(item, Mapping) and item.get("isConfidential") and "key" in item
    }
    _collect(schema, schema, (), paths, 0)
    return frozenset(paths)


def _collect(
    root: Mapping[str, Any],
    node: object,
    at: SecretPath,
    out: set[SecretPath],
    depth: int,
) -> None:
    if not isinstance(node, Mapping) or depth > _MAX_DEPTH:
        return
    if node.get("writeOnly") is True and at:
        out.add(at)
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: object = root
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, Mapping) else None
        _collect(root, target, at, out, depth + 1)
    for key, sub in (node.get("properties") or {}).items():
        _collect(root, sub, (*at, str(key)), out, depth + 1)
    _collect(root, node.get("items"), (*at, "*"), out, depth + 1)
    for keyword in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(keyword) or ():
            _collect(root, sub, at, out, depth + 1)
    for keyword in ("then", "else"):
        _collect(root, node.get(keyword), at, out, depth + 1)


def mask_secrets(config: Mapping[str, Any], paths: frozenset[SecretPath]) -> dict[str, Any]:
    """A deep copy of ``config`` in which every value at a secret path is :data:`SECRET_MASK`
    (an empty or missing secret stays as it is, so a reader sees which ones are set)."""
    masked = _mask(config, paths, ())
    assert isinstance(masked, dict)
    return masked


def _mask(value: object, paths: frozenset[SecretPath], at: SecretPath) -> object:
    if at in paths and value not in (None, ""):
        return SECRET_MASK
    if isinstance(value, Mapping):
        return {str(k): _mask(v, paths, (*at, str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, paths, (*at, "*")) for v in value]
    return value
