"""Which parts of a config are secret (``secret_paths``) and masking them (``mask_secrets``)."""

from __future__ import annotations

import copy
from typing import Any

from connector.kit import SECRET_MASK, ConnectorHost, mask_secrets, secret_paths


def test_the_tencent_secret_is_found_and_masked(
    host: ConnectorHost, logto_config: dict[str, Any]
) -> None:
    cid = "tencent-short-message-service"
    paths = secret_paths(host.metadata(cid), host.config_schema(cid))
    assert paths == {("accessKeySecret",)}
    original = copy.deepcopy(logto_config)
    masked = mask_secrets(logto_config, paths)
    assert masked["accessKeySecret"] == SECRET_MASK
    assert {k: v for k, v in masked.items() if k != "accessKeySecret"} == {
        k: v for k, v in original.items() if k != "accessKeySecret"
    }
    assert logto_config == original  # the caller's config is left alone


SCHEMA: dict[str, Any] = {
    "type": "object",
    "$defs": {
        "token": {"type": "string", "writeOnly": True},
        "account": {"type": "object", "properties": {"password": {"$ref": "#/$defs/token"}}},
    },
    "properties": {
        "apiKey": {"$ref": "#/$defs/token"},
        "accounts": {"type": "array", "items": {"$ref": "#/$defs/account"}},
        "backup": {"allOf": [{"$ref": "#/$defs/account"}]},
        "plain": {"type": "string"},
    },
}


def test_nested_secrets_behind_refs_arrays_and_form_items() -> None:
    metadata = {"formItems": [{"key": "webhookSecret", "isConfidential": True}, {"key": "plain"}]}
    paths = secret_paths(metadata, SCHEMA)
    assert paths == {
        ("webhookSecret",),
        ("apiKey",),
        ("accounts", "*", "password"),
        ("backup", "password"),
    }
    config = {
        "apiKey": "k1",
        "webhookSecret": "w1",
        "accounts": [{"password": "p1", "user": "a"}, {"user": "b"}],
        "backup": {"password": "p2"},
        "plain": "visible",
    }
    assert mask_secrets(config, paths) == {
        "apiKey": SECRET_MASK,
        "webhookSecret": SECRET_MASK,
        "accounts": [{"password": SECRET_MASK, "user": "a"}, {"user": "b"}],
        "backup": {"password": SECRET_MASK},
        "plain": "visible",
    }


def test_an_empty_secret_shows_as_unset() -> None:
    paths = secret_paths({}, SCHEMA)
    assert mask_secrets({"apiKey": ""}, paths) == {"apiKey": ""}
    assert mask_secrets({"apiKey": None}, paths) == {"apiKey": None}


def test_a_recursive_schema_is_walked_once() -> None:
    # A tree: every node has two children.  Followed blindly, it never ends; each $ref is
    # followed once per branch (config forms are not recursive).
    node = {
        "properties": {
            "key": {"writeOnly": True},
            "left": {"$ref": "#/$defs/node"},
            "right": {"$ref": "#/$defs/node"},
        }
    }
    tree: dict[str, Any] = {"$defs": {"node": node}, "$ref": "#/$defs/node"}
    assert secret_paths({}, tree) == {("key",)}
