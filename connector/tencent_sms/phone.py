"""Phone numbers: from what a host sends to the E.164 number Tencent needs, and its route.

Accepted forms (spaces, dashes, dots and parentheses anywhere are ignored):

* ``+<country code><number>`` (E.164), e.g. ``+1 (650) 253-0000``, ``(+86) 13800138000``;
* ``00<country code><number>`` (the international prefix);
* digits alone, read the way Logto keeps numbers: country code first (``8613800138000`` is
  +86, ``16502530000`` is +1, ``85291234567`` is +852).  Only when that reading is not a
  valid number does a bare 11-digit mainland mobile (``13800138000``) become +86.

With ``mainland_first`` (the config's ``"phoneFormat": "mainlandFirst"``, for hosts that pass
national mainland numbers) a bare 11-digit number starting with 1 is read as a mainland
mobile first, and country code first only when it is not a valid mainland number.

Whatever the reading, the number must be *valid* in the country it lands in, or it is refused
before any request: a code must never reach a stranger because a number was misread.
``+86`` numbers go the mainland route; every other country or region (Hong Kong, Macao and
Taiwan included) goes the international one.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ..kit import ConnectorError, ErrorCode, mask_phone

if TYPE_CHECKING:
    from phonenumbers import PhoneNumber as _Parsed

Route = Literal["mainland", "international"]

_SEPARATORS = re.compile(r"[\s().\-]")
_DIGITS = re.compile(r"[0-9]{1,17}")
_MAINLAND_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# A mainland mobile written with its country code has one reading; whether it is valid is
# phonenumbers' own CN mobile pattern, asked directly (parsing costs 40 times more).
_WITH_86 = re.compile(r"(?:\+|00)?86(1[0-9]{10})")


@dataclass(frozen=True)
class PhoneNumber:
    """A number ready for Tencent: its E.164 form, country code and region, and its route."""

    e164: str
    country_code: int
    region: str | None

    @property
    def route(self) -> Route:
        """``mainland`` for +86, ``international`` for every other number."""
        return "mainland" if self.country_code == 86 else "international"


def normalize(raw: str, *, mainland_first: bool = False) -> PhoneNumber:
    """Read a recipient as a host gives it; raise ``invalid_request_parameters`` when it is
    not a valid number where it lands.  Results are cached: hosts send to the same numbers
    again."""
    if not isinstance(raw, str):
        raise _refuse("a phone number must be a string of digits")
    return _normalize(raw, mainland_first)


@functools.lru_cache(maxsize=4096)
def _normalize(raw: str, mainland_first: bool) -> PhoneNumber:
    text = _SEPARATORS.sub("", raw)
    mainland = _WITH_86.fullmatch(text)
    if mainland and _cn_mobile().fullmatch(mainland.group(1)):
        return PhoneNumber("+86" + mainland.group(1), 86, "CN")
    return _read(text, mainland_first)


@functools.cache
def _cn_mobile() -> re.Pattern[str]:
    import phonenumbers

    metadata = phonenumbers.PhoneMetadata.metadata_for_region("CN")
    pattern = metadata.mobile.national_number_pattern if metadata and metadata.mobile else None
    return re.compile(pattern or "(?!)")


def _read(text: str, mainland_first: bool) -> PhoneNumber:
    """Every reading of ``text`` in turn, through phonenumbers; the first valid one wins."""
    import phonenumbers

    if text.startswith("+"):
        candidates = [text[1:]]
    elif text.startswith("00"):
        candidates = [text[2:]]
    elif _MAINLAND_MOBILE.fullmatch(text):
        # Eleven digits starting with 1 can be a +1 number in Logto's format or a national
        # mainland mobile; the setting says which reading is tried first.
        candidates = ["86" + text, text] if mainland_first else [text, "86" + text]
    else:
        candidates = [text]
    if not all(_DIGITS.fullmatch(c) for c in candidates):
        raise _refuse("use digits with the country code, e.g. +8613800138000")

    readings: list[_Parsed] = []
    for digits in candidates:
        try:
            readings.append(phonenumbers.parse("+" + digits, None))
        except phonenumbers.NumberParseException:
            continue
    chosen = next((n for n in readings if phonenumbers.is_valid_number(n)), None)
    if chosen is None:
        raise _refuse(_why_invalid(readings[0]) if readings else _NO_COUNTRY)
    return PhoneNumber(
        e164=phonenumbers.format_number(chosen, phonenumbers.PhoneNumberFormat.E164),
        country_code=int(chosen.country_code or 0),
        region=phonenumbers.region_code_for_number(chosen),
    )


_NO_COUNTRY = "it does not start with a country code; give the number with its country code"


def _why_invalid(number: _Parsed) -> str:
    """Which country the number would land in, and why it is not a number there."""
    import phonenumbers
    from phonenumbers.geocoder import country_name_for_number

    reason = phonenumbers.is_possible_number_with_reason(number)
    result = phonenumbers.ValidationResult
    if reason == result.INVALID_COUNTRY_CODE:
        return _NO_COUNTRY
    region = phonenumbers.region_code_for_country_code(int(number.country_code or 0))
    country = country_name_for_number(number, "en") or region
    where = f"+{number.country_code} ({country})" if country else f"+{number.country_code}"
    if reason in (result.TOO_SHORT, result.IS_POSSIBLE_LOCAL_ONLY):
        why = "it has too few digits for a number there"
    elif reason == result.TOO_LONG:
        why = "it has too many digits for a number there"
    elif reason == result.INVALID_LENGTH:
        why = "no number there has that many digits"
    else:
        why = "no number there starts with those digits"
    return f"read with country code {where}, {why}; check the country code and the number"


#: A number for logs: ``+8613800138000`` → ``+86138****8000``.
mask = mask_phone


def _refuse(reason: str) -> ConnectorError:
    # The number itself stays out of the message: errors reach logs and screens.
    return ConnectorError(
        ErrorCode.INVALID_REQUEST_PARAMETERS,
        f"the recipient is not a phone number Tencent can send to: {reason}",
        {"field": "to"},
    )
