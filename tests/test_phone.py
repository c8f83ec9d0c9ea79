"""Phone numbers: E.164, Logto's digits-with-country-code, mainland shorthand, refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.kit import ConnectorError, ConnectorHost, ErrorCode
from connector.tencent_sms import CONNECTOR_ID
from connector.tencent_sms.phone import mask, normalize


@pytest.mark.parametrize(
    ("raw", "e164", "route"),
    [
        ("8613012345678", "+8613012345678", "mainland"),  # as Logto's core sends it
        ("13800138000", "+8613800138000", "mainland"),  # bare mainland mobile, not a +1 number
        ("008613800138000", "+8613800138000", "mainland"),  # international prefix
        ("+8613800138000", "+8613800138000", "mainland"),
        ("(+86) 13800138000", "+8613800138000", "mainland"),
        ("8613800138000 ", "+8613800138000", "mainland"),  # a trailing space from a form
        ("+86 138.0013.8000", "+8613800138000", "mainland"),
        ("85291234567", "+85291234567", "international"),  # Hong Kong is international
        ("+85291234567", "+85291234567", "international"),
        ("14155552671", "+14155552671", "international"),  # a US number, not a mainland one
        ("+1 (415) 555-2671", "+14155552671", "international"),
        ("16502530000", "+16502530000", "international"),  # valid in China too: +1 wins
        ("13125551234", "+13125551234", "international"),
        ("19175551234", "+19175551234", "international"),
        ("13105551234", "+13105551234", "international"),
        ("+8613105551234", "+8613105551234", "mainland"),  # with +86, it is the mainland one
        ("85366123456", "+85366123456", "international"),  # Macao
        ("886912345678", "+886912345678", "international"),  # Taiwan
    ],
)
def test_normalises_and_routes(raw: str, e164: str, route: str) -> None:
    number = normalize(raw)
    assert (number.e164, number.route) == (e164, route)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("16502530000", "+8616502530000"),  # national numbers: the mainland reading first
        ("13105551234", "+8613105551234"),
        ("13800138000", "+8613800138000"),
        ("8613800138000", "+8613800138000"),
        ("14155552671", "+14155552671"),  # not a valid mainland number: read as +1
        ("+16502530000", "+16502530000"),  # a + is never reread
    ],
)
def test_mainland_first_reads_bare_mainland_numbers_as_mainland(raw: str, e164: str) -> None:
    assert normalize(raw, mainland_first=True).e164 == e164


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        ("91234567", "+91 (India)"),  # must not go out as +91 234567
        ("14914177763", "+1"),  # 11 digits, valid neither as +1 nor as +86
        ("+8612345678901", "+86 (China)"),
        ("+85212", "too few digits"),
        ("+1650253000012345", "too many digits"),
        ("999123456", "country code"),
    ],
)
def test_a_number_not_valid_where_it_lands_is_refused_saying_where(raw: str, said: str) -> None:
    with pytest.raises(ConnectorError) as info:
        normalize(raw)
    assert info.value.code is ErrorCode.INVALID_REQUEST_PARAMETERS
    assert said in info.value.message
    assert raw not in info.value.message  # no full number in an error


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
    national=st.from_regex(r"1[0-9]{10}", fullmatch=True),
)
def test_the_mainland_shortcut_agrees_with_phonenumbers(prefix: str, national: str) -> None:
    from connector.tencent_sms.phone import _read

    def outcome(call: Any) -> object:
        try:
            return call()
        except ConnectorError as exc:
            return exc.message

    raw = prefix + national
    assert outcome(lambda: normalize(raw)) == outcome(lambda: _read("+86" + national, False))


def _valid(e164: str) -> bool:
    import phonenumbers

    return bool(phonenumbers.is_valid_number(phonenumbers.parse(e164)))


def _nanp_examples() -> list[str]:
    """phonenumbers' example number of every type in every region of +1."""
    import phonenumbers

    found = set()
    for region in phonenumbers.region_codes_for_country_code(1):
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is not None:
                found.add(str(example.national_number))
    return sorted(found)


@pytest.mark.parametrize("national", _nanp_examples())
def test_every_nanp_region_example_in_logtos_format_reaches_plus_one(national: str) -> None:
    assert normalize("1" + national).e164 == "+1" + national
    assert normalize("+1" + national).e164 == "+1" + national


_NANP = st.from_regex(r"[2-9][0-9]{2}[2-9][0-9]{6}", fullmatch=True).filter(
    lambda n: _valid("+1" + n)
)
_MAINLAND = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True).filter(lambda n: _valid("+86" + n))


@settings(max_examples=300)
@given(national=_NANP, separator=st.sampled_from(["", " ", "-"]))
def test_a_valid_nanp_number_in_logtos_format_always_reaches_plus_one(
    national: str, separator: str
) -> None:
    raw = "1" + separator + national[:3] + separator + national[3:]
    number = normalize(raw)
    assert (number.e164, number.route) == ("+1" + national, "international")
    assert normalize("+" + raw).e164 == "+1" + national


@settings(max_examples=300)
@given(national=_MAINLAND)
def test_a_valid_mainland_number_reaches_plus_86_in_either_format(national: str) -> None:
    assert normalize("86" + national).e164 == "+86" + national  # Logto's format
    assert normalize("+86" + national).e164 == "+86" + national
    assert normalize(national, mainland_first=True).e164 == "+86" + national
    bare = normalize(national).e164  # national form, default reading: +1 only if valid there
    assert bare == ("+" + national if _valid("+" + national) else "+86" + national)


@settings(max_examples=300)
@given(national=_NANP)
def test_mainland_first_sends_a_nanp_number_abroad_unless_it_is_a_mainland_one(
    national: str,
) -> None:
    expected = "+861" + national if _valid("+861" + national) else "+1" + national
    assert normalize("1" + national, mainland_first=True).e164 == expected


README = (Path(__file__).resolve().parents[1] / "README.md").read_text("utf-8")
GUIDE = (Path(__file__).resolve().parents[1] / "metadata/tencent-sms/README.md").read_text("utf-8")


@pytest.mark.parametrize(
    ("shown", "given", "e164", "mainland_first"),
    [
        ("`(+86) 138 0013 8000`", "(+86) 138 0013 8000", "+8613800138000", False),
        ("a trailing space from a form", "8613800138000 ", "+8613800138000", False),
        ("`+1 (650) 253-0000`", "+1 (650) 253-0000", "+16502530000", False),
        ("`008613800138000`", "008613800138000", "+8613800138000", False),
        ("`8613800138000`", "8613800138000", "+8613800138000", False),
        ("`16502530000`", "16502530000", "+16502530000", False),
        ("`85291234567`", "85291234567", "+85291234567", False),
        ("`13800138000`", "13800138000", "+8613800138000", False),
        ("`+8616502530000`", "16502530000", "+8616502530000", True),
    ],
)
def test_every_phone_format_the_readme_names_reads_as_it_says(
    host: ConnectorHost, shown: str, given: str, e164: str, mainland_first: bool
) -> None:
    assert shown in README
    host.validate_request(given, "SignIn", {"code": "123456"})  # the host lets it through
    assert normalize(given, mainland_first=mainland_first).e164 == e164


@pytest.mark.parametrize(
    ("given", "e164", "mainland_first"),
    [
        ("+8613012345678", "+8613012345678", False),
        ("+85261234567", "+85261234567", False),
        ("008613012345678", "+8613012345678", False),
        ("8613012345678", "+8613012345678", False),
        ("16502530000", "+16502530000", False),
        ("13800138000", "+8613800138000", False),
        ("16502530000", "+8616502530000", True),
    ],
)
def test_every_phone_format_the_setup_guide_names_reads_as_it_says(
    given: str, e164: str, mainland_first: bool
) -> None:
    assert f"`{given}`" in GUIDE
    assert normalize(given, mainland_first=mainland_first).e164 == e164


def test_the_readmes_refused_example_is_refused_for_the_reason_given() -> None:
    assert "`91234567` would be `+91 234567`, and no Indian number is that short" in " ".join(
        README.split()
    )
    with pytest.raises(ConnectorError) as info:
        normalize("91234567")
    assert "+91 (India), it has too few digits" in info.value.message


def test_mainland_first_is_read_from_the_config(host: ConnectorHost, emulator: Any) -> None:
    config = emulator.connector_config()
    config["phoneFormat"] = "mainlandFirst"
    result = host.send_message(
        CONNECTOR_ID, config, to="16502530000", type="SignIn", payload={"code": "123456"}
    )
    assert (result.to, result.detail["route"]) == ("+8616502530000", "mainland")
    config["phoneFormat"] = "countryCodeFirst"
    result = host.send_message(
        CONNECTOR_ID, config, to="16502530000", type="SignIn", payload={"code": "123456"}
    )
    assert (result.to, result.detail["route"]) == ("+16502530000", "international")


def test_a_reading_that_loses_digits_is_refused() -> None:
    # phonenumbers would drop a national zero (+4900000), a number that is not what was given.
    with pytest.raises(ConnectorError) as info:
        normalize("49000000")
    assert info.value.code is ErrorCode.INVALID_REQUEST_PARAMETERS


def test_a_short_number_is_masked_whole() -> None:
    assert mask("+4900") == "+****"
    assert mask("+4930123456") == "+49****3456"
