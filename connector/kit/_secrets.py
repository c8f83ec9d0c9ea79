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

_MAX_DEPTH = 32  # a config form nested deeper than this is not a form


def secret_paths(metadata: Mapping[str, Any], schema: Mapping[str, Any]) -> frozenset[SecretPath]:
    """Every path of a config that holds a secret: form items marked ``isConfidential`` and
    schema properties marked ``writeOnly`` (local ``$ref``\\s followed, each once per branch so
    that a recursive schema ends; ``"*"`` for array items)."""
    paths: set[SecretPath] = {
        (str(item["key"]),)
        for item in metadata.get("formItems") or ()
        if isinstance(item, Mapping) and item.get("isConfidential") and "key" in item
    }
    _collect(schema, schema, (), paths, ())
    return frozenset(paths)


def _collect(
    root: Mapping[str, Any],
    node: object,
    at: SecretPath,
    out: set[SecretPath],
    expanding: tuple[str, ...],
) -> None:
    # ``expanding``: the $refs being followed on this branch; a recursive schema (a tree of
    # nodes) is walked through once, not until the depth limit, which could take forever.
    if not isinstance(node, Mapping) or len(at) > _MAX_DEPTH:
        return
    if node.get("writeOnly") is True and at:
        out.add(at)
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and ref not in expanding:
        target: object = root
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, Mapping) else None
        _collect(root, target, at, out, (*expanding, ref))
    properties = node.get("properties")
    if isinstance(properties, Mapping):
        for key, sub in properties.items():
            _collect(root, sub, (*at, str(key)), out, expanding)
    _collect(root, node.get("items"), (*at, "*"), out, expanding)
    for keyword in ("allOf", "anyOf", "oneOf"):
        subs = node.get(keyword)
        for sub in subs if isinstance(subs, list) else ():
            _collect(root, sub, at, out, expanding)
    for keyword in ("then", "else"):
        _collect(root, node.get(keyword), at, out, expanding)


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
