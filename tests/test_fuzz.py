"""Random inputs at the three doors a host opens: configs, send requests, phone numbers.

Whatever arrives (any JSON-like value, a valid config with random parts replaced, text with
control characters and unpaired surrogates, NaN, huge numbers), the answer is either "valid"
or a ConnectorError with a one-line sentence: never another exception, never a crash.
Fuzzed configs are only validated, never sent, so no request can go anywhere but loopback.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.emulator import Emulator
from connector.kit import ConnectorError, ConnectorHost, ErrorCode, SendResult, TemplateType
from connector.tencent_sms import CONNECTOR_ID, TencentSmsConnector
from connector.tencent_sms.phone import PhoneNumber, mask, normalize
from connector.tencent_sms.settings import endpoint_problem, read_settings

FUZZ = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

BASE_CONFIG: dict[str, Any] = {
    "accessKeyId": "AKIDfuzz000000000000000000000000000",
    "accessKeySecret": "fuzz-secret-000000000000000000000",
    "signName": "Fuzz",
    "sdkAppId": "1400000000",
    "region": "ap-guangzhou",
    "templates": [
        {"usageType": t, "templateCode": str(100000 + i)}
        for i, t in enumerate(["SignIn", "Register", "ForgotPassword", "Generic"])
    ],
    "international": {"templates": [{"usageType": "Generic", "templateCode": "200001"}]},
    "endpoint": "http://127.0.0.1:9",
}

# -- strategies --------------------------------------------------------------------------------

# Every code point, unpaired surrogates and control characters included.
any_text = st.text(st.characters(exclude_categories=[]), max_size=40)
tricky_text = st.sampled_from(
    [
        "",
        " ",
        "\u0000",
        "\n",
        "\r\n",
        "\udcff",
        "\ud800",
        "\ufeff",
        "\u200b",
        "\u202e",
        "ap-guangzhou",
        "ap-guangzhou.evil.example",
        "x/../",
        "SignIn",
        "signin",
        "Generic",
        "S\u0456gnIn",
        "signN\u0430me",
        "1400000000",
        "0",
        "-1",
        "1e999",
        "NaN",
        "null",
        "+8613800138000",
        "8613800138000",
        "13800138000",
        "http://127.0.0.1:1",
        "https://user@evil.example",
        "https://sms.tencentcloudapi.com",
        "/",
        "x" * 300,
    ]
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63),
    st.floats(),
    any_text,
    tricky_text,
)
keys = st.one_of(
    any_text,
    tricky_text,
    st.sampled_from(
        [
            *BASE_CONFIG,
            "caBundle",
            "connectTimeout",
            "readTimeout",
            "sendTimeout",
            "usageType",
            "templateCode",
            "params",
            "code",
            "locale",
            "link",
        ]
    ),
)
json_ish = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(keys, inner, max_size=6)),
    max_leaves=25,
)

CONFIG_PATHS: list[tuple[str | int, ...]] = [
    ("accessKeyId",),
    ("accessKeySecret",),
    ("signName",),
    ("sdkAppId",),
    ("region",),
    ("templates",),
    ("templates", 0),
    ("templates", 0, "usageType"),
    ("templates", 0, "templateCode"),
    ("templates", 0, "params"),
    ("templates", 3),
    ("international",),
    ("international", "templates"),
    ("international", "sdkAppId"),
    ("international", "signName"),
    ("international", "templates", 0, "usageType"),
    ("endpoint",),
    ("caBundle",),
    ("connectTimeout",),
    ("readTimeout",),
    ("sendTimeout",),
    ("unknownKey",),
]
DELETE = object()
# Each part is mostly fine, so that many endpoints pass and the rule is tested both ways.
endpoints = st.builds(
    lambda scheme, user, host, port, tail: f"{scheme}{user}{host}{port}{tail}",
    st.sampled_from(["https://"] * 4 + ["http://"] * 4 + ["ftp://", "", "HTTPS://", "https:/"]),
    st.sampled_from([""] * 9 + ["user@", "user:pw@", "@"]),
    st.one_of(
        st.sampled_from(
            [
                "127.0.0.1",
                "localhost",
                "[::1]",
                "sms.tencentcloudapi.com",
                "10.0.0.1",
                "0.0.0.0",
                "127.0.0.1.nip.io",
                "xn--sm-xyz.example",
                "sm\u0455.example",
                "",
                "[::1",
                "a..b",
                "-a.example",
                "127.255.0.1",
                "LOCALHOST",
                "[::ffff:127.0.0.1]",
            ]
        ),
        any_text,
    ),
    st.sampled_from([""] * 4 + [":443", ":8080", ":0", ":65536", ":-1", ":x", ":"]),
    st.sampled_from([""] * 8 + ["/", "/path", "?q=1", "#f", "/..", "\n", " "]),
)
edits = st.lists(
    st.tuples(
        st.sampled_from(CONFIG_PATHS),
        st.one_of(
            st.just(DELETE),
            json_ish,
            tricky_text,
            endpoints,
            st.floats(min_value=-1, max_value=400),
        ),
    ),
    min_size=1,
    max_size=3,
)


def edited(config: dict[str, Any], changes: list[tuple[tuple[str | int, ...], Any]]) -> Any:
    """``config`` with each change applied where the path still leads somewhere."""
    doc = copy.deepcopy(config)
    for path, value in changes:
        target: Any = doc
        for part in path[:-1]:
            try:
                target = target[part]
            except (KeyError, IndexError, TypeError):
                target = None
                break
        last = path[-1]
        if isinstance(target, dict) or (
            isinstance(target, list) and isinstance(last, int) and last < len(target)
        ):
            if value is DELETE:
                if isinstance(target, list) or last in target:
                    del target[last]  # type: ignore[arg-type]
            else:
                target[last] = value  # type: ignore[index]
    return doc


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzz_host() -> Iterator[ConnectorHost]:
    plugin = TencentSmsConnector()
    yield ConnectorHost(plugins=[plugin])
    plugin.close()


@pytest.fixture(scope="module")
def fuzz_emulator() -> Iterator[Emulator]:
    with Emulator(limits=None) as emulator:
        yield emulator


def answer(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """What ``call`` returns, or the ConnectorError it raises (any other exception fails)."""
    try:
        return call(*args, **kwargs)
    except ConnectorError as exc:
        return exc


def check_refusal(error: ConnectorError) -> None:
    assert isinstance(error.code, ErrorCode)
    assert "\n" not in error.message and len(error.message) < 4000
    assert "unexpected" not in error.message  # a bug in the connector, caught by the host


def check_config(host: ConnectorHost, config: Any) -> None:
    """Valid (and then readable into Settings) or refused with a sentence: nothing else."""
    problems = host.config_problems(CONNECTOR_ID, config)
    valid = answer(host.validate_config, CONNECTOR_ID, config)
    if isinstance(valid, ConnectorError):
        assert problems
        assert valid.code is ErrorCode.INVALID_CONFIG
        check_refusal(valid)
        return
    assert not problems
    settings_ = read_settings(valid)
    assert settings_.send_timeout > 0 and settings_.connect_timeout > 0
    assert endpoint_problem(settings_.endpoint) is None
    # The secret never shows in the settings' repr (unless it equals something that does).
    secret = valid["accessKeySecret"]
    if secret not in repr(read_settings({**valid, "accessKeySecret": "-"})):
        assert secret not in repr(settings_)


# -- configs -----------------------------------------------------------------------------------


@FUZZ
@given(config=json_ish)
def test_any_json_value_as_a_config(fuzz_host: ConnectorHost, config: Any) -> None:
    check_config(fuzz_host, config)


@FUZZ
@given(changes=edits)
def test_a_valid_config_with_random_parts_replaced(
    fuzz_host: ConnectorHost, changes: list[tuple[tuple[str | int, ...], Any]]
) -> None:
    check_config(fuzz_host, edited(BASE_CONFIG, changes))


@FUZZ
@given(endpoint=st.one_of(endpoints, any_text))
def test_an_accepted_endpoint_is_https_or_loopback_http_and_nothing_more(endpoint: str) -> None:
    if endpoint_problem(endpoint) is not None:
        return
    parts = urlsplit(endpoint)
    assert parts.scheme in ("https", "http")
    assert parts.username is None and parts.password is None and "@" not in parts.netloc
    assert parts.path in ("", "/") and not parts.query and not parts.fragment
    assert parts.hostname and parts.hostname.isascii()
    if parts.scheme == "http":
        assert parts.hostname in ("localhost", "::1") or parts.hostname.startswith("127.")


# -- send requests -------------------------------------------------------------------------------

phones = st.one_of(
    st.from_regex(r"\+?(00)?[0-9 ()\-.]{0,20}", fullmatch=True),
    st.sampled_from(
        [
            "+8613800138000",
            "8613800138000",
            "13800138000",
            "+14155552671",
            "+85291234567",
            "0085291234567",
            "+447700900123",
        ]
    ),
    any_text,
    st.integers(),
    st.none(),
)
types = st.one_of(
    st.sampled_from([t.value for t in TemplateType]), any_text, st.none(), st.integers()
)
payloads = st.one_of(
    st.fixed_dictionaries(
        {"code": st.one_of(st.from_regex(r"[0-9]{6}", fullmatch=True), st.just("123456"), scalars)},
        optional={"locale": scalars, "uiLocales": scalars, "link": scalars, "minutes": scalars},
    ),
    st.dictionaries(keys, json_ish, max_size=4),
    json_ish,
)


good_phones = st.sampled_from(
    [
        "+8613800138000",
        "8613800138000",
        "13800138000",
        "+14155552671",
        "+85291234567",
        "0085291234567",
        "+44 7700 900123",
        "+86 (138) 0013-8000",
    ]
)
good_types = st.sampled_from([t.value for t in TemplateType])
good_codes = st.from_regex(r"[0-9]{4,6}", fullmatch=True)


@st.composite
def requests(draw: st.DrawFn) -> tuple[Any, Any, Any]:
    """A valid request with none, one or all of its parts replaced by something random."""
    to: Any = draw(good_phones)
    type_: Any = draw(good_types)
    payload: Any = {"code": draw(good_codes)}
    part = draw(st.sampled_from(["none", "to", "type", "payload", "code", "extra", "all"]))
    if part in ("to", "all"):
        to = draw(phones)
    if part in ("type", "all"):
        type_ = draw(types)
    if part == "code":
        payload["code"] = draw(scalars)
    if part == "extra":
        payload.update(draw(st.dictionaries(keys, json_ish, min_size=1, max_size=3)))
    if part in ("payload", "all"):
        payload = draw(payloads)
    return to, type_, payload


@FUZZ
@given(request=requests())
def test_any_send_request(
    fuzz_host: ConnectorHost, fuzz_emulator: Emulator, request: tuple[Any, Any, Any]
) -> None:
    to, type_, payload = request
    config = fuzz_emulator.connector_config(connectTimeout=0.5, readTimeout=1, sendTimeout=2)
    before = fuzz_emulator.stats()["delivered"]
    result = answer(
        fuzz_host.send_message, CONNECTOR_ID, config, to=to, type=type_, payload=payload
    )
    if isinstance(result, ConnectorError):
        check_refusal(result)
        assert result.data.get("delivery") != "unknown"  # the emulator never leaves it unknown
        assert fuzz_emulator.stats()["delivered"] == before
        return
    assert isinstance(result, SendResult)
    assert fuzz_emulator.stats()["delivered"] == before + 1
    message = fuzz_emulator.outbox()[-1]
    assert message["phoneNumber"] == result.to
    assert message["params"] == [str(payload["code"])]


# -- phone numbers ---------------------------------------------------------------------------------


@FUZZ
@given(raw=phones)
def test_phone_normalisation_answers_a_number_or_a_refusal(raw: Any) -> None:
    number = answer(normalize, raw)
    if isinstance(number, ConnectorError):
        assert number.code is ErrorCode.INVALID_REQUEST_PARAMETERS
        check_refusal(number)
        return
    assert isinstance(number, PhoneNumber)
    assert re.fullmatch(r"\+[1-9][0-9]{3,16}", number.e164), number
    assert number.route == ("mainland" if number.country_code == 86 else "international")
    assert number.e164.startswith(f"+{number.country_code}")
    assert normalize(number.e164) == number  # the E.164 form reads back as itself
    masked = mask(number.e164)
    assert len(masked) == len(number.e164) and masked.count("*") >= 4
    if len(number.e164) > 8:  # four middle digits hidden, the last four kept
        assert masked[-8:-4] == "****" and masked[-4:] == number.e164[-4:]
