"""Phone numbers: E.164, Logto's digits-with-country-code, mainland shorthand, refusals."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connector.kit import ConnectorError, ConnectorHost, ErrorCode
from connector.tencent_sms import CONNECTOR_ID
from connector.tencent_sms.phone import mask, normalize


@pytest.mark.parametrize(
    ("raw", "e164", "route"),
    [
        ("8613012345678", "+8613012345678", "mainland"),  # as Logto's core sends it
        ("13800138000", "+8613800138000", "mainland"),  # bare mainland mobile
        ("008613800138000", "+8613800138000", "mainland"),  # international prefix
        ("+8613800138000", "+8613800138000", "mainland"),
        ("85291234567", "+85291234567", "international"),  # Hong Kong is international
        ("+85291234567", "+85291234567", "international"),
        ("14155552671", "+14155552671", "international"),  # a US number, not a mainland one
        ("+1 (415) 555-2671", "+14155552671", "international"),
        ("13105551234", "+8613105551234", "mainland"),  # also a US number: mainland wins
        ("+13105551234", "+13105551234", "international"),  # with +, it is the US one
        ("14914177763", "+8614914177763", "mainland"),  # valid nowhere: mainland is possible
        ("85366123456", "+85366123456", "international"),  # Macao
        ("886912345678", "+886912345678", "international"),  # Taiwan
    ],
)
def test_normalises_and_routes(raw: str, e164: str, route: str) -> None:
    number = normalize(raw)
    assert (number.e164, number.route) == (e164, route)


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "+",
        "abc",
        "123",
        "+86",
        "0086",
        "+86 138",
        "++8613800138000",
        "8613800138000x",
        "１３８００１３８０００",
    ],
)
def test_refuses_impossible_numbers(raw: str) -> None:
    with pytest.raises(ConnectorError) as info:
        normalize(raw)
    assert info.value.code is ErrorCode.INVALID_REQUEST_PARAMETERS


@pytest.mark.parametrize("raw", ["", "+", "abc", "123"])
def test_refused_before_any_request(host: ConnectorHost, emulator: Any, raw: str) -> None:
    with pytest.raises(ConnectorError) as info:
        host.send_message(
            CONNECTOR_ID,
            emulator.connector_config(),
            to=raw,
            type="SignIn",
            payload={"code": "123456"},
        )
    assert info.value.code is ErrorCode.INVALID_REQUEST_PARAMETERS
    assert emulator.stats()["requests"] == 0


def test_mask_hides_the_middle() -> None:
    assert mask("+8613800138000") == "+86138****8000"
    assert mask("+14155552671") == "+141****2671"
    assert "5555" not in mask("+14155552671")


@given(st.text(max_size=40))
def test_any_text_is_a_number_or_a_clean_refusal(raw: str) -> None:
    code: ErrorCode | None
    try:
        number = normalize(raw)
    except ConnectorError as exc:
        code = exc.code
    else:
        code = None
        assert number.e164.startswith("+")
        assert number.e164[1:].isdigit()
        assert number.route in ("mainland", "international")
    assert code in (None, ErrorCode.INVALID_REQUEST_PARAMETERS)


@given(
    prefix=st.sampled_from(["+86", "0086", "86", "+86 ", "(+86) "]),
    national=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True),
)
def test_mainland_shortcut_agrees_with_phonenumbers(prefix: str, national: str) -> None:
    from connector.tencent_sms.phone import _SEPARATORS, _normalize_any

    raw = prefix + national
    assert normalize(raw) == _normalize_any(raw, _SEPARATORS.sub("", raw))


@given(national=st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_a_bare_mainland_mobile_is_never_sent_abroad(national: str) -> None:
    import phonenumbers

    if phonenumbers.is_valid_number(phonenumbers.parse("+86" + national)):
        assert normalize(national).e164 == "+86" + national
