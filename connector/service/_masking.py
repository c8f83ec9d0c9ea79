"""Phone numbers as the gateway shows them: masked, in answers and in logs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_KEEP_TAIL = 4
_MIN_SCRUB_DIGITS = 5


def mask_number(number: str) -> str:
    """``+8613800138000`` → ``+86138****8000``; short or odd input is starred almost whole."""
    text = number.strip()
    if len(text) <= 8:
        return text[:2] + "*" * max(len(text) - 2, 0)
    return text[: len(text) - 8] + "****" + text[-_KEEP_TAIL:]


def scrub(value: Any, number: str) -> Any:
    """``value`` (a string, or JSON made of them) with every spelling of ``number`` masked.

    A connector may quote the number it refused; an answer Logto copies into its log must not.
    """
    digits = "".join(ch for ch in number if ch.isdigit())
    forms = {number.strip(), digits, f"+{digits}"}
    if digits.startswith("00"):  # the international prefix: a connector quotes it as E.164
        forms |= {digits[2:], f"+{digits[2:]}"}
    spellings = sorted(forms, key=len, reverse=True)
    spellings = [s for s in spellings if sum(ch.isdigit() for ch in s) >= _MIN_SCRUB_DIGITS]
    return _scrub(value, spellings)


def _scrub(value: Any, spellings: list[str]) -> Any:
    if isinstance(value, str):
        for spelling in spellings:
            if spelling in value:
                value = value.replace(spelling, mask_number(spelling))
        return value
    if isinstance(value, Mapping):
        return {key: _scrub(item, spellings) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub(item, spellings) for item in value]
    return value
