"""Phone numbers: from what a host sends to the E.164 number Tencent needs, and its route.

Accepted forms:

* ``+<country code><number>`` (E.164), spaces, dashes and parentheses tolerated;
* ``00<country code><number>`` (the international prefix);
* digits alone, read the way Logto's core sends them: country code first
  (``8613800138000``, ``85291234567``, ``14155552671``);
* except a bare 11-digit mainland mobile (``13800138000``), which is read as ``+86`` whenever
  it is a valid mainland number, as Tencent reads it.  Eleven digits starting with 1 are
  ambiguous (``13105551234`` is also a Los Angeles number); for this connector the mainland
  reading wins, so a North American number whose area code could be a mainland prefix must
  be given with ``+``.

``+86`` numbers go the mainland route; every other country or region (Hong Kong, Macao and
Taiwan included) goes the international one.  A number that is not even a *possible* number
is refused before any request is made.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Literal

from ..kit import ConnectorError, ErrorCode, mask_phone

Route = Literal["mainland", "international"]

_SEPARATORS = re.compile(r"[\s()\-]")
_DIGITS = re.compile(r"[0-9]{1,17}")
_MAINLAND_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# A mainland mobile given with its country code has exactly one reading, and phonenumbers
# would only confirm that it is possible (11 national digits): answer without asking it.
_MAINLAND_WITH_CODE = re.compile(r"(?:\+|00)?86(1[3-9][0-9]{9})")


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


def normalize(raw: str) -> PhoneNumber:
    """Read a recipient as a host gives it; raise ``invalid_request_parameters`` if it is
    not a possible phone number.  Results are cached: hosts send to the same numbers again."""
    if not isinstance(raw, str):
        raise _refuse("a phone number must be a string of digits", raw)
    return _normalize(raw)


@functools.lru_cache(maxsize=4096)
def _normalize(raw: str) -> PhoneNumber:
    text = _SEPARATORS.sub("", raw)
    mainland = _MAINLAND_WITH_CODE.fullmatch(text)
    if mainland:
        return PhoneNumber("+86" + mainland.group(1), 86, "CN")
    return _normalize_any(raw, text)


def _normalize_any(raw: str, text: str) -> PhoneNumber:
    import phonenumbers

    if text.startswith("+"):
        candidates = [text[1:]]
    elif text.startswith("00"):
        candidates = [text[2:]]
    elif _MAINLAND_MOBILE.fullmatch(text):
        candidates = ["86" + text, text]  # the mainland reading first (see the module doc)
    else:
        candidates = [text]
    if not all(_DIGITS.fullmatch(c) for c in candidates):
        raise _refuse("use digits with the country code, e.g. +8613800138000", raw)

    parsed = []
    for digits in candidates:
        try:
            parsed.append((phonenumbers.parse("+" + digits, None), digits))
        except phonenumbers.NumberParseException:
            continue
    # The first valid reading wins; failing that, the first possible one.
    chosen = next((n for n, _ in parsed if phonenumbers.is_valid_number(n)), None)
    if chosen is None:
        # A number that is only possible must also keep its digits: phonenumbers drops
        # national zeros (+49000000 → +4900000), and such a reading would not even read
        # back as itself.
        chosen = next(
            (
                n
                for n, digits in parsed
                if phonenumbers.is_possible_number(n) and _e164(n) == "+" + digits
            ),
            None,
        )
    if chosen is None:
        raise _refuse("it is not a possible phone number; include the country code", raw)
    return PhoneNumber(
        e164=_e164(chosen),
        country_code=int(chosen.country_code or 0),
        region=phonenumbers.region_code_for_number(chosen),
    )


#: A number for logs: ``+8613800138000`` → ``+86138****8000``.
mask = mask_phone


def _e164(number: Any) -> str:
    import phonenumbers

    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _refuse(reason: str, raw: object) -> ConnectorError:
    shown = raw if isinstance(raw, str) and len(raw) <= 32 else type(raw).__name__
    return ConnectorError(
        ErrorCode.INVALID_REQUEST_PARAMETERS,
        f"recipient {shown!r} is not a phone number Tencent can send to: {reason}",
        {"field": "to"},
    )
