"""What an account check finds: one finding per checked item of a config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

#: ``ok`` passed; ``error`` every send it concerns will fail; ``warning`` some sends will
#: fail or something looks wrong; ``unchecked`` the provider would not let us look.
CheckSeverity = Literal["ok", "warning", "error", "unchecked"]
#: Most urgent first, the order a report lists them in.
CHECK_SEVERITIES: tuple[CheckSeverity, ...] = ("error", "warning", "unchecked", "ok")


@dataclass(frozen=True)
class CheckFinding:
    """One item of a config checked against the provider account.

    ``path`` points into the config (``"signName"``, ``"templates[2].templateCode"``);
    ``message`` says what was found and ``advice`` what to do in the provider's console
    (empty when there is nothing to do).  ``subject`` is what was checked (``"sign"``,
    ``"template"``), ``route`` and ``usage_type`` which sends it concerns, ``provider_code``
    the provider's error code when it refused to answer.  Never holds a secret.
    """

    path: str
    severity: CheckSeverity
    subject: str
    message: str
    advice: str = ""
    route: str | None = None
    usage_type: str | None = None
    provider_code: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form with camelCase keys."""
        return {
            "path": self.path,
            "severity": self.severity,
            "subject": self.subject,
            "message": self.message,
            "advice": self.advice,
            "route": self.route,
            "usageType": self.usage_type,
            "providerCode": self.provider_code,
        }

    def __str__(self) -> str:
        advice = f" → {self.advice}" if self.advice else ""
        return f"{self.severity}: {self.path}: {self.message}{advice}"
