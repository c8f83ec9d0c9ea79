"""The verdict on a config: its errors and its warnings, for hosts, consoles and gateways."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._errors import ConnectorError, ErrorCode
from ._validation import Problem


@dataclass(frozen=True)
class ConfigReport:
    """What :meth:`ConnectorHost.check_config` found.

    ``errors`` make the config unusable (every send would fail, or it is unsafe); ``warnings``
    leave it usable (only some sends are affected, or something looks wrong).  Both are in
    the order their places appear in the config.  ``config`` is the config to send with, or
    ``None`` when there are errors.  No problem quotes a secret.
    """

    connector_id: str
    config: Mapping[str, Any] | None = field(repr=False)  # it holds the secret
    errors: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        """True when the config has no errors (it may have warnings)."""
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """``{"ok", "connectorId", "errors", "warnings"}`` (the config itself is left out)."""
        return {
            "ok": self.ok,
            "connectorId": self.connector_id,
            "errors": [p.to_dict() for p in self.errors],
            "warnings": [p.to_dict() for p in self.warnings],
        }

    def raise_for_errors(self) -> Mapping[str, Any]:
        """Return the config; raise ``ConnectorError(invalid_config)`` when it has errors.

        The error's ``data`` has ``problems`` (the errors) and ``warnings``.
        """
        if self.config is not None and not self.errors:
            return self.config
        raise problems_error(
            ErrorCode.INVALID_CONFIG, "config", list(self.errors), list(self.warnings)
        )


def problems_error(
    code: ErrorCode,
    what: str,
    problems: list[Problem],
    warnings: list[Problem] | None = None,
) -> ConnectorError:
    """One error listing every problem of a document, each with its path."""
    count = len(problems)
    summary = "; ".join(str(p) for p in problems)
    noun = "problem" if count == 1 else "problems"
    data: dict[str, Any] = {"problems": [p.to_dict() for p in problems]}
    if warnings:
        data["warnings"] = [p.to_dict() for p in warnings]
    return ConnectorError(code, f"{what} is invalid ({count} {noun}): {summary}", data)
