"""JSON Schema validation that speaks to an admin.

jsonschema's own messages quote the offending value and the raw keyword ("'abc' does not
match '^[0-9]+$'"), which leaks secrets and tells a person little.  Here every failure becomes
a :class:`Problem`: the JSON path of the field and a sentence built from the keyword and the
field's own schema (its title, examples and ``errorMessage``).  Values are quoted only where
they help and never for a ``writeOnly`` field.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a config or a request: where, and what to do about it."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def to_dict(self) -> dict[str, str]:
        """``{"path", "message"}``, for JSON output."""
        return {"path": self.path, "message": self.message}


def format_path(parts: Iterable[str | int], root: str = "(root)") -> str:
    """``["templates", 2, "usageType"]`` → ``"templates[2].usageType"``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or root


def quote(value: object) -> str:
    """A short, one-line, escaped rendering of a value for a message."""
    text = json.dumps(value, ensure_ascii=True, default=repr)
    return text if len(text) <= _MAX_QUOTE else text[: _MAX_QUOTE - 1] + "…"


def _type_name(value: object) -> str:
    return _JSON_TYPE.get(type(value), type(value).__name__)


def closest(word: str, choices: Sequence[str]) -> str | None:
    """The choice a typo most likely meant (case-insensitive), if any is close."""
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
        return bool(self._validator.is_valid(instance))  # type: ignore[arg-type]

    def problems(self, instance: object) -> list[Problem]:
        """Every problem, each with its path and an actionable sentence, in document order."""
        found: list[Problem] = []
        missing_types: dict[str, list[str]] = {}
        for error in self._validator.iter_errors(instance):  # type: ignore[arg-type]
            for problem in self._explain(error, missing_types):
                if problem not in found:
                    found.append(problem)
        for path, types in missing_types.items():
            example = f'{{"usageType": "{types[0]}", "templateCode": "<template id>"}}'
            found.append(
                Problem(
                    path,
                    f"no template for usageType {', '.join(types)}; add one per type, "
                    f"e.g. {example}",
                )
            )
        return sorted(found, key=lambda p: p.path)

    # -- one error → problems -------------------------------------------------------------

    def _explain(
        self, error: ValidationError, missing_types: dict[str, list[str]]
    ) -> Iterator[Problem]:
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
                    yield Problem(format_path([*parts, name]), f"missing; {title} is required")
        elif keyword == "additionalProperties" and isinstance(value, dict):
            known = list(schema.get("properties", {}))
            for key in value:
                if key in known:
                    continue
                hint = closest(str(key), known)
                advice = f"did you mean {hint!r}?" if hint else "allowed: " + ", ".join(known)
                yield Problem(format_path([*parts, str(key)]), f"unknown key; {advice}")
        elif keyword == "contains" and _const_usage_type(limit):
            missing_types.setdefault(path, []).append(_const_usage_type(limit))
        elif keyword == "type":
            yield Problem(path, f"must be {_expected_type(limit)}, "
                          f"not {_type_name(value)}")
        elif keyword in ("enum", "const"):
            allowed = limit if keyword == "enum" else [limit]
            shown = "a value" if secret else quote(value)
            hint = closest(value, [str(a) for a in allowed]) if isinstance(value, str) else None
            advice = f"did you mean {hint!r}?" if hint else "use one of " + ", ".join(
                str(a) for a in allowed
            )
            yield Problem(path, f"{shown} is not allowed; {advice}")
        elif keyword in ("minLength", "pattern") and value == "":
            yield Problem(path, "must not be empty")
        elif keyword == "pattern" and isinstance(value, str):
            yield Problem(path, _pattern_message(value, field, schema))
        else:
            yield Problem(path, _generic_message(keyword, limit, value))

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


def _const_usage_type(subschema: object) -> str:
    if not isinstance(subschema, dict):
        return ""
    usage = subschema.get("properties", {}).get("usageType", {})
    const = usage.get("const") if isinstance(usage, dict) else None
    return const if isinstance(const, str) else ""


def _expected_type(expected: object) -> str:
    names = expected if isinstance(expected, list) else [expected]
    words = {"object": "an object", "array": "an array", "string": "a string",
             "integer": "a whole number", "number": "a number", "boolean": "true or false",
             "null": "null"}
    return " or ".join(words.get(str(n), str(n)) for n in names)


def _pattern_message(value: str, field: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    if value != value.strip():
        return ("has leading or trailing whitespace; remove it (a space copied from a console "
                "is a common cause of signature failures)")
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
