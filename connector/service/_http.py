"""Small pieces every blueprint of the service shares: JSON answers, safe log text."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask import Response

_MAX_LOG_TEXT = 80


def json_response(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> Response:
    """A one-line JSON answer (UTF-8, no charset games)."""
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(
        text + "\n", status=status, mimetype="application/json", headers=dict(headers or {})
    )


def failure(
    status: int,
    code: str,
    message: str,
    data: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """``{"ok": false, "code", "message", "data"}``: every failure the service gives."""
    return json_response(
        status, {"ok": False, "code": code, "message": message, "data": dict(data or {})}, headers
    )


def log_text(value: object) -> str:
    """Text from a request, safe for one log line: escaped, without spaces, cut short."""
    text = str(value)
    text = text.encode("unicode_escape", "backslashreplace").decode("ascii").replace(" ", "%20")
    return text if len(text) <= _MAX_LOG_TEXT else text[:_MAX_LOG_TEXT] + "…"
