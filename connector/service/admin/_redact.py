"""Phone numbers as the console may show them: never whole."""

from __future__ import annotations

import re

_NOT_DIGIT = re.compile(r"\D")


def mask_phone(number: str) -> str:
    """``+8613800138000`` → ``+86•••••••8000``: the country prefix and the last four digits."""
    digits = _NOT_DIGIT.sub("", number)
    if len(digits) <= 6:
        return "•" * len(digits)
    lead = "+" + digits[:2] if number.strip().startswith("+") else digits[:2]
    return lead + "•" * (len(digits) - 6) + digits[-4:]


def scrub_phone(text: str, number: str) -> str:
    """``text`` with every spelling of ``number`` (as typed, or its digits) masked."""
    digits = _NOT_DIGIT.sub("", number)
    if len(digits) < 5:
        return text
    for spelling in sorted({number.strip(), "+" + digits, digits}, key=len, reverse=True):
        if spelling:
            text = text.replace(spelling, mask_phone(spelling))
    return text
