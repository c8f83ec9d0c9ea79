"""TC3-HMAC-SHA256: Tencent's captured vectors, the documented examples, and the official SDK."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tencentcloud.common.abstract_client import AbstractClient

from connector import signing

VECTORS = Path(__file__).resolve().parent / "data" / "tc3-vectors"
SDK_CAPTURES = sorted(VECTORS.glob("sendsms_vector_*.json"))
DOC_EXAMPLES = json.loads((VECTORS / "tc3_doc_examples.json").read_text("utf-8"))


def test_reference_vectors_are_present() -> None:
    assert len(SDK_CAPTURES) == 3
    assert len(DOC_EXAMPLES) == 5


@pytest.mark.parametrize("path", SDK_CAPTURES, ids=lambda p: p.stem)
def test_reproduces_sdk_capture(path: Path) -> None:
    vector = json.loads(path.read_text("utf-8"))
    inputs, expected = vector["inputs"], vector["expected"]
    wire = dict(expected["wire"]["headers_in_order"])
    body = base64.b64decode(expected["body_base64"])
    parts = signing.sign(
        secret_id=inputs["secret_id"],
        secret_key=inputs["secret_key"],
        service="sms",
        timestamp=inputs["timestamp"],
        headers={"Content-Type": wire["Content-Type"], "Host": wire["Host"]},
        body=body,
    )
    assert parts.canonical_request == expected["canonical_request"]
    assert parts.string_to_sign == expected["string_to_sign"]
    assert parts.credential_scope == expected["credential_scope"]
    assert (
        signing.signing_key(inputs["secret_key"], expected["date"], "sms").hex()
        == (expected["k_signing_hex"])
    )
    assert parts.signature == expected["signature"]
    assert parts.authorization == expected["authorization"] == wire["Authorization"]


def _doc_request(example: dict[str, Any]) -> dict[str, Any]:
    """Rebuild the request of a documented example from its canonical request."""
    lines = example["canonical_request"].split("\n")
    method, path, query = lines[0], lines[1], lines[2]
    headers = {}
    for line in lines[3:]:
        if not line:
            break
        name, _, value = line.partition(":")
        headers[name] = value
    body = example["payload_utf8"].encode("utf-8") if "payload_utf8" in example else b""
    if "action" in example:
        headers["x-tc-action"] = example["action"]  # as sent: mixed case, signed lowercased
    return {
        "method": method,
        "path": path,
        "query": query,
        "headers": headers,
        "body": body,
        "signed_headers": lines[-2].split(";"),
    }


@pytest.mark.parametrize("example", DOC_EXAMPLES, ids=lambda e: e["title"][:40])
def test_reproduces_documented_example(example: dict[str, Any]) -> None:
    request = _doc_request(example)
    parts = signing.sign(
        secret_id=example["secret_id"],
        secret_key=example["secret_key"],
        service=example["authorization"].split("/")[2],
        timestamp=example["timestamp"],
        headers=request["headers"],
        body=request["body"],
        method=request["method"],
        path=request["path"],
        query=request["query"],
        signed_headers=request["signed_headers"],
    )
    assert parts.canonical_request == example["canonical_request"]
    assert parts.string_to_sign == example["string_to_sign"]
    assert parts.authorization == example["authorization"]


def test_credential_date_is_the_utc_date() -> None:
    # 22:13 UTC on the 14th is already the 15th in Beijing; the scope must say the 14th.
    assert signing.utc_date(1700000000) == "2023-11-14"


def test_parse_authorization_round_trip() -> None:
    parts = signing.sign(
        secret_id="AKIDx",
        secret_key="k",
        service="sms",
        timestamp=1,
        headers={"content-type": "application/json", "host": "h"},
        body=b"{}",
    )
    parsed = signing.parse_authorization(parts.authorization)
    assert parsed is not None
    assert (parsed.secret_id, parsed.date, parsed.service) == ("AKIDx", "1970-01-01", "sms")
    assert parsed.signed_headers == ("content-type", "host")
    assert parsed.signature == parts.signature


@pytest.mark.parametrize(
    "value",
    [
        "",
        "Basic abc",
        "TC3-HMAC-SHA256 Credential=a/b/c",
        "TC3-HMAC-SHA256 garbage",
        "TC3-HMAC-SHA256 Credential=a/b/sms/other, SignedHeaders=host, Signature=x",
    ],
)
def test_parse_authorization_refuses_malformed(value: str) -> None:
    assert signing.parse_authorization(value) is None


_hosts = st.builds(
    lambda name, port: name if port is None else f"{name}:{port}",
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?(\.[a-z0-9]{1,10}){0,3}", fullmatch=True),
    st.none() | st.integers(1, 65535),
)


@settings(max_examples=300, deadline=None)
@given(
    secret_key=st.text(min_size=1, max_size=64),
    timestamp=st.integers(0, 4_102_444_800),
    host=_hosts,
    body=st.dictionaries(st.text(max_size=10), st.text(max_size=40), max_size=5),
    ensure_ascii=st.booleans(),
)
def test_agrees_with_official_sdk_signer(
    secret_key: str, timestamp: int, host: str, body: dict[str, str], ensure_ascii: bool
) -> None:
    data = json.dumps(body, ensure_ascii=ensure_ascii)
    request = SimpleNamespace(
        method="POST",
        uri="/",
        data=data,
        header={"Content-Type": "application/json", "Host": host, "X-TC-Timestamp": str(timestamp)},
    )
    date = signing.utc_date(timestamp)
    expected = AbstractClient._get_tc3_signature(  # the SDK's own signer
        None, {}, request, date, "sms", secret_key
    )
    ours = signing.sign(
        secret_id="AKID",
        secret_key=secret_key,
        service="sms",
        timestamp=timestamp,
        headers=request.header,
        body=data.encode("utf-8"),
    )
    assert ours.signature == expected


@settings(max_examples=200, deadline=None)
@given(
    secret_key=st.text(min_size=1, max_size=40),
    timestamps=st.lists(st.integers(0, 4_102_444_800), min_size=1, max_size=4),
    host=_hosts,
    body=st.binary(max_size=200),
)
def test_signer_equals_sign(secret_key: str, timestamps: list[int], host: str, body: bytes) -> None:
    # The client's Signer caches the day's key: it must agree with sign() across day changes.
    signer = signing.Signer(
        secret_id="AKIDx",
        secret_key=secret_key,
        service="sms",
        host=host,
        content_type="application/json",
    )
    for timestamp in timestamps:
        expected = signing.sign(
            secret_id="AKIDx",
            secret_key=secret_key,
            service="sms",
            timestamp=timestamp,
            headers={"Content-Type": "application/json", "Host": host},
            body=body,
        )
        assert signer.authorization(body, timestamp) == expected.authorization


def test_signer_repr_hides_the_secret() -> None:
    signer = signing.Signer(
        secret_id="AKIDx",
        secret_key="s3cr3t-value",
        service="sms",
        host="h",
        content_type="application/json",
    )
    assert "s3cr3t" not in repr(signer)
