"""The account check: the config's signs and templates against what the Tencent account holds.

It asks ``DescribeSmsSignList`` and ``DescribeSmsTemplateList`` and reports, per route and
usage type, whether each sign and template exists, is approved, is of the right kind, and
has as many placeholders as the config passes.  Accounts that may not use these APIs
(individually verified, a sub-account's key, no permission) get "could not check" per item.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..kit import CheckFinding, CheckSeverity, ConnectorError
from .client import SendSmsClient
from .errors import text_field
from .lookups import call
from .settings import DEFAULT_PARAMS

MAX_IDS = 100  # ids per Describe call
PAGE = 100
MAX_PAGES = 50
_PLACEHOLDER = re.compile(r"\{([0-9]+)\}")
_MAINLAND, _INTERNATIONAL, _BOTH = 0, 1, 3
_CONSOLE = "the Tencent Cloud SMS console"

#: Tencent's refusals that mean "this key may not look", not "the config is wrong".
UNCHECKABLE: Mapping[str, str] = {
    "FailedOperation.NotEnterpriseCertification": (
        "the account is individually verified, and Tencent lets only enterprise-verified "
        "accounts query signs and templates by API; compare them by hand in " + _CONSOLE
    ),
    "FailedOperation.ProhibitSubAccountUse": (
        "only the main account may list templates; run the check with the main account's "
        "API key, or compare by hand in " + _CONSOLE
    ),
    "UnauthorizedOperation.RequestPermissionDeny": (
        "this API key lacks permission for the SMS query APIs; grant it QcloudSMSReadOnlyAccess "
        "(or sms:Describe*) in Access Management (CAM)"
    ),
    "AuthFailure.UnauthorizedOperation": (
        "this API key lacks permission for the SMS query APIs; grant it QcloudSMSReadOnlyAccess "
        "(or sms:Describe*) in Access Management (CAM)"
    ),
    "UnsupportedOperation": "Tencent does not offer this query for the account",
}
_MISSING_TEMPLATE = "FailedOperation.MissingTemplateToModify"


@dataclass(frozen=True)
class _Unavailable:
    """Tencent refused to answer a look-up for a reason in ``UNCHECKABLE``."""

    code: str

    def finding(
        self, path: str, subject: str, route: str, usage_type: str | None = None
    ) -> CheckFinding:
        return CheckFinding(
            path=path,
            severity="unchecked",
            subject=subject,
            message=f"could not check the {subject}: Tencent answered {self.code}",
            advice=UNCHECKABLE[self.code],
            route=route,
            usage_type=usage_type,
            provider_code=self.code,
        )


class _Account:
    """What the Tencent account holds, fetched once per check."""

    def __init__(self, client: SendSmsClient) -> None:
        self._client = client
        self._signs: dict[int, dict[str, Mapping[str, Any]] | _Unavailable] = {}

    def _call(self, action: str, params: Mapping[str, Any]) -> Mapping[str, Any] | _Unavailable:
        try:
            return call(self._client, action, params)
        except ConnectorError as exc:
            code = str(exc.data.get("tencentCode") or "")
            if code in UNCHECKABLE:
                return _Unavailable(code)
            raise

    def signs(self, international: int) -> dict[str, Mapping[str, Any]] | _Unavailable:
        """The account's signs of one kind by name (paging through the whole list)."""
        if international not in self._signs:
            self._signs[international] = self._list_signs(international)
        return self._signs[international]

    def _list_signs(self, international: int) -> dict[str, Mapping[str, Any]] | _Unavailable:
        found: dict[str, Mapping[str, Any]] = {}
        for page in range(MAX_PAGES):
            params = {"International": international, "Limit": PAGE, "Offset": page * PAGE}
            answer = self._call("DescribeSmsSignList", params)
            if isinstance(answer, _Unavailable):
                return answer
            items = _items(answer, "DescribeSignListStatusSet")
            for item in items:
                name = text_field(item.get("SignName"))
                if name is not None:
                    found.setdefault(name, item)
            if len(items) < PAGE:  # no total count: a short page is the last one
                break
        return found

    def templates(self, ids: Sequence[int]) -> dict[int, Mapping[str, Any]] | _Unavailable:
        """The account's templates among ``ids``, of either kind, by id."""
        found: dict[int, Mapping[str, Any]] = {}
        for international in (_MAINLAND, _INTERNATIONAL):
            wanted = [i for i in ids if i not in found]
            for start in range(0, len(wanted), MAX_IDS):
                chunk = wanted[start : start + MAX_IDS]
                items = self._templates(international, chunk)
                if isinstance(items, _Unavailable):
                    return items
                for item in items:
                    template_id = item.get("TemplateId")
                    if isinstance(template_id, int):
                        found.setdefault(template_id, item)
        return found

    def _templates(
        self, international: int, ids: list[int]
    ) -> list[Mapping[str, Any]] | _Unavailable:
        params = {"International": international, "TemplateIdSet": ids}
        try:
            answer = self._call("DescribeSmsTemplateList", params)
        except ConnectorError as exc:
            # Tencent may refuse a whole set for one unknown id: then ask one at a time.
            if exc.data.get("tencentCode") != _MISSING_TEMPLATE:
                raise
            if len(ids) == 1:
                return []
            items: list[Mapping[str, Any]] = []
            for one in ids:
                answer_one = self._templates(international, [one])
                if isinstance(answer_one, _Unavailable):
                    return answer_one
                items += answer_one
            return items
        if isinstance(answer, _Unavailable):
            return answer
        return _items(answer, "DescribeTemplateStatusSet")


def _items(response: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    items = response.get(key)
    if not isinstance(items, list):
        return []
    return [item for item in items if isinstance(item, Mapping)]


# --- the check ---------------------------------------------------------------------------


def check_account(config: Mapping[str, Any], client: SendSmsClient) -> list[CheckFinding]:
    """Every finding for a valid config, mainland route first."""
    account = _Account(client)
    # {} is what Logto's console saves for an untouched block: the same as none.
    intl = config.get("international") or None
    findings = list(_check_sign(account, "signName", config["signName"], "mainland"))
    if intl is not None and intl.get("signName"):
        findings += _check_sign(
            account, "international.signName", intl["signName"], "international"
        )
    routes = [("mainland", "templates", _used(config["templates"]))]
    if intl is not None:
        routes.append(("international", "international.templates", _used(intl["templates"])))
    ids = sorted({int(item["templateCode"]) for _, _, items in routes for _, item in items})
    records = account.templates(ids) if ids else {}
    for route, where, items in routes:
        for index, item in items:
            findings += _check_template(records, f"{where}[{index}]", item, route)
    if intl is None and not isinstance(records, _Unavailable):
        findings += _shared_international(records, [item for _, item in routes[0][2]])
    return findings


def _used(items: Sequence[Mapping[str, Any]]) -> list[tuple[int, Mapping[str, Any]]]:
    """The entries sends use, with their index: the first per usage type whose templateCode
    is a template ID (validation already warns about the others)."""
    seen: set[str] = set()
    used = []
    for index, item in enumerate(items):
        usage, code = str(item["usageType"]), str(item["templateCode"])
        if usage not in seen and code.isascii() and code.isdigit():
            seen.add(usage)
            used.append((index, item))
    return used


_SIGN_STATES = {
    1: ("is still under review", "wait for the review to finish in " + _CONSOLE),
    2: (
        "is approved but not in effect yet",
        "wait until it takes effect (the carrier filing is still running)",
    ),
    -1: ("was rejected", "edit and resubmit it in " + _CONSOLE + ", or use an approved sign"),
}
_TEMPLATE_STATES = {
    1: ("is still under review", "wait for the review to finish, or use an approved template"),
    2: ("is approved but not in effect yet", "wait until it takes effect"),
    -1: (
        "was rejected",
        "edit and resubmit it in " + _CONSOLE + ", or put an approved template's ID here",
    ),
}


def _check_sign(account: _Account, path: str, name: str, route: str) -> Iterator[CheckFinding]:
    international = route == "international"
    signs = account.signs(_INTERNATIONAL if international else _MAINLAND)
    if isinstance(signs, _Unavailable):
        yield signs.finding(path, "sign", route)
        return
    # International messages need no sign: a problem there only affects the sign shown.
    problem: CheckSeverity = "warning" if international else "error"
    kind = "international" if international else "Chinese mainland"
    record = signs.get(name)
    if record is None:
        yield CheckFinding(
            path,
            problem,
            "sign",
            f"the account has no {kind} sign named {name!r}",
            f"copy the sign's text exactly from {_CONSOLE} ({kind} SMS > Signatures), "
            "or create the sign there",
            route,
        )
        return
    status = record.get("StatusCode")
    if status == 0:
        yield CheckFinding(path, "ok", "sign", f"sign {name!r} exists and is approved", "", route)
        return
    state, advice = _SIGN_STATES.get(status, ("is not usable", "check it in " + _CONSOLE))  # type: ignore[arg-type]
    reply = text_field(record.get("ReviewReply"))
    because = f" (reviewer: {reply})" if reply else ""
    yield CheckFinding(path, problem, "sign", f"sign {name!r} {state}{because}", advice, route)


def _check_template(
    records: Mapping[int, Mapping[str, Any]] | _Unavailable,
    where: str,
    item: Mapping[str, Any],
    route: str,
) -> Iterator[CheckFinding]:
    usage = str(item["usageType"])
    code = str(item["templateCode"])
    path = f"{where}.templateCode"

    def finding(severity: CheckSeverity, message: str, advice: str, at: str = path) -> CheckFinding:
        return CheckFinding(at, severity, "template", message, advice, route, usage)

    if isinstance(records, _Unavailable):
        yield records.finding(path, "template", route, usage)
        return
    record = records.get(int(code))
    if record is None:
        yield finding(
            "error",
            f"template {code} does not exist in this account",
            f"check the ID in {_CONSOLE} (Message Templates); a template of another Tencent "
            "Cloud account cannot be used with these keys",
        )
        return
    problems = 0
    kind = record.get("International")
    wanted = _INTERNATIONAL if route == "international" else _MAINLAND
    if kind not in (wanted, _BOTH):
        problems += 1
        have, need = (
            ("a mainland", "international")
            if wanted == _INTERNATIONAL
            else ("an international", "mainland")
        )
        yield finding(
            "error",
            f"template {code} is {have} template; {route} numbers need {need} templates",
            f"create a {need} template in {_CONSOLE} and put its ID here",
        )
    status = record.get("StatusCode")
    if status != 0:
        problems += 1
        state, advice = _TEMPLATE_STATES.get(status, ("is not usable", "check it in " + _CONSOLE))  # type: ignore[arg-type]
        reply = text_field(record.get("ReviewReply"))
        because = f" (reviewer: {reply})" if reply else ""
        yield finding("error", f"template {code} {state}{because}", advice)
    text = text_field(record.get("TemplateContent")) or ""
    numbers = [int(n) for n in _PLACEHOLDER.findall(text)]
    placeholders = len(set(numbers))
    params = tuple(item.get("params", DEFAULT_PARAMS))
    if placeholders != len(params):
        problems += 1
        yield finding(
            "error",
            f"template {code} has {placeholders} placeholder(s) but the config passes "
            f"{len(params)} value(s) ({', '.join(params) or 'none'})",
            f"set params to {placeholders} payload key(s) for {{1}}…{{{placeholders}}}, or use "
            f"a template with {len(params)} placeholder(s)",
            f"{where}.params",
        )
    elif len(numbers) != placeholders:
        problems += 1
        yield finding(
            "warning",
            f"template {code} repeats a placeholder; Tencent's count of its parameters is "
            "not documented for that case",
            "use each placeholder once",
        )
    if "code" not in params:
        problems += 1
        yield finding(
            "warning",
            f"no parameter of template {code} is the code, so users will not see their code",
            'add "code" to params',
            f"{where}.params",
        )
    if problems == 0:
        yield finding(
            "ok",
            f"template {code} is approved, fits {route} numbers and takes {placeholders} "
            "parameter(s) as configured",
            "",
        )


def _shared_international(
    records: Mapping[int, Mapping[str, Any]], items: Sequence[Mapping[str, Any]]
) -> Iterator[CheckFinding]:
    """Without an ``international`` block the top-level templates serve every number."""
    mainland_only = [
        str(item["usageType"])
        for item in items
        if records.get(int(item["templateCode"]), {}).get("International") == _MAINLAND
    ]
    if mainland_only:
        yield CheckFinding(
            "international",
            "warning",
            "template",
            "without an international block the templates serve every number, and those for "
            f"{', '.join(mainland_only)} are mainland-only: sends to numbers outside the "
            "Chinese mainland will be refused",
            "add an international block with international templates (and their SDK app), "
            "or use templates approved for both kinds",
            "international",
        )
