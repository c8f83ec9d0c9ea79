"""Abuse guards in front of the host: country lists, sliding-window limits, a spend ceiling.

They know no provider.  The country of a number comes from ``phonenumbers`` (a dependency
of the package already), read the way Logto keeps numbers: ``+`` E.164, ``00`` for
international, bare digits country code first.  A number that reads as no valid number
passes the country rules untouched: the connector refuses it before any request anyway.

The settings are a JSON document (``schemas/guards.schema.json``)::

    {"countries": {"allow": ["CN", "HK"], "deny": []},
     "limits": [{"per": "number", "max": 5, "window": 3600},
                {"per": "ip", "max": 20, "window": 3600},
                {"per": "prefix", "digits": 7, "max": 50, "window": 3600},
                {"per": "country", "max": 1000, "window": 3600}],
     "spendCeiling": {"perHour": 500, "prices": {"CN": 1, "*": 8}},
     "whenCountersFail": {"limits": "open", "spendCeiling": "closed"}}
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import phonenumbers

from ..kit import ErrorCode, format_path, load_schema, read_config_file
from ._counters import Check, Counters, CountersUnavailable
from ._metrics import GatewayMetrics

log = logging.getLogger("connector.service")

#: The regions a send may go to when the settings name none: mainland China only.  A
#: gateway starts sending to the one region the common config serves and nowhere costly;
#: every other region is a decision the admin writes down (``"allow": "*"`` for all).
DEFAULT_ALLOW: tuple[str, ...] = ("CN",)
SPEND_WINDOW = 3600
#: Seconds a refusal asks a client to wait while the counters cannot be read.
UNAVAILABLE_RETRY = 5
#: Seconds between two log lines about unreachable counters (every send is counted).
LOG_EVERY = 10.0
_SCHEMA = "guards.schema.json"


class GuardSettingsError(ValueError):
    """A guards document that cannot be used; the message lists every problem with its path."""


@dataclass(frozen=True)
class Limit:
    """At most ``max`` sends per ``window`` seconds for one ip, number, prefix or country."""

    per: str
    max: int
    window: int
    digits: int | None = None


@dataclass(frozen=True)
class GuardSettings:
    """What the guards enforce (made from a document by :meth:`from_document`)."""

    allow: frozenset[str] | None = frozenset(DEFAULT_ALLOW)  # None: every region
    deny: frozenset[str] = frozenset()
    limits: tuple[Limit, ...] = ()
    spend_per_hour: float | None = None
    prices: Mapping[str, float] = field(default_factory=dict)
    limits_fail_open: bool = True
    spend_fails_open: bool = False

    @classmethod
    def from_document(cls, document: object) -> GuardSettings:
        """Settings from the parsed JSON; :class:`GuardSettingsError` lists every problem."""
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import best_match

        validator = Draft202012Validator(load_schema(_SCHEMA))
        # Of the branches of a oneOf, the one that came closest says what is wrong.
        found = [best_match(e.context) if e.context else e for e in validator.iter_errors(document)]
        errors = sorted(found, key=lambda e: list(map(str, e.absolute_path)))
        if errors:
            lines = [f"{format_path(e.absolute_path)}: {_say(e)}" for e in errors[:20]]
            raise GuardSettingsError("the guards are not valid:\n  " + "\n  ".join(lines))
        assert isinstance(document, dict)
        countries = document.get("countries", {})
        allow = countries.get("allow", list(DEFAULT_ALLOW))
        spend = document.get("spendCeiling")
        failing = document.get("whenCountersFail", {})
        return cls(
            allow=None if allow == "*" else frozenset(allow),
            deny=frozenset(countries.get("deny", [])),
            limits=tuple(
                Limit(item["per"], item["max"], item["window"], item.get("digits"))
                for item in document.get("limits", [])
            ),
            spend_per_hour=float(spend["perHour"]) if spend else None,
            prices=dict(spend.get("prices", {})) if spend else {},
            limits_fail_open=failing.get("limits", "open") == "open",
            spend_fails_open=failing.get("spendCeiling", "closed") == "open",
        )

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> GuardSettings:
        """Settings from a JSON file (``-``: stdin).

        Raises :class:`~connector.kit.UnreadableConfigError` or :class:`GuardSettingsError`.
        """
        from ..kit import ConnectorError

        try:
            document = read_config_file(os.fspath(path))
        except ConnectorError as exc:  # not JSON: line and column in the message
            raise GuardSettingsError(f"the guards are not valid JSON: {exc.message}") from None
        return cls.from_document(document)

    def price(self, region: str | None) -> float:
        """Price units of one send to ``region``."""
        if region is not None and region in self.prices:
            return self.prices[region]
        return self.prices.get("*", 1.0)


def _say(error: Any) -> str:
    if error.validator == "additionalProperties":
        return f"unknown key ({error.message.split('(')[-1].rstrip(')')})"
    if error.validator == "const" and error.validator_value == "*":
        return "must be '*' (every region) or a list of ISO 3166 region codes"
    if error.validator == "pattern" and isinstance(error.instance, str):
        return f"{error.instance!r} is not an ISO 3166 region code in capitals (e.g. 'CN')"
    return str(error.message)


@dataclass(frozen=True)
class GuardRefusal:
    """A send the guards refuse: the answer's status, Logto error code, message, data."""

    status: int
    code: str
    message: str
    data: dict[str, Any]
    retry_after: int | None = None


_SEPARATORS = re.compile(r"[\s().\-]")


def region_of(number: str) -> str | None:
    """The ISO region of a number read as Logto keeps it, or ``None`` when it is not valid."""
    return _read(number)[0]


def _read(number: str) -> tuple[str | None, str]:
    """The number's region (or None) and its E.164 digits, one count whatever its spelling
    (its bare digits when it is no valid number)."""
    parsed = _parse(number)
    if parsed is None:
        return None, "".join(ch for ch in number if ch.isdigit())
    region = phonenumbers.region_code_for_number(parsed)
    digits = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)[1:]
    return (region if region and region != "ZZ" else None), digits


def _parse(number: str) -> phonenumbers.PhoneNumber | None:
    # The separators the connector ignores, so that "(00)86…" is "0086…" here too.
    text = _SEPARATORS.sub("", number)
    digits = "".join(ch for ch in text if ch.isdigit())
    if text.startswith("00"):
        candidates = ["+" + digits[2:]]
    elif text.startswith("+"):
        candidates = ["+" + digits]
    else:
        # Country code first, as Logto keeps numbers; a bare mainland mobile only when that
        # reading is no number (the connector's documented policy, so both count alike).
        candidates = ["+" + digits, "+86" + digits] if len(digits) == 11 else ["+" + digits]
    for candidate in candidates:
        try:
            parsed = phonenumbers.parse(candidate, None)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return parsed
    return None


def _hashed(value: str) -> str:
    # Counter keys sit in Redis for a window: no phone number or address in clear.
    return hashlib.blake2b(value.encode("utf-8", "surrogatepass"), digest_size=12).hexdigest()


class GuardSource(Protocol):
    """Where the guards' settings come from, asked on every send (must be cheap).

    ``None``: no guards now (every send goes on to the connector).
    """

    def current(self) -> GuardSettings | None:
        """The settings to enforce now."""
        ...


class StaticGuardSource:
    """The same settings for the whole run (``serve --guards FILE``)."""

    def __init__(self, settings: GuardSettings) -> None:
        self.settings = settings

    def current(self) -> GuardSettings:
        """The settings given at start."""
        return self.settings


class Guards:
    """The guards of one app: where their settings come from, their counters, their metrics."""

    def __init__(
        self,
        source: GuardSettings | GuardSource,
        counters: Counters,
        metrics: GatewayMetrics,
    ) -> None:
        self.source: GuardSource = (
            StaticGuardSource(source) if isinstance(source, GuardSettings) else source
        )
        self.counters = counters
        self.metrics = metrics
        self._last_warning = -LOG_EVERY

    def check(self, to: str, ip: str | None) -> GuardRefusal | None:
        """Refuse a send to ``to`` from ``ip``, or count it and return ``None``."""
        settings = self.source.current()
        if settings is None:
            return None
        region, digits = _read(to)
        if region is None and settings.allow is not None:
            # A number no country claims cannot be on an allow-list (the connector may still
            # read it some way of its own: refuse rather than guess).
            self.metrics.guard_refusals.labels(guard="country").inc()
            return GuardRefusal(
                400,
                ErrorCode.INVALID_REQUEST_PARAMETERS.value,
                "this gateway cannot tell which country the number belongs to, and its guards "
                "allow only listed ones; send it in E.164 form, +<country code><number>",
                {"guard": "country", "country": None},
            )
        if region is not None and (
            region in settings.deny or (settings.allow is not None and region not in settings.allow)
        ):
            self.metrics.guard_refusals.labels(guard="country").inc()
            code = phonenumbers.country_code_for_region(region)
            allowed = (
                "every region but the denied ones"
                if settings.allow is None
                else "only " + (", ".join(sorted(settings.allow)) or "no region")
            )
            return GuardRefusal(
                400,
                ErrorCode.INVALID_REQUEST_PARAMETERS.value,
                f"this gateway does not send to {region} (+{code}); its guards allow {allowed}",
                {"guard": "country", "country": region},
            )
        checks = _checks(settings, digits, ip, region)
        try:
            refusal = self.counters.take(checks)
        except CountersUnavailable as exc:
            return self._unavailable(settings, checks, str(exc))
        if refusal is None:
            return None
        guard = refusal.check.guard
        self.metrics.guard_refusals.labels(guard=guard).inc()
        what = {
            "spendCeiling": f"the spend ceiling of {refusal.check.limit:g} per hour",
        }.get(guard, f"the limit of {refusal.check.limit:g} sends per {refusal.check.window} s")
        per = "" if guard in ("spendCeiling",) else f" per {guard}"
        return GuardRefusal(
            429,
            ErrorCode.RATE_LIMIT_EXCEEDED.value,
            f"{what}{per} is reached; try again in {refusal.retry_after} s",
            {"guard": guard, "retryAfter": refusal.retry_after},
            refusal.retry_after,
        )

    def _unavailable(
        self, settings: GuardSettings, checks: Sequence[Check], reason: str
    ) -> GuardRefusal | None:
        closed = [
            c.guard
            for c in checks
            if not (
                settings.spend_fails_open
                if c.guard == "spendCeiling"
                else settings.limits_fail_open
            )
        ]
        policy = "closed" if closed else "open"
        self.metrics.guard_counter_errors.labels(backend=self.counters.backend, policy=policy).inc()
        now = time.monotonic()
        if now - self._last_warning >= LOG_EVERY:  # an outage must not flood the log
            self._last_warning = now
            log.warning(
                "guard counters (%s) unreachable (%s): sends fail %s; /metrics counts each",
                self.counters.backend,
                reason,
                policy,
            )
        if not closed:
            return None
        self.metrics.guard_refusals.labels(guard="unavailable").inc()
        return GuardRefusal(
            429,
            ErrorCode.RATE_LIMIT_EXCEEDED.value,
            f"the gateway cannot check its {closed[0]} limit now, so it sends nothing; "
            f"try again in {UNAVAILABLE_RETRY} s",
            {"guard": closed[0], "retryAfter": UNAVAILABLE_RETRY, "reason": "counters_unavailable"},
            UNAVAILABLE_RETRY,
        )


def _checks(
    settings: GuardSettings, digits: str, ip: str | None, region: str | None
) -> list[Check]:
    checks: list[Check] = []
    for limit in settings.limits:
        if limit.per == "ip":
            key = _hashed(ip) if ip else None
        elif limit.per == "number":
            key = _hashed(digits) if digits else None
        elif limit.per == "prefix":
            key = _hashed(digits[: limit.digits]) if digits else None
        else:
            key = region
        if key is not None:
            checks.append(Check(limit.per, key, limit.window, limit.max))
    if settings.spend_per_hour is not None:
        checks.append(
            Check(
                "spendCeiling",
                "all",
                SPEND_WINDOW,
                settings.spend_per_hour,
                settings.price(region),
            )
        )
    return checks
