"""Tencent's error codes → Logto error codes: one table, and the one function that reads it.

Each entry: the :class:`ErrorCode` a host sees, and a sentence telling an admin what to do.
Codes not listed fall back on their family (the part before the dot).  After an internal
error Tencent may have sent the message anyway (``may_have_sent``): such errors are never
retried, and the error says delivery is unknown.
"""

from __future__ import annotations

from typing import Any

from ..kit import ConnectorError, ErrorCode

_CONFIG = ErrorCode.INVALID_CONFIG
_REQUEST = ErrorCode.INVALID_REQUEST_PARAMETERS
_RATE = ErrorCode.RATE_LIMIT_EXCEEDED
_USAGE = ErrorCode.USAGE_LIMIT_EXCEEDED
_GENERAL = ErrorCode.GENERAL

_CHECK_KEYS = "check accessKeyId and accessKeySecret (no stray spaces) and that the key is enabled"

TENCENT_ERRORS: dict[str, tuple[ErrorCode, str]] = {
    # Credentials and signatures: the admin must fix the config.
    "AuthFailure.InvalidAuthorization": (
        _CONFIG,
        "the request signature was malformed; " + _CHECK_KEYS,
    ),
    "AuthFailure.InvalidSecretId": (_CONFIG, "the access key ID is not valid; " + _CHECK_KEYS),
    "AuthFailure.MFAFailure": (
        _CONFIG,
        "the account requires MFA for this key; use an API key without MFA protection",
    ),
    "AuthFailure.SecretIdNotFound": (
        _CONFIG,
        "Tencent does not know this access key ID; " + _CHECK_KEYS,
    ),
    "AuthFailure.SignatureExpire": (
        _CONFIG,
        "the request was signed too long ago; check this server's clock (it must be within 5 minutes of UTC)",
    ),
    "AuthFailure.SignatureFailure": (_CONFIG, "the signature did not match; " + _CHECK_KEYS),
    "AuthFailure.TokenFailure": (_CONFIG, "the temporary credential token is invalid or expired"),
    "AuthFailure.UnauthorizedOperation": (
        _CONFIG,
        "this key may not send SMS; grant it the SMS permission in Access Management (CAM)",
    ),
    # Request-level failures on Tencent's side.
    "FailedOperation.ContainSensitiveWord": (
        _REQUEST,
        "the message contains words Tencent does not allow",
    ),
    "FailedOperation.FailResolvePacket": (_GENERAL, "Tencent could not read the request"),
    "FailedOperation.InsufficientBalanceInSmsPackage": (
        _USAGE,
        "the SMS package balance is used up; top it up in the SMS console",
    ),
    "FailedOperation.JsonParseFail": (_GENERAL, "Tencent could not parse the request body"),
    "FailedOperation.MarketingSendTimeConstraint": (
        _GENERAL,
        "marketing SMS may not be sent at this hour",
    ),
    "FailedOperation.PhoneNumberInBlacklist": (
        _REQUEST,
        "the recipient has blocked SMS from this sender",
    ),
    "FailedOperation.SignatureIncorrectOrUnapproved": (
        _CONFIG,
        "the sign name is wrong or not approved; copy signName exactly from the SMS console",
    ),
    "FailedOperation.TemplateIncorrectOrUnapproved": (
        _CONFIG,
        "the template is wrong or not approved; check templateCode in the SMS console",
    ),
    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate": (
        _CONFIG,
        "the template's placeholders do not match the parameters sent; use a template with one {1}, or set the template's params",
    ),
    "FailedOperation.TemplateUnapprovedOrNotExist": (
        _CONFIG,
        "the template does not exist or is not approved; check templateCode",
    ),
    # Errors inside Tencent.  A timeout there may still deliver the message.
    "InternalError.OtherError": (_GENERAL, "Tencent reported an internal error"),
    "InternalError.RequestTimeException": (
        _CONFIG,
        "Tencent rejected the request time; check this server's clock",
    ),
    "InternalError.RestApiInterfaceNotExist": (
        _GENERAL,
        "Tencent does not offer this API at the endpoint; check endpoint",
    ),
    "InternalError.SendAndRecvFail": (_GENERAL, "Tencent failed while sending to the carrier"),
    "InternalError.SigFieldMissing": (_CONFIG, "the request had no signature; " + _CHECK_KEYS),
    "InternalError.SigVerificationFail": (_CONFIG, "the signature did not verify; " + _CHECK_KEYS),
    "InternalError.Timeout": (_GENERAL, "Tencent timed out while sending"),
    "InternalError.UnknownError": (_GENERAL, "Tencent reported an unknown error"),
    # Parameters.
    "InvalidParameterValue.ContentLengthLimit": (_REQUEST, "the message is too long"),
    "InvalidParameterValue.IncorrectPhoneNumber": (
        _REQUEST,
        "Tencent refused the phone number; check the country code",
    ),
    "InvalidParameterValue.ProhibitedUseUrlInTemplateParameter": (
        _REQUEST,
        "template parameters may not contain links",
    ),
    "InvalidParameterValue.SdkAppIdNotExist": (
        _CONFIG,
        "the SDK App ID does not exist; copy sdkAppId from Application Management",
    ),
    "InvalidParameterValue.TemplateParameterFormatError": (
        _REQUEST,
        "a verification-code template accepts only 0 to 6 digits as its parameter",
    ),
    "InvalidParameterValue.TemplateParameterLengthLimit": (
        _REQUEST,
        "a template parameter is too long",
    ),
    # Quotas: per number (rate) and per account or app (usage).
    "LimitExceeded.AppCountryOrRegionDailyLimit": (
        _USAGE,
        "the app's daily limit for this country or region is reached",
    ),
    "LimitExceeded.AppCountryOrRegionInBlacklist": (
        _REQUEST,
        "sending to this country or region is blocked in the SMS console",
    ),
    "LimitExceeded.AppDailyLimit": (_USAGE, "the app's daily SMS limit is reached"),
    "LimitExceeded.AppGlobalDailyLimit": (
        _USAGE,
        "the app's daily international SMS limit is reached",
    ),
    "LimitExceeded.AppMainlandChinaDailyLimit": (
        _USAGE,
        "the app's daily mainland SMS limit is reached",
    ),
    "LimitExceeded.DailyLimit": (_USAGE, "the daily SMS limit is reached"),
    "LimitExceeded.DeliveryFrequencyLimit": (
        _RATE,
        "messages are being sent too often; wait and try again",
    ),
    "LimitExceeded.PhoneNumberCountLimit": (
        _REQUEST,
        "too many numbers in one request (at most 200)",
    ),
    "LimitExceeded.PhoneNumberDailyLimit": (
        _RATE,
        "this number has had its daily maximum of messages; try again tomorrow",
    ),
    "LimitExceeded.PhoneNumberOneHourLimit": (
        _RATE,
        "this number has had its hourly maximum of messages; try again later",
    ),
    "LimitExceeded.PhoneNumberSameContentDailyLimit": (
        _RATE,
        "this number has had the same message too often today",
    ),
    "LimitExceeded.PhoneNumberThirtySecondLimit": (
        _RATE,
        "this number was sent the same message less than 30 seconds ago; wait and try again",
    ),
    "MissingParameter.EmptyPhoneNumberSet": (_REQUEST, "no phone number was given"),
    # Permissions and the state of the account.
    "UnauthorizedOperation.IndividualUserMarketingSmsPermissionDeny": (
        _CONFIG,
        "individual accounts may not send marketing SMS",
    ),
    "UnauthorizedOperation.RequestIpNotInWhitelist": (
        _CONFIG,
        "this server's IP is not on the app's allow list; add it in the SMS console",
    ),
    "UnauthorizedOperation.RequestPermissionDeny": (
        _CONFIG,
        "this key may not call SendSms; grant it the SMS permission",
    ),
    "UnauthorizedOperation.SdkAppIdIsDisabled": (
        _CONFIG,
        "the SMS app is disabled; enable it in Application Management",
    ),
    "UnauthorizedOperation.ServiceSuspendDueToArrears": (
        _USAGE,
        "the account is in arrears and SMS is suspended; top it up",
    ),
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail": (
        _CONFIG,
        "the SDK App ID does not belong to this key's account; check sdkAppId",
    ),
    "UnsupportedOperation.": (_GENERAL, "Tencent does not support this operation"),
    "UnsupportedOperation.ChineseMainlandTemplateToGlobalPhone": (
        _CONFIG,
        "a mainland template cannot go to a number outside mainland China; add an international block with international templates",
    ),
    "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber": (
        _REQUEST,
        "mainland and international numbers cannot share one request",
    ),
    "UnsupportedOperation.GlobalTemplateToChineseMainlandPhone": (
        _CONFIG,
        "an international template cannot go to a mainland number; use a mainland template",
    ),
    "UnsupportedOperation.UnsupportedRegion": (
        _CONFIG,
        "SMS is not offered in this region; check region",
    ),
    # Common codes of every Tencent Cloud API.
    "RequestLimitExceeded": (
        _RATE,
        "Tencent is throttling requests from this account; try again shortly",
    ),
    "RequestLimitExceeded.GlobalRegionUinLimitExceeded": (
        _RATE,
        "Tencent is throttling this account; try again shortly",
    ),
    "RequestLimitExceeded.IPLimitExceeded": (
        _RATE,
        "Tencent is throttling this server's IP; try again shortly",
    ),
    "RequestLimitExceeded.UinLimitExceeded": (
        _RATE,
        "Tencent is throttling this account; try again shortly",
    ),
    "InvalidParameter": (_REQUEST, "Tencent refused a parameter"),
    "InvalidParameterValue": (_REQUEST, "Tencent refused a parameter value"),
    "MissingParameter": (_REQUEST, "a required parameter was missing"),
    "InvalidAction": (_CONFIG, "the endpoint does not offer SendSms; check endpoint"),
    "NoSuchVersion": (
        _GENERAL,
        "the endpoint does not offer API version 2021-01-11; check endpoint",
    ),
    "UnsupportedRegion": (
        _CONFIG,
        "SMS is not offered in this region; check region (e.g. ap-guangzhou)",
    ),
    "InternalError": (_GENERAL, "Tencent reported an internal error"),
}

_FAMILIES: dict[str, ErrorCode] = {
    "AuthFailure": _CONFIG,
    "UnauthorizedOperation": _CONFIG,
    "InvalidParameter": _REQUEST,
    "InvalidParameterValue": _REQUEST,
    "MissingParameter": _REQUEST,
    "RequestLimitExceeded": _RATE,
}

#: Internal errors that are certainly refusals (signature or clock checks, a wrong endpoint):
#: every other ``InternalError``, and an error without a code, may have sent the message.
_INTERNAL_REFUSALS = frozenset(
    {
        "InternalError.RequestTimeException",
        "InternalError.RestApiInterfaceNotExist",
        "InternalError.SigFieldMissing",
        "InternalError.SigVerificationFail",
    }
)
NO_CODE = "(no code)"


def text_field(value: object) -> str | None:
    """A string field of Tencent's answer, or ``None`` when it is missing or not a string."""
    return value if isinstance(value, str) else None


def may_have_sent(code: str) -> bool:
    """Whether Tencent may have sent the message despite answering with this error."""
    if code == NO_CODE:
        return True
    return code.split(".", 1)[0] == "InternalError" and code not in _INTERNAL_REFUSALS


def is_retryable(code: str) -> bool:
    """Whether Tencent refused before sending, so that sending again cannot text twice."""
    return code == "RequestLimitExceeded" or code.startswith("RequestLimitExceeded.")


def classify(code: str) -> tuple[ErrorCode, str]:
    """The Logto code and the admin's sentence for a Tencent error code."""
    if code in TENCENT_ERRORS:
        return TENCENT_ERRORS[code]
    family = code.split(".", 1)[0]
    if family == "LimitExceeded":
        rate = code.startswith("LimitExceeded.PhoneNumber")
        return (_RATE if rate else _USAGE), "a Tencent SMS limit was reached"
    return _FAMILIES.get(family, _GENERAL), "Tencent refused the request"


def tencent_error(code: str, message: str, request_id: str | None, **extra: Any) -> ConnectorError:
    """The :class:`ConnectorError` for one Tencent error answer."""
    logto_code, advice = classify(code)
    unknown = may_have_sent(code)
    sentence = f"Tencent SMS error {code}: {advice}"
    if unknown:
        sentence += "; delivery is unknown (the message may have been sent), so it was not retried"
    data: dict[str, Any] = {
        "tencentCode": code,
        "tencentMessage": message,
        "requestId": request_id,
        "delivery": "unknown" if unknown else "not_sent",
        **extra,
    }
    return ConnectorError(logto_code, sentence, data)
