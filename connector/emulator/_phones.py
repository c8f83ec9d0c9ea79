"""Phone numbers as Tencent SendSms reads them."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers

_MAINLAND_MOBILE = re.compile(r"1[3-9][0-9]{9}")


@dataclass(frozen=True)
class PhoneNumber:
    """A number Tencent would accept: its E.164 form and where it is."""

    e164: str
    iso_code: str
    mainland: bool


def parse_phone_number(raw: str) -> PhoneNumber | None:
    """Read one PhoneNumberSet entry; ``None`` when Tencent would call it incorrect.

    Accepted: ``+<country code><number>`` (digits only) that is a possible number, and for
    the mainland also ``0086…``, ``86`` followed by an 11-digit mobile, and a bare 11-digit
    mobile.  Spaces, dashes and a national trunk ``0`` are refused, as Tencent refuses them.
    """
    if raw.startswith("0086"):
        candidate = "+86" + raw[4:]
    elif len(raw) == 13 and raw.startswith("86") and _MAINLAND_MOBILE.fullmatch(raw[2:]):
        candidate = "+" + raw
    elif _MAINLAND_MOBILE.fullmatch(raw):
        candidate = "+86" + raw
    else:
        candidate = raw
    if not re.fullmatch(r"\+[0-9]{4,15}", candidate):
        return None
    try:
        number = phonenumbers.parse(candidate, None)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    region = phonenumbers.region_code_for_number(
        number
    ) or phonenumbers.region_code_for_country_code(number.country_code or 0)
    # Non-geographic numbers get "001" and unknown ones "ZZ"; Tencent reports both as DEF.
    iso_code = region if region and region.isalpha() and region != "ZZ" else "DEF"
    return PhoneNumber(
        e164=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164),
        iso_code=iso_code,
        mainland=number.country_code == 86,
    )
