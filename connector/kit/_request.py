"""A quick yes for the send requests every host sends, before the JSON Schema is asked.

``schemas/send-request.schema.json`` is the rule.  Checking it with jsonschema costs more than
signing a request, on every send; but nearly every request is the plain, valid shape.  This
module recognises that shape in plain Python and answers only "certainly valid" or "ask the
schema", so it can never let through what the schema refuses (a property test holds it to
that); every refusal and its messages still come from the schema.
"""

from __future__ import annotations

import math
import re
from typing import Any

from ._types import TemplateType
from ._validation import is_unicode

_TO = re.compile(r"\+?[0-9(](?:[0-9 ()-]{0,30}[0-9])?")
_CODE = re.compile(r"[0-9A-Za-z]{1,10}")
_KEY = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,63}")
_TYPES = frozenset(t.value for t in TemplateType)
_MAX_KEYS = 20
_MAX_TEXT = 256
_MAX_LINK = 2048


def plainly_valid(to: object, type: object, payload: object) -> bool:
    """True only when the request certainly fits the send-request schema."""
    if not (isinstance(to, str) and len(to) <= 32 and _TO.fullmatch(to)):
        return False
    if not (isinstance(type, str) and type in _TYPES):
        return False
    if not (isinstance(payload, dict) and len(payload) <= _MAX_KEYS):
        return False
    code = payload.get("code")
    if not (isinstance(code, str) and _CODE.fullmatch(code)):
        return False
    return all(_plain_entry(key, value) for key, value in payload.items())


def _plain_entry(key: Any, value: Any) -> bool:
    if not (isinstance(key, str) and _KEY.fullmatch(key)):
        return False
    if key == "code":
        return True
    if isinstance(value, str):
        return len(value) <= (_MAX_LINK if key == "link" else _MAX_TEXT) and is_unicode(value)
    # Numbers are allowed for template parameters, but not for the named text fields; and
    # only numbers JSON can carry (the checker refuses NaN, infinities and huge integers).
    if key in ("locale", "uiLocales", "link") or isinstance(value, bool):
        return False
    if isinstance(value, int):
        return value.bit_length() <= 64
    return isinstance(value, float) and math.isfinite(value)
