"""SendSms (version 2021-01-11) as Tencent answers it: the checks, their codes, the answer."""

from __future__ import annotations

import hmac
import json
import re
import urllib.parse
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connector.signing import parse_authorization, sign, utc_date

from ._accounts import Account, Directory, Template
from ._clock import Clock
from ._limits import Limiter
from ._outbox import Message
from ._phones import parse_phone_number

ACTION = "SendSms"
API_VERSION = "2021-01-11"
SERVICE = "sms"
SIGNATURE_WINDOW = 300
MAX_NUMBERS = 200
MAX_SESSION_CONTEXT = 512
# The regions whose SMS endpoints Tencent lists; the region only goes into X-TC-Region.
REGIONS = frozenset({"ap-beijing", "ap-guangzhou", "ap-nanjing", "ap-shanghai", "ap-singapore"})

_REQUIRED_SIGNED_HEADERS = frozenset({"content-type", "host"})
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
# Unix seconds have 10 digits until the year 2286; a longer value is no timestamp (and Python
# refuses to read integers of more than 4300 digits).
_MAX_TIMESTAMP_DIGITS = 12
_VERIFICATION_PARAM = re.compile(r"[0-9]{0,6}")

INCORRECT_NUMBER = "InvalidParameterValue.IncorrectPhoneNumber"
_PER_NUMBER_MESSAGES = {
    "Ok": "send success",
    INCORRECT_NUMBER: "incorrect phone number format",
}


class Refusal(Exception):
    """A request-level error: Tencent's code and a message saying what to fix."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def error_body(code: str, message: str, request_id: str) -> dict[str, Any]:
    """A request-level error in Tencent's shape."""
    return {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}}


@dataclass(frozen=True)
class Answer:
    """What one SendSms request gets back, and the messages it delivered."""

    body: dict[str, Any]
    messages: tuple[Message, ...] = ()
    error_code: str | None = None


@dataclass(frozen=True)
class _Request:
    numbers: list[str]
    app_id: str
    template_id: str
    sign_name: str
    params: list[str]
    session_context: str


#: Another action the emulator answers: given the caller's account, the decoded JSON body,
#: the RequestId and the emulator's time, the ``Response`` object (without RequestId).
Action = Callable[[Account, Mapping[str, Any], str, float], dict[str, Any]]


class SendSms:
    """Answers SendSms requests for a set of accounts, on the emulator's clock.

    ``actions`` are further actions (by ``X-TC-Action`` name) answered after the same
    signature and header checks; they raise :class:`Refusal` for Tencent's errors.
    """

    def __init__(
        self,
        directory: Directory,
        clock: Clock,
        limiter: Limiter | None,
        actions: Mapping[str, Action] | None = None,
    ) -> None:
        self.directory = directory
        self.clock = clock
        self.limiter = limiter
        self.actions: Mapping[str, Action] = actions or {}

    def handle(
        self, headers: Mapping[str, str], body: bytes, *, method: str = "POST", query: str = ""
    ) -> Answer:
        """Answer one request; ``headers`` are keyed by lowercase name, values as received.

        ``POST`` carries the parameters as a JSON body; ``GET`` (as Tencent's SDK can send
        it) carries them in ``query``, flattened (``PhoneNumberSet.0=...``).
        """
        request_id = str(uuid.uuid4())
        now = self.clock.now()
        try:
            account = self._authenticate(headers, body, now, method, query)
            action = _check_call(headers, self.actions)
            data = _parse_query(query) if method == "GET" else _parse_json(headers, body)
            if action != ACTION:
                response = self.actions[action](account, data, request_id, now)
                return Answer({"Response": {**response, "RequestId": request_id}})
            return self._send(account, _read_request(data), request_id, now)
        except Refusal as refusal:
            return Answer(
                error_body(refusal.code, refusal.message, request_id), error_code=refusal.code
            )

    def _authenticate(
        self, headers: Mapping[str, str], body: bytes, now: float, method: str, query: str
    ) -> Account:
        value = headers.get("authorization")
        if not value:
            raise Refusal(
                "AuthFailure.InvalidAuthorization", "The Authorization header is missing."
            )
        auth = parse_authorization(value)
        if auth is None:
            raise Refusal(
                "AuthFailure.InvalidAuthorization",
                "The Authorization header is not of the form 'TC3-HMAC-SHA256 "
                "Credential=<SecretId>/<date>/sms/tc3_request, SignedHeaders=<names>, "
                "Signature=<hex>'.",
            )
        account = self.directory.by_secret_id(auth.secret_id)
        if account is None:
            raise Refusal(
                "AuthFailure.SecretIdNotFound",
                f"The SecretId {auth.secret_id} is not known: check the access key id.",
            )
        timestamp = _timestamp(headers)
        if abs(now - timestamp) > SIGNATURE_WINDOW:
            raise Refusal(
                "AuthFailure.SignatureExpire",
                f"X-TC-Timestamp {timestamp} is {abs(int(now) - timestamp)} s from the server "
                f"time {int(now)}; it must be within {SIGNATURE_WINDOW} s. Check the clock.",
            )
        if auth.service != SERVICE:
            raise Refusal(
                "AuthFailure.SignatureFailure",
                f"The credential scope names the service '{auth.service}'; "
                f"SMS requests are signed for '{SERVICE}'.",
            )
        if auth.date != utc_date(timestamp):
            raise Refusal(
                "AuthFailure.SignatureFailure",
                f"The credential scope date {auth.date} is not {utc_date(timestamp)}, the UTC "
                "date of X-TC-Timestamp: sign with the UTC date, not a local one.",
            )
        signed = {name.lower() for name in auth.signed_headers}
        if not signed >= _REQUIRED_SIGNED_HEADERS:
            raise Refusal(
                "AuthFailure.SignatureFailure", "SignedHeaders must include content-type and host."
            )
        expected = sign(
            secret_id=account.secret_id,
            secret_key=account.secret_key,
            service=SERVICE,
            timestamp=timestamp,
            headers=headers,
            body=_signed_payload(headers, body, method),
            signed_headers=auth.signed_headers,
            method=method,
            query=query if method == "GET" else "",
        )
        if not hmac.compare_digest(expected.signature, auth.signature.lower()):
            raise Refusal(
                "AuthFailure.SignatureFailure",
                "The signature does not match. Check the secret key, sign the exact body bytes "
                "sent, and sign the Host header as sent (with its port).",
            )
        return account

    def _send(self, account: Account, req: _Request, request_id: str, now: float) -> Answer:
        owner = self.directory.by_app_id(req.app_id)
        if owner is None:
            raise Refusal(
                "InvalidParameterValue.SdkAppIdNotExist",
                f"The SmsSdkAppId {req.app_id} does not exist.",
            )
        if owner is not account:
            raise Refusal(
                "UnauthorizedOperation.SmsSdkAppIdVerifyFail",
                f"The SmsSdkAppId {req.app_id} does not belong to this SecretId's account.",
            )
        parsed = [parse_phone_number(raw) for raw in req.numbers]
        valid = [p for p in parsed if p is not None]
        if not valid:
            raise Refusal(
                INCORRECT_NUMBER,
                "No number in PhoneNumberSet is a valid E.164 number such as +8613711112222.",
            )
        if len({p.mainland for p in valid}) > 1:
            raise Refusal(
                "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber",
                "PhoneNumberSet mixes Chinese mainland and international numbers; "
                "send them in separate requests.",
            )
        mainland = valid[0].mainland
        template = _template(account, req.template_id, mainland)
        sign_name = _sign(account, req.sign_name) if mainland else (req.sign_name or None)
        _check_params(template, req.params)
        text = template.render(req.params)

        content = f"{sign_name}\n{text}"  # what "same content" compares: sign and text
        items: list[dict[str, Any]] = []
        delivered: list[Message] = []
        for raw, number in zip(req.numbers, parsed, strict=True):
            if number is None:
                items.append(_status(INCORRECT_NUMBER, raw, "DEF", req.session_context))
                continue
            code = (
                self.limiter.admit(req.app_id, number.e164, content, now) if self.limiter else None
            )
            if code is not None:
                assert self.limiter is not None
                items.append(
                    _status(
                        code,
                        number.e164,
                        number.iso_code,
                        req.session_context,
                        message=self.limiter.messages[code],
                    )
                )
                continue
            message = Message(
                request_id=request_id,
                serial_no=f"2021:{uuid.uuid4().int % 10**20:020d}",
                phone_number=number.e164,
                iso_code=number.iso_code,
                international=not mainland,
                sdk_app_id=req.app_id,
                sign=sign_name,
                template_id=template.id,
                params=tuple(req.params),
                text=text,
                session_context=req.session_context,
                fee=1,
                timestamp=now,
            )
            delivered.append(message)
            items.append(
                _status(
                    "Ok",
                    message.phone_number,
                    message.iso_code,
                    message.session_context,
                    serial_no=message.serial_no,
                    fee=message.fee,
                )
            )
        body = {"Response": {"SendStatusSet": items, "RequestId": request_id}}
        return Answer(body, tuple(delivered))


def _status(
    code: str,
    phone_number: str,
    iso_code: str,
    session_context: str,
    *,
    serial_no: str = "",
    fee: int = 0,
    message: str | None = None,
) -> dict[str, Any]:
    """One SendStatusSet item; a refused number has no SerialNo and costs nothing."""
    return {
        "SerialNo": serial_no,
        "PhoneNumber": phone_number,
        "Fee": fee,
        "SessionContext": session_context,
        "Code": code,
        "Message": message or _PER_NUMBER_MESSAGES[code],
        "IsoCode": iso_code,
    }


def _signed_payload(headers: Mapping[str, str], body: bytes, method: str) -> bytes:
    """What the signature hashes as the payload: the body; nothing for GET; or, when the
    client says ``X-TC-Content-SHA256: UNSIGNED-PAYLOAD``, that very word."""
    if headers.get("x-tc-content-sha256", "").strip() == UNSIGNED_PAYLOAD:
        return UNSIGNED_PAYLOAD.encode("ascii")
    return b"" if method == "GET" else body


def _timestamp(headers: Mapping[str, str]) -> int:
    value = headers.get("x-tc-timestamp")
    if not value:
        raise Refusal("MissingParameter", "The X-TC-Timestamp header is missing.")
    if not value.isascii() or not value.isdigit() or len(value) > _MAX_TIMESTAMP_DIGITS:
        raise Refusal(
            "InvalidParameterValue", f"X-TC-Timestamp must be unix seconds, not '{value}'."
        )
    return int(value)


def _check_call(headers: Mapping[str, str], others: Mapping[str, Action]) -> str:
    action = headers.get("x-tc-action")
    if not action:
        raise Refusal("MissingParameter", "The X-TC-Action header is missing.")
    if action != ACTION and action not in others:
        known = ", ".join([ACTION, *sorted(others)])
        raise Refusal("InvalidAction", f"The action '{action}' does not exist ({known}).")
    version = headers.get("x-tc-version")
    if not version:
        raise Refusal("MissingParameter", "The X-TC-Version header is missing.")
    if version != API_VERSION:
        raise Refusal(
            "NoSuchVersion", f"The version '{version}' of {action} does not exist ({API_VERSION})."
        )
    region = headers.get("x-tc-region")
    if not region:
        raise Refusal(
            "MissingParameter",
            f"The X-TC-Region header is missing; version {API_VERSION} requires a region "
            "such as ap-guangzhou.",
        )
    if region not in REGIONS:
        raise Refusal(
            "UnsupportedRegion",
            f"SMS is not offered in the region '{region}' ({', '.join(sorted(REGIONS))}).",
        )
    return action


def _parse_json(headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
    media_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "application/json":
        raise Refusal("InvalidParameter", "Content-Type must be application/json for a JSON body.")
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python reads
        raise Refusal("FailedOperation.JsonParseFail", "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise Refusal("FailedOperation.JsonParseFail", "The body must be a JSON object.")
    return data


class QueryParams(dict[str, Any]):
    """Parameters that came in a GET's query: every value is text, so an action reads an
    integer parameter from its decimal form (as Tencent does), not only from a JSON number."""


def _parse_query(query: str) -> QueryParams:
    """The parameters of a GET request: ``PhoneNumberSet.0=a&PhoneNumberSet.1=b`` becomes
    ``{"PhoneNumberSet": ["a", "b"]}``, as Tencent reads the SDK's flattened form."""
    try:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise Refusal("InvalidParameter", "The query string is malformed.") from None
    data = QueryParams()
    for name, value in pairs:
        parts = name.split(".")
        if len(parts) > 2 or not all(parts):
            raise Refusal("InvalidParameter", f"The parameter name '{name[:64]}' is not known.")
        if len(parts) == 1:
            data[name] = value
            continue
        key, index = parts
        items = data.setdefault(key, {})
        if not isinstance(items, dict) or not index.isascii() or not index.isdigit():
            raise Refusal("InvalidParameter", f"The parameter name '{name[:64]}' is not known.")
        items[int(index[:6])] = value
    for key, value in data.items():
        if isinstance(value, dict):
            if sorted(value) != list(range(len(value))):
                raise Refusal(
                    "InvalidParameter", f"The items of {key} must be numbered 0, 1, 2 ..."
                )
            data[key] = [value[i] for i in range(len(value))]
    return data


def _read_request(data: Mapping[str, Any]) -> _Request:
    numbers = _strings(data, "PhoneNumberSet")
    if numbers is None:
        raise _missing("PhoneNumberSet")
    app_id = _string(data, "SmsSdkAppId")
    if not app_id:
        raise _missing("SmsSdkAppId")
    template_id = _string(data, "TemplateId")
    if not template_id:
        raise _missing("TemplateId")
    if not numbers:
        raise Refusal("MissingParameter.EmptyPhoneNumberSet", "PhoneNumberSet is empty.")
    if len(numbers) > MAX_NUMBERS:
        raise Refusal(
            "LimitExceeded.PhoneNumberCountLimit",
            f"PhoneNumberSet has {len(numbers)} numbers; at most {MAX_NUMBERS} per request.",
        )
    session_context = _string(data, "SessionContext") or ""
    if len(session_context.encode("utf-8")) >= MAX_SESSION_CONTEXT:
        raise Refusal(
            "InvalidParameterValue",
            f"SessionContext must be shorter than {MAX_SESSION_CONTEXT} bytes.",
        )
    return _Request(
        numbers=numbers,
        app_id=app_id,
        template_id=template_id,
        sign_name=_string(data, "SignName") or "",
        params=_strings(data, "TemplateParamSet") or [],
        session_context=session_context,
    )


def _template(account: Account, template_id: str, mainland: bool) -> Template:
    template = account.template(template_id)
    if template is None or not template.usable:
        state = "does not exist" if template is None else f"is {template.review}, not approved"
        raise Refusal(
            "FailedOperation.TemplateIncorrectOrUnapproved",
            f"The template {template_id} {state}.",
        )
    if template.serves(mainland):
        return template
    if mainland:
        raise Refusal(
            "UnsupportedOperation.GlobalTemplateToChineseMainlandPhone",
            f"The template {template_id} is an international template; Chinese mainland "
            "numbers need a mainland template.",
        )
    raise Refusal(
        "UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone",
        f"The template {template_id} is a Chinese mainland template; international "
        "numbers need an international template.",
    )


def _sign(account: Account, name: str) -> str:
    found = account.sign(name) if name else None
    if found is not None and found.usable and not found.international:
        return found.name
    if not name:
        why = "SignName is missing: Chinese mainland messages need an approved sign."
    elif found is None:
        why = f"The sign '{name}' does not exist."
    else:
        why = f"The sign '{name}' is {found.review}, not an approved mainland sign."
    raise Refusal("FailedOperation.SignatureIncorrectOrUnapproved", why)


def _check_params(template: Template, params: list[str]) -> None:
    if len(params) != template.param_count:
        raise Refusal(
            "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
            f"The template {template.id} has {template.param_count} variable(s) but "
            f"TemplateParamSet has {len(params)} value(s).",
        )
    if template.kind == "verification":
        for value in params:
            if not _VERIFICATION_PARAM.fullmatch(value):
                raise Refusal(
                    "InvalidParameterValue.TemplateParameterFormatError",
                    f"The template {template.id} is a verification-code template: each "
                    "parameter must be 0 to 6 digits.",
                )


def _missing(name: str) -> Refusal:
    return Refusal("MissingParameter", f"The parameter {name} is missing.")


def _string(data: Mapping[str, object], name: str) -> str | None:
    value = data.get(name)
    if value is None or isinstance(value, str):
        return value
    raise Refusal("InvalidParameter", f"The parameter {name} must be a string.")


def _strings(data: Mapping[str, object], name: str) -> list[str] | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [str(v) for v in value]
    raise Refusal("InvalidParameter", f"The parameter {name} must be an array of strings.")
