"""The console's languages: the browser's ``Accept-Language`` picks one, English otherwise."""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from importlib import resources

LANGUAGES = ("en", "zh-CN", "es", "tr-TR", "ko")
DEFAULT = "en"


@functools.cache
def _table() -> dict[str, dict[str, str]]:
    raw = resources.files(__package__).joinpath("messages.json").read_text("utf-8")
    table: dict[str, dict[str, str]] = json.loads(raw)
    return table


def messages(language: str) -> dict[str, str]:
    """Every interface string in ``language`` (English for a string not translated)."""
    table = _table()
    return {**table[DEFAULT], **table.get(language, {})}


def pick(localized: Mapping[str, str], language: str) -> str:
    """A connector's text (name, description) in ``language``: exact tag, same primary
    language, then English, then any."""
    if language in localized:
        return localized[language]
    primary = language.split("-")[0].lower()
    for tag, text in localized.items():
        if tag.split("-")[0].lower() == primary:
            return text
    return localized.get(DEFAULT) or next(iter(localized.values()), "")
