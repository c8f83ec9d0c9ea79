"""The host's quick check of send requests never accepts what the schema refuses."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from connector.kit import TemplateType, load_schema
from connector.kit._request import plainly_valid
from connector.kit._validation import SchemaChecker

CHECKER = SchemaChecker(load_schema("send-request.schema.json"))

_text = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
_values = st.one_of(
    _text,
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)
_keys = st.one_of(st.sampled_from(["code", "locale", "uiLocales", "link", "minutes"]), _text)
_payloads = st.one_of(
    st.dictionaries(_keys, _values, max_size=22),
    st.builds(
        lambda code, extra: {"code": code, **extra},
        st.from_regex(r"[0-9A-Za-z]{0,11}", fullmatch=True),
        st.dictionaries(_keys, _values, max_size=3),
    ),
    _values,
)
_phones = st.one_of(st.from_regex(r"\+?[0-9( )-]{0,34}", fullmatch=True), _text, st.integers())
_types = st.one_of(st.sampled_from([t.value for t in TemplateType]), _text, st.none())


@settings(max_examples=600, deadline=None)
@given(to=_phones, type=_types, payload=_payloads)
def test_quick_yes_implies_schema_yes(to: Any, type: Any, payload: Any) -> None:
    if plainly_valid(to, type, payload):
        assert CHECKER.is_valid({"to": to, "type": type, "payload": payload})


def test_the_usual_requests_take_the_quick_path() -> None:
    for request in (
        ("8613800138000", "SignIn", {"code": "123456"}),
        ("+1 (415) 555-2671", "Generic", {"code": "000000", "locale": "en", "uiLocales": "en"}),
        ("85291234567", "MfaVerification", {"code": "12ab", "minutes": 5}),
    ):
        assert plainly_valid(*request)
        assert CHECKER.is_valid(dict(zip(("to", "type", "payload"), request, strict=True)))
