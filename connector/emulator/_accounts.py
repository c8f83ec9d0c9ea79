"""The Tencent Cloud accounts an emulator serves: credentials, SMS apps, signs and templates.

Signs and templates belong to the account (Tencent shares them across an account's SMS
apps), and each SdkAppId belongs to exactly one account.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

TemplateKind = Literal["verification", "notification", "marketing"]
_KINDS: tuple[TemplateKind, ...] = ("verification", "notification", "marketing")
#: A sign's or template's review state; only ``approved`` may be used to send.
ReviewStatus = Literal["approved", "pending", "rejected"]
_STATUSES: tuple[ReviewStatus, ...] = ("approved", "pending", "rejected")
#: Where a template may be sent: Tencent's ``International`` 0, 1 or 3.
Scope = Literal["mainland", "international", "both"]
_SCOPES: tuple[Scope, ...] = ("mainland", "international", "both")
_PLACEHOLDER = re.compile(r"\{([0-9]+)\}")
#: The highest ``{n}`` a template may use (every one up to it must appear).
MAX_PLACEHOLDER = 99
#: An accounts file is a few accounts; anything larger is a mistake, refused before parsing.
MAX_ACCOUNTS_BYTES = 1024 * 1024


class AccountsError(ValueError):
    """An accounts file or account list the emulator cannot serve; the message says why."""


class _Reviewed:
    """A sign or template: reviewed by Tencent before it may be used."""

    approved: bool
    status: ReviewStatus | None

    @property
    def review(self) -> ReviewStatus:
        """The review state: ``status`` when given, else from ``approved``."""
        return self.status or ("approved" if self.approved else "pending")

    @property
    def usable(self) -> bool:
        """Whether SendSms may use it."""
        return self.review == "approved"


@dataclass(frozen=True)
class Sign(_Reviewed):
    """An SMS signature (the text shown in 【】 before a mainland message).

    ``status`` is the review state (``approved`` unless ``approved=False`` says ``pending``);
    ``reply`` the reviewer's note; ``id`` the SignId the Describe API shows (default: one
    derived from the sign's place in its account).
    """

    name: str
    approved: bool = True
    international: bool = False
    status: ReviewStatus | None = None
    reply: str = ""
    id: int | None = None


@dataclass(frozen=True)
class Template(_Reviewed):
    """A message template whose ``{1}``, ``{2}``… are filled from TemplateParamSet."""

    id: str
    text: str
    kind: TemplateKind = "verification"
    international: bool = False
    approved: bool = True
    status: ReviewStatus | None = None
    reply: str = ""
    #: Usable for mainland and international numbers alike (Tencent's ``International`` 3).
    both: bool = False
    name: str = ""

    @property
    def scope(self) -> Scope:
        """``mainland``, ``international`` or ``both``."""
        if self.both:
            return "both"
        return "international" if self.international else "mainland"

    def serves(self, mainland: bool) -> bool:
        """Whether it may carry a message to a mainland (or an international) number."""
        return self.both or self.international != mainland

    @property
    def param_count(self) -> int:
        """How many parameters a request must send: the highest ``{n}`` in the text."""
        return max((int(n) for n in _PLACEHOLDER.findall(self.text)), default=0)

    def render(self, params: Iterable[str]) -> str:
        """The text with every ``{n}`` replaced by the n-th parameter."""
        values = list(params)
        return _PLACEHOLDER.sub(lambda m: values[int(m.group(1)) - 1], self.text)


@dataclass(frozen=True)
class Account:
    """One Tencent Cloud account: an API key pair, its SMS apps, signs and templates."""

    secret_id: str
    # Excluded from repr so that a logged or printed account never shows the key.
    secret_key: str = field(repr=False)
    sdk_app_ids: tuple[str, ...] = ()
    signs: tuple[Sign, ...] = ()
    templates: tuple[Template, ...] = ()
    #: Enterprise-verified: individually verified accounts may not use the Describe APIs.
    enterprise: bool = True
    #: The key is a sub-account's: the template list is refused to it.
    sub_account: bool = False
    #: PullSmsSendStatus activated (Tencent enables it on request).
    pull_enabled: bool = True
    #: Delivery outcome by E.164 number: a receipt code (``UNDELIV``, ``EXPIRED``…) or
    #: ``NONE`` for a message whose carrier never reports.  Unlisted numbers get ``DELIVRD``.
    reports: Mapping[str, str] = field(default_factory=dict, hash=False)

    def sign_id(self, sign: Sign) -> int:
        """The SignId Tencent's Describe API shows for one of this account's signs."""
        return sign.id if sign.id is not None else 1000 + self.signs.index(sign)

    def sign(self, name: str) -> Sign | None:
        """The sign with this text, if the account has one."""
        return next((s for s in self.signs if s.name == name), None)

    def template(self, template_id: str) -> Template | None:
        """The template with this id, if the account has one."""
        return next((t for t in self.templates if t.id == template_id), None)


# The built-in demo account.  Every value is fake and public on purpose: it exists so that
# the demo, the tests and a pasted config work without a real Tencent Cloud account.
DEMO_SECRET_ID = "AKIDemulator0000000000000000000000demo"
DEMO_SECRET_KEY = "emulator-demo-secret-key-0000000000"
DEMO_SDK_APP_ID = "1400000000"
DEMO_SIGN = "Emulator"
DEMO_PENDING_SIGN = "Pending"
DEMO_REGION = "ap-guangzhou"

#: Mainland verification-code templates, one per Logto template type.
DEMO_TEMPLATE_IDS: Mapping[str, str] = {
    "SignIn": "100001",
    "Register": "100002",
    "ForgotPassword": "100003",
    "OrganizationInvitation": "100004",
    "Generic": "100005",
    "UserPermissionValidation": "100006",
    "BindNewIdentifier": "100007",
    "MfaVerification": "100008",
    "BindMfa": "100009",
}
#: International verification-code templates.
DEMO_INTERNATIONAL_TEMPLATE_IDS: Mapping[str, str] = {
    "Generic": "200001",
    "SignIn": "200002",
    "Register": "200003",
    "ForgotPassword": "200004",
}
#: A mainland notification template with two parameters (free text, not only digits).
DEMO_TWO_PARAM_TEMPLATE_ID = "100010"
#: An international notification template with two parameters.
DEMO_INTERNATIONAL_TWO_PARAM_TEMPLATE_ID = "200005"
#: A mainland template still under review: sends with it are refused.
DEMO_UNAPPROVED_TEMPLATE_ID = "100099"
#: A mainland template the reviewer rejected.
DEMO_REJECTED_TEMPLATE_ID = "100098"
#: A verification template usable for mainland and international numbers alike.
DEMO_BOTH_TEMPLATE_ID = "300001"
#: A mainland sign the reviewer rejected.
DEMO_REJECTED_SIGN = "Rejected"
#: Numbers whose messages the demo account's carriers fail (or never report on).
DEMO_REPORTS: Mapping[str, str] = {
    "+8613800000001": "UNDELIV",
    "+8613800000002": "EXPIRED",
    "+8613800000003": "NONE",
}
_DEMO_REJECTION = "The text must name the business scenario."

_DEMO_TEXTS = {
    "SignIn": "Your sign-in code is {1}. It expires in 5 minutes.",
    "Register": "Your registration code is {1}. It expires in 5 minutes.",
    "ForgotPassword": "Your password reset code is {1}. It expires in 5 minutes.",
    "OrganizationInvitation": "Your organization invitation code is {1}. It expires in 5 minutes.",
    "Generic": "Your verification code is {1}. It expires in 5 minutes.",
    "UserPermissionValidation": "Your permission check code is {1}. It expires in 5 minutes.",
    "BindNewIdentifier": "Your code to link a new identifier is {1}. It expires in 5 minutes.",
    "MfaVerification": "Your two-step verification code is {1}. It expires in 5 minutes.",
    "BindMfa": "Your code to set up two-step verification is {1}. It expires in 5 minutes.",
}
_TWO_PARAM_TEXT = "{1} is your code; valid for {2} minutes."


def demo_account() -> Account:
    """The built-in demo account (see the ``DEMO_*`` constants)."""
    templates = [Template(tid, _DEMO_TEXTS[usage]) for usage, tid in DEMO_TEMPLATE_IDS.items()]
    templates += [
        Template(tid, _DEMO_TEXTS[usage], international=True)
        for usage, tid in DEMO_INTERNATIONAL_TEMPLATE_IDS.items()
    ]
    templates += [
        Template(DEMO_TWO_PARAM_TEMPLATE_ID, _TWO_PARAM_TEXT, kind="notification"),
        Template(
            DEMO_INTERNATIONAL_TWO_PARAM_TEMPLATE_ID,
            _TWO_PARAM_TEXT,
            kind="notification",
            international=True,
        ),
        Template(DEMO_UNAPPROVED_TEMPLATE_ID, "Your pending code is {1}.", approved=False),
        Template(
            DEMO_REJECTED_TEMPLATE_ID,
            "Code {1}",
            status="rejected",
            reply=_DEMO_REJECTION,
        ),
        Template(DEMO_BOTH_TEMPLATE_ID, _DEMO_TEXTS["Generic"], both=True),
    ]
    return Account(
        secret_id=DEMO_SECRET_ID,
        secret_key=DEMO_SECRET_KEY,
        sdk_app_ids=(DEMO_SDK_APP_ID,),
        signs=(
            Sign(DEMO_SIGN),
            Sign(DEMO_PENDING_SIGN, approved=False),
            Sign(DEMO_REJECTED_SIGN, status="rejected", reply=_DEMO_REJECTION),
        ),
        reports=dict(DEMO_REPORTS),
        templates=tuple(templates),
    )


class Directory:
    """The accounts an emulator serves, indexed by SecretId and by SdkAppId.

    Raises ``AccountsError`` when two accounts share a SecretId or an SdkAppId, or one account
    lists a template id twice: a request could not then be attributed to one of them.
    """

    def __init__(self, accounts: Iterable[Account]) -> None:
        self.accounts = tuple(accounts)
        self._by_secret_id: dict[str, Account] = {}
        self._by_app_id: dict[str, Account] = {}
        for account in self.accounts:
            if account.secret_id in self._by_secret_id:
                raise AccountsError(f"two accounts use the SecretId {account.secret_id}")
            self._by_secret_id[account.secret_id] = account
            for app_id in account.sdk_app_ids:
                if app_id in self._by_app_id:
                    raise AccountsError(f"two accounts claim the SdkAppId {app_id}")
                self._by_app_id[app_id] = account
            ids = [t.id for t in account.templates]
            repeated = sorted({i for i in ids if ids.count(i) > 1})
            if repeated:
                raise AccountsError(
                    f"account {account.secret_id} lists template id(s) {', '.join(repeated)} twice"
                )

    def by_secret_id(self, secret_id: str) -> Account | None:
        """The account owning this SecretId."""
        return self._by_secret_id.get(secret_id)

    def by_app_id(self, sdk_app_id: str) -> Account | None:
        """The account owning this SdkAppId."""
        return self._by_app_id.get(sdk_app_id)


# --- the accounts file ----------------------------------------------------------------------

_ACCOUNT_KEYS = {
    "secretId",
    "secretKey",
    "sdkAppIds",
    "signs",
    "templates",
    "enterprise",
    "subAccount",
    "pullEnabled",
    "reports",
}
_SIGN_KEYS = {"name", "approved", "status", "reply", "international", "id"}
_TEMPLATE_KEYS = {"id", "text", "kind", "international", "approved", "status", "reply", "both"}
#: What a receipt code looks like: Tencent's words (``UNDELIV``) or a carrier's (``MK:0001``).
REPORT_CODE = re.compile(r"[A-Z]{4,8}|[A-Z]{2}:[0-9]{4}")


def load_accounts(path: str | os.PathLike[str]) -> tuple[Account, ...]:
    """Read an accounts file (JSON) and return its accounts.

    The file holds ``{"accounts": [...]}``; each account is ``{"secretId", "secretKey",
    "sdkAppIds": [...], "signs": [{"name", "approved"?, "status"?, "reply"?, "international"?,
    "id"?}], "templates": [{"id", "text", "kind"?, "international"?, "both"?, "approved"?,
    "status"?, "reply"?}], "enterprise"?, "subAccount"?, "pullEnabled"?, "reports"?}``.
    ``kind`` is ``verification`` (the default: parameters must be 0-6 digits),
    ``notification`` or ``marketing``; ``international`` and ``approved`` default to false and
    true; ``status`` (``approved``, ``pending``, ``rejected``) overrides ``approved``.
    ``enterprise`` (default true) false refuses the Describe APIs as Tencent refuses them to
    individually verified accounts; ``subAccount`` true refuses the template list;
    ``pullEnabled`` false refuses PullSmsSendStatus.  ``reports`` maps E.164 numbers to the
    receipt code their messages get (``UNDELIV``, ``EXPIRED``…, or ``NONE``: never reported).
    Any problem raises ``AccountsError`` naming the file and the place in it.
    """
    where = str(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_ACCOUNTS_BYTES + 1)
    except OSError as exc:
        raise AccountsError(f"cannot read accounts file {where}: {exc.strerror or exc}") from None
    if len(raw) > MAX_ACCOUNTS_BYTES:
        raise AccountsError(f"accounts file {where} is larger than {MAX_ACCOUNTS_BYTES} bytes")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise AccountsError(f"accounts file {where} is not valid JSON: {exc}") from None
    except RecursionError:
        raise AccountsError(f"accounts file {where} is nested too deeply to read") from None
    except ValueError:  # an integer of more than 4300 digits
        raise AccountsError(f"accounts file {where} has a number too long to read") from None
    try:
        return parse_accounts(data)
    except AccountsError as exc:
        raise AccountsError(f"accounts file {where}: {exc}") from None


def parse_accounts(data: object) -> tuple[Account, ...]:
    """Build accounts from the decoded JSON of an accounts file (see ``load_accounts``)."""
    top = _object(data, "the top level", {"accounts"})
    accounts = tuple(
        _account(item, f"accounts[{i}]")
        for i, item in enumerate(_list(top.get("accounts"), "accounts"))
    )
    if not accounts:
        raise AccountsError("accounts: the list is empty")
    Directory(accounts)  # refuse duplicates now, with this file's name in the message
    return accounts


def _account(data: object, where: str) -> Account:
    obj = _object(data, where, _ACCOUNT_KEYS)
    secret_id = _text(obj.get("secretId"), f"{where}.secretId")
    if re.search(r"[\s/,]", secret_id):
        raise AccountsError(f"{where}.secretId must not contain spaces, '/' or ','")
    return Account(
        secret_id=secret_id,
        secret_key=_text(obj.get("secretKey"), f"{where}.secretKey"),
        sdk_app_ids=tuple(
            _text(v, f"{where}.sdkAppIds[{i}]")
            for i, v in enumerate(_list(obj.get("sdkAppIds"), f"{where}.sdkAppIds"))
        ),
        signs=tuple(
            _sign(v, f"{where}.signs[{i}]")
            for i, v in enumerate(_list(obj.get("signs", []), f"{where}.signs"))
        ),
        templates=tuple(
            _template(v, f"{where}.templates[{i}]")
            for i, v in enumerate(_list(obj.get("templates", []), f"{where}.templates"))
        ),
        enterprise=_flag(obj.get("enterprise", True), f"{where}.enterprise"),
        sub_account=_flag(obj.get("subAccount", False), f"{where}.subAccount"),
        pull_enabled=_flag(obj.get("pullEnabled", True), f"{where}.pullEnabled"),
        reports=_reports(obj.get("reports", {}), f"{where}.reports"),
    )


def _reports(data: object, where: str) -> dict[str, str]:
    obj = _object(data, where, None)
    reports: dict[str, str] = {}
    for number, code in obj.items():
        if not re.fullmatch(r"\+[0-9]{4,15}", number):
            raise AccountsError(
                f"{where}: {number!r} is not an E.164 number such as +8613800000001"
            )
        if not isinstance(code, str) or not (code == "NONE" or REPORT_CODE.fullmatch(code)):
            raise AccountsError(
                f"{where}[{number!r}] must be a receipt code such as UNDELIV or EXPIRED, "
                "DELIVRD, or NONE (never reported)"
            )
        reports[number] = code
    return reports


def _status(obj: Mapping[str, object], where: str) -> ReviewStatus | None:
    raw = obj.get("status")
    if raw is None:
        return None
    status = next((s for s in _STATUSES if s == raw), None)
    if status is None:
        raise AccountsError(f"{where}.status must be one of {', '.join(_STATUSES)}")
    return status


def _reply(obj: Mapping[str, object], where: str) -> str:
    raw = obj.get("reply", "")
    if not isinstance(raw, str):
        raise AccountsError(f"{where}.reply must be a string")
    return raw


def _sign(data: object, where: str) -> Sign:
    obj = _object(data, where, _SIGN_KEYS)
    raw_id = obj.get("id")
    if raw_id is not None and (isinstance(raw_id, bool) or not isinstance(raw_id, int)):
        raise AccountsError(f"{where}.id must be an integer")
    return Sign(
        name=_text(obj.get("name"), f"{where}.name"),
        approved=_flag(obj.get("approved", True), f"{where}.approved"),
        international=_flag(obj.get("international", False), f"{where}.international"),
        status=_status(obj, where),
        reply=_reply(obj, where),
        id=raw_id,
    )


def _template(data: object, where: str) -> Template:
    obj = _object(data, where, _TEMPLATE_KEYS)
    text = _text(obj.get("text"), f"{where}.text")
    found = _PLACEHOLDER.findall(text)
    too_high = next((n for n in found if len(n) > 3 or int(n) > MAX_PLACEHOLDER), None)
    if too_high is not None:
        raise AccountsError(
            f"{where}.text: placeholder {{{too_high[:12]}{'…' if len(too_high) > 12 else ''}}} "
            f"is beyond {{{MAX_PLACEHOLDER}}}, the most a template may have"
        )
    numbers = {int(n) for n in found}
    if numbers and numbers != set(range(1, max(numbers) + 1)):
        raise AccountsError(f"{where}.text: placeholders must be {{1}}, {{2}}… with none skipped")
    raw_kind = obj.get("kind", "verification")
    kind = next((k for k in _KINDS if k == raw_kind), None)
    if kind is None:
        raise AccountsError(f"{where}.kind must be one of {', '.join(_KINDS)}")
    return Template(
        id=_text(obj.get("id"), f"{where}.id"),
        text=text,
        kind=kind,
        international=_flag(obj.get("international", False), f"{where}.international"),
        approved=_flag(obj.get("approved", True), f"{where}.approved"),
        status=_status(obj, where),
        reply=_reply(obj, where),
        both=_flag(obj.get("both", False), f"{where}.both"),
    )


def _object(data: object, where: str, allowed: set[str] | None) -> dict[str, object]:
    if not isinstance(data, dict):
        raise AccountsError(f"{where} must be a JSON object")
    if allowed is None:
        return data
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise AccountsError(
            f"{where}: unknown key(s) {', '.join(unknown)} (expected {', '.join(sorted(allowed))})"
        )
    return data


def _list(data: object, where: str) -> list[object]:
    if not isinstance(data, list):
        raise AccountsError(f"{where} must be a JSON array")
    return data


def _text(data: object, where: str) -> str:
    if not isinstance(data, str) or not data:
        raise AccountsError(f"{where} must be a non-empty string")
    return data


def _flag(data: object, where: str) -> bool:
    if not isinstance(data, bool):
        raise AccountsError(f"{where} must be true or false")
    return data
