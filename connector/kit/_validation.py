"""JSON Schema validation that speaks to an admin.

jsonschema's own messages quote the offending value and the raw keyword ("'abc' does not
match '^[0-9]+$'"), which leaks secrets and tells a person little.  Here every failure becomes
a :class:`Problem`: the JSON path of the field and a sentence built from the keyword and the
field's own schema (its title, examples and ``errorMessage``).  Values are quoted only where
they help and never for a ``writeOnly`` field.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from jsonschema import ValidationError
    from jsonschema.protocols import Validator

_JSON_TYPE = {
    dict: "an object",
    list: "an array",
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    type(None): "null",
}
_MAX_QUOTE = 40
# Longer unknown keys are never shown: API secrets are 32 characters and more.
_MAX_KEY_SHOWN = 24
# Far beyond any real config or request, yet small enough that validating the most a
# document may hold stays quick.  Larger or deeper documents are refused before the schema
# runs (jsonschema walks every item of an array, however many the schema allows).
MAX_VALUES = 5000
MAX_DEPTH = 32
MAX_PROBLEMS = 50
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


#: How much a problem matters.  ``"error"``: every send would fail, or the config is unsafe;
#: the config is refused.  ``"warning"``: only some sends are affected, or something looks
#: wrong; the config is accepted and the warning shown wherever errors are.
Severity = Literal["error", "warning"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config or a request: where, what to do about it, how much it
    matters."""

    path: str
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        """``{"path", "message", "severity"}``, for JSON output."""
        return {"path": self.path, "message": self.message, "severity": self.severity}


def unknown_key_problem(
    parent: Sequence[str | int],
    key: object,
    known: Sequence[str],
    *,
    severity: Severity = "error",
    root: str = "(root)",
    ignored: bool = False,
) -> Problem:
    """The problem for a key the schema does not know, at ``parent``.

    A key is named only when it is short (at most 24 characters) or close to a known one (a
    typo); a longer key is described by its length alone, since a secret pasted in the wrong
    place becomes a key.  ``ignored=True`` says the key is left out (for a warning).
    """
    text = key if isinstance(key, str) else str(key)
    what = "unknown key, ignored" if ignored else "unknown key"
    hint = closest(text, known) if len(text) <= _MAX_QUOTE else None
    if hint is not None or len(text) <= _MAX_KEY_SHOWN:
        advice = f"did you mean {hint!r}?" if hint else "known keys: " + ", ".join(known)
        return Problem(
            format_path([*parent, text], root),
            f"{what}; {advice}",
            severity,
        )
    return Problem(
        format_path(parent, root),
        f"has an unknown key of {len(text)} characters{', ignored' if ignored else ''} "
        "(not shown: it may be a secret pasted "
        f"in the wrong place); known keys: {', '.join(known)}",
        severity,
    )


def document_order(instance: object, parts: Sequence[str | int]) -> tuple[int, ...]:
    """A sort key that puts problems in the order their places appear in the document:
    ``templates[2]`` before ``templates[10]``, and keys in the order they were written
    (a missing key after the keys that are there)."""
    key: list[int] = []
    node: Any = instance
    for part in parts:
        if isinstance(node, dict) and isinstance(part, str):
            names = list(node)
            key.append(names.index(part) if part in node else len(names))
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int):
            key.append(part)
            node = node[part] if 0 <= part < len(node) else None
        else:
            key.append(part if isinstance(part, int) else 0)
            node = None
    return tuple(key)


def format_path(parts: Iterable[str | int], root: str = "(root)") -> str:
    """``["templates", 2, "usageType"]`` → ``"templates[2].usageType"``.

    A key that is not a short plain name is shown quoted, escaped and cut short
    (``["signN\\u0430me"]``), so a look-alike letter, a space or a line break in a key is
    visible and a path is always one short line.
    """
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and len(part) <= _MAX_QUOTE and _PLAIN_KEY.fullmatch(part):
            out += f".{part}" if out else part
        else:
            out += f"[{quote(part)}]"
    return out or root


def quote(value: object) -> str:
    """A short, one-line, escaped rendering of a value for a message."""
    try:
        text = json.dumps(value, ensure_ascii=True, default=repr)
    except (ValueError, RecursionError):  # nested too deeply, or an int too long to print
        text = _type_name(value)
    return text if len(text) <= _MAX_QUOTE else text[: _MAX_QUOTE - 1] + "…"


def shape_problems(
    instance: object,
    root: str = "(root)",
    max_values: int = MAX_VALUES,
    max_depth: int = MAX_DEPTH,
) -> list[Problem]:
    """What makes a document unfit to validate at all: too many values, too deep, or values
    JSON cannot carry (NaN, infinities, huge integers, text with unpaired surrogates).

    Walks without recursion and stops at the first size problem, so it is cheap on any input.
    """
    found: list[tuple[tuple[str | int, ...], Problem]] = []
    stack: list[tuple[object, tuple[str | int, ...]]] = [(instance, ())]
    seen = 1  # values met so far, counting those still on the stack
    while stack and len(found) < MAX_PROBLEMS:
        value, parts = stack.pop()
        reason = _unfit_scalar(value)
        if reason:
            found.append((parts, Problem(format_path(parts, root), reason)))
        if not isinstance(value, dict | list) or not value:
            continue
        if len(parts) >= max_depth:
            return [
                Problem(format_path(parts, root), f"is nested more than {max_depth} levels deep")
            ]
        seen += len(value)
        if seen > max_values:
            return [Problem(root, f"has more than {max_values} values; it is far too large")]
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    reason = f"has a key that is {_type_name(key)}, not text"
                    found.append((parts, Problem(format_path(parts, root), reason)))
                elif not is_unicode(key):
                    reason = "has a key that is not valid Unicode text"
                    found.append((parts, Problem(format_path(parts, root), reason)))
                else:
                    stack.append((item, (*parts, key)))
        else:
            stack.extend((item, (*parts, i)) for i, item in enumerate(value))
    found.sort(key=lambda item: document_order(instance, item[0]))
    return [problem for _, problem in found]


def _unfit_scalar(value: object) -> str | None:
    if isinstance(value, str):
        return (
            None
            if is_unicode(value)
            else ("is not valid Unicode text (it has an unpaired surrogate)")
        )
    if isinstance(value, float) and not math.isfinite(value):
        return "must be a finite number (JSON has no NaN or Infinity)"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return "is a number too large to use"
    return None


def is_unicode(text: str) -> bool:
    """False for text with an unpaired surrogate, which no JSON encoder can write."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _type_name(value: object) -> str:
    return _JSON_TYPE.get(type(value), type(value).__name__)


def closest(word: str, choices: Sequence[str]) -> str | None:
    """The choice a typo most likely meant (case-insensitive), if any is close."""
    import difflib

    lowered = {choice.lower(): choice for choice in choices}
    if word.lower() in lowered:
        return lowered[word.lower()]
    match = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


class SchemaChecker:
    """A compiled validator for one schema, turning its errors into :class:`Problem` lists."""

    def __init__(self, schema: Mapping[str, Any], root_name: str = "(root)") -> None:
        from jsonschema import Draft202012Validator

        self.schema = schema
        self.root_name = root_name
        self._validator: Validator = Draft202012Validator(schema)

    def is_valid(self, instance: object) -> bool:
        """True when the instance fits (the fast path: no messages are built)."""
        if shape_problems(instance, self.root_name):
            return False
        return bool(self._validator.is_valid(instance))  # type: ignore[arg-type]

    def problems(self, instance: object) -> list[Problem]:
        """Every problem (at most ``MAX_PROBLEMS`` and a note that there are more), each with
        its path and an actionable sentence, in document order."""
        unfit = shape_problems(instance, self.root_name)
        if unfit:
            return unfit
        found: dict[Problem, tuple[int, ...]] = {}  # a repeat is found at no cost
        more = False
        for error in self._validator.iter_errors(instance):  # type: ignore[arg-type]
            for parts, problem in self._explain(error):
                found.setdefault(problem, document_order(instance, parts))
            if len(found) >= MAX_PROBLEMS:
                more = True
                break
        ordered = sorted(found, key=lambda p: found[p])[:MAX_PROBLEMS]
        if more:
            ordered.append(
                Problem(self.root_name, "has more problems than listed; fix these first")
            )
        return ordered

    # -- one error → problems -------------------------------------------------------------

    def _explain(self, error: ValidationError) -> Iterator[tuple[list[str | int], Problem]]:
        parts = list(error.absolute_path)
        path = format_path(parts, self.root_name)
        keyword = str(error.validator)
        field = self._field_schema(parts)
        value: Any = error.instance
        limit: Any = error.validator_value
        schema: Any = error.schema if isinstance(error.schema, dict) else {}
        secret = bool(field.get("writeOnly"))

        if keyword == "required":
            props = schema.get("properties", {})
            for name in limit:
                if isinstance(value, dict) and name not in value:
                    title = props.get(name, {}).get("title", name)
                    where = [*parts, name]
                    yield where, Problem(format_path(where), f"missing; {title} is required")
        elif keyword == "additionalProperties" and isinstance(value, dict):
            known = list(schema.get("properties", {}))
            for key in value:
                if key not in known:
                    yield [*parts, key], unknown_key_problem(parts, key, known, root=self.root_name)
        elif keyword == "type":
            yield parts, Problem(path, f"must be {_expected_type(limit)}, not {_type_name(value)}")
        elif keyword in ("enum", "const"):
            allowed = limit if keyword == "enum" else [limit]
            shown = "a value" if secret else quote(value)
            hint = closest(value, [str(a) for a in allowed]) if isinstance(value, str) else None
            advice = (
                f"did you mean {hint!r}?"
                if hint
                else "use one of " + ", ".join(str(a) for a in allowed)
            )
            yield parts, Problem(path, f"{shown} is not allowed; {advice}")
        elif keyword in ("minLength", "pattern") and value == "":
            yield parts, Problem(path, "must not be empty")
        elif keyword == "pattern" and isinstance(value, str):
            yield parts, Problem(path, _pattern_message(value, field, schema))
        elif isinstance(schema.get("errorMessage"), str):
            # The schema's own words for a rule (e.g. what a "contains" asks for).
            yield parts, Problem(path, schema["errorMessage"])
        else:
            yield parts, Problem(path, _generic_message(keyword, limit, value))

    def _field_schema(self, parts: Sequence[str | int]) -> dict[str, Any]:
        """The schema of the field at ``parts``, with ``$ref`` targets merged under its own keys."""
        node: dict[str, Any] = self._resolve(dict(self.schema))
        for part in parts:
            if isinstance(part, int):
                nxt = node.get("items", {})
            else:
                nxt = node.get("properties", {}).get(part, {})
            node = self._resolve(nxt if isinstance(nxt, dict) else {})
        return node

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return node
        target: Any = self.schema
        for piece in ref[2:].split("/"):
            target = target.get(piece, {}) if isinstance(target, dict) else {}
        merged = dict(self._resolve(target) if isinstance(target, dict) else {})
        merged.update({k: v for k, v in node.items() if k != "$ref"})
        return merged


def _expected_type(expected: object) -> str:
    names = expected if isinstance(expected, list) else [expected]
    words = {
        "object": "an object",
        "array": "an array",
        "string": "a string",
        "integer": "a whole number",
        "number": "a number",
        "boolean": "true or false",
        "null": "null",
    }
    return " or ".join(words.get(str(n), str(n)) for n in names)


def _pattern_message(value: str, field: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    if value != value.strip():
        return (
            "has leading or trailing whitespace; remove it (a space copied from a console "
            "is a common cause of signature failures)"
        )
    hint = schema.get("errorMessage") or field.get("errorMessage")
    examples = field.get("examples") or schema.get("examples") or []
    text = str(hint) if hint else "does not have the expected form"
    if examples and not field.get("writeOnly"):
        text += f", for example {quote(examples[0])}"
    return text


def _generic_message(keyword: str, limit: object, value: object) -> str:
    size = len(value) if isinstance(value, (str, list, dict)) else None
    messages = {
        "minLength": f"is too short (at least {limit} characters)",
        "maxLength": f"is too long ({size} characters; at most {limit})",
        "minItems": f"needs at least {limit} item(s)",
        "maxItems": f"has too many items ({size}; at most {limit})",
        "uniqueItems": "has repeated items; each may appear once",
        "minimum": f"must be at least {limit}",
        "maximum": f"must be at most {limit}",
        "exclusiveMinimum": f"must be greater than {limit}",
        "exclusiveMaximum": f"must be less than {limit}",
        "maxProperties": f"has too many keys ({size}; at most {limit})",
        "minProperties": f"needs at least {limit} key(s)",
    }
    return messages.get(keyword, f"is not valid ({keyword})")
