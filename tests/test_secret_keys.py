"""Which config keys are secrets (``secret_keys``) and masking them (``mask_secrets``)."""

from __future__ import annotations

import copy
from typing import Any

from connector.kit import MASK, ConnectorHost, ConnectorMetadata, mask_secrets, secret_keys


def test_the_tencent_secret_is_found_and_masked(
    host: ConnectorHost, logto_config: dict[str, Any]
) -> None:
    cid = "tencent-short-message-service"
    keys = secret_keys(host.metadata(cid), host.config_schema(cid))
    assert keys == {"accessKeySecret"}
    original = copy.deepcopy(logto_config)
    masked = mask_secrets(logto_config, keys)
    assert masked == {**original, "accessKeySecret": MASK}
    assert logto_config == original  # the caller's config is left alone


def test_either_marker_is_enough_and_an_empty_secret_shows_as_unset(
    host: ConnectorHost,
) -> None:
    metadata: ConnectorMetadata = copy.deepcopy(host.metadata("tencent-short-message-service"))
    metadata["formItems"] = [
        {"key": "webhookSecret", "label": "Webhook secret", "type": "Text", "isConfidential": True}
    ]
    schema = {"properties": {"apiKey": {"type": "string", "writeOnly": True}, "plain": {}}}
    keys = secret_keys(metadata, schema)
    assert keys == {"webhookSecret", "apiKey"}
    config = {"apiKey": "", "webhookSecret": "w1", "plain": "visible"}
    assert mask_secrets(config, keys) == {"apiKey": "", "webhookSecret": MASK, "plain": "visible"}
