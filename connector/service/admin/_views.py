"""The console's pages and JSON endpoints, as one Flask blueprint under ``/admin``."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from jinja2.utils import htmlsafe_json_dumps
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from ...kit import (
    CHECK_SEVERITIES,
    ConfigReport,
    ConnectorError,
    ConnectorHost,
    FormItem,
    TemplateType,
    UnknownConnectorError,
    keep_secrets,
    secret_keys,
    without_secrets,
)
from ...store import ConfigStore, ConfigVersion
from .. import GUARDS_KIND, GuardSettings, guards_name, mask_number, scrub
from . import _i18n
from ._auth import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    SESSION_SECONDS,
    AdminCredential,
    LoginLimiter,
    Sessions,
)
from ._guide import render_guide

log = logging.getLogger("connector.service.admin")

MAX_BODY = 1024 * 1024
OUTBOX_SHOWN = 20
TEST_CODE = "000000"
# No inline script or style anywhere: connector text that slips through cannot run.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_OPEN_ENDPOINTS = frozenset({"admin.login", "admin.static"})


@dataclass(frozen=True)
class AdminSettings:
    """What the console needs besides the host and the store."""

    credential: AdminCredential
    #: The stored config this console edits (the one the gateway serves).
    config_name: str = "default"
    #: Signs sessions; every worker must share it.  Derived from the credential when unset.
    session_secret: str | None = None
    #: The emulator's outbox (``Emulator.outbox``), shown as a panel when given.
    outbox: Callable[[], list[dict[str, Any]]] | None = None
    login_attempts: int = 5
    login_window: float = 300.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **options: Any) -> AdminSettings:
        """Settings from ``LOGTO_CONNECTOR_ADMIN_TOKEN`` or
        ``LOGTO_CONNECTOR_ADMIN_PASSWORD_HASH`` and ``LOGTO_CONNECTOR_SESSION_SECRET``;
        ``ValueError`` when neither credential is set."""
        env = os.environ if environ is None else environ
        credential = AdminCredential(
            token=env.get("LOGTO_CONNECTOR_ADMIN_TOKEN") or None,
            password_hash=env.get("LOGTO_CONNECTOR_ADMIN_PASSWORD_HASH") or None,
        )
        options.setdefault("session_secret", env.get("LOGTO_CONNECTOR_SESSION_SECRET") or None)
        return cls(credential=credential, **options)


@dataclass
class _Console:
    host: ConnectorHost
    store: ConfigStore
    settings: AdminSettings
    sessions: Sessions
    limiter: LoginLimiter
    _secret_keys: dict[str, frozenset[str]] = field(default_factory=dict)

    def secrets_of(self, cid: str) -> frozenset[str]:
        if cid not in self._secret_keys:
            self._secret_keys[cid] = secret_keys(
                self.host.metadata(cid), self.host.config_schema(cid)
            )
        return self._secret_keys[cid]

    def stored_for(self, cid: str) -> ConfigVersion | None:
        """The latest stored version when it belongs to this connector."""
        latest = self.store.latest(self.settings.config_name)
        return latest if latest is not None and latest.connector_id == cid else None

    def with_kept_secrets(self, cid: str, config: Mapping[str, Any]) -> dict[str, Any]:
        stored = self.stored_for(cid)
        return keep_secrets(config, stored.config if stored else None, self.secrets_of(cid))


def admin_blueprint(host: ConnectorHost, store: ConfigStore, settings: AdminSettings) -> Blueprint:
    """The console: register it on a Flask app (``app.register_blueprint(...)``)."""
    secret = settings.session_secret or settings.credential.derived_secret(store.keys.keys()[0])
    console = _Console(
        host,
        store,
        settings,
        Sessions(secret),
        LoginLimiter(settings.login_attempts, settings.login_window),
    )
    bp = Blueprint(
        "admin",
        __name__,
        url_prefix="/admin",
        template_folder="templates",
        static_folder="static",
    )

    # -- every request ----------------------------------------------------------------------

    @bp.before_request
    def guard() -> BaseResponse | None:
        g.admin_language = (
            request.accept_languages.best_match(_i18n.LANGUAGES, default=_i18n.DEFAULT)
            or _i18n.DEFAULT
        )
        g.admin_text = _i18n.messages(g.admin_language)
        nonce = request.cookies.get(CSRF_COOKIE)
        if not nonce:
            nonce = console.sessions.new_nonce()
            g.admin_new_nonce = nonce
        g.admin_csrf = console.sessions.csrf_token(nonce)
        if request.method not in _SAFE_METHODS and not _same_site(console.sessions):
            return _refuse(403, "cross-site request refused")
        if request.endpoint in _OPEN_ENDPOINTS:
            return None
        if not console.sessions.valid(request.cookies.get(SESSION_COOKIE)):
            if request.method == "GET" and not request.path.startswith("/admin/api/"):
                return redirect(url_for("admin.login"))
            return _refuse(401, "sign in first")
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _refuse(413, "request body is larger than 1 MiB")
        return None

    @bp.after_request
    def harden(response: Response) -> Response:
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        # "no-referrer" would make Chromium send "Origin: null" with the console's own forms.
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        if request.endpoint != "admin.static":
            response.headers["Cache-Control"] = "no-store"
        nonce = g.get("admin_new_nonce")
        if nonce:
            _set_cookie(response, CSRF_COOKIE, nonce, max_age=None)
        return response

    @bp.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> BaseResponse:
        return _refuse(exc.code or 500, exc.description or exc.name)

    @bp.errorhandler(Exception)
    def unexpected(exc: Exception) -> BaseResponse:
        # A failing store or connector: the log keeps the traceback, the page one sentence.
        log.error("admin console: %s failed", request.endpoint, exc_info=exc)
        return _refuse(500, f"the console failed ({type(exc).__name__}); see the server log")

    # -- signing in -------------------------------------------------------------------------

    @bp.route("/login", methods=["GET", "POST"])
    def login() -> BaseResponse | str:
        text = g.admin_text
        error = None
        status = 200
        if request.method == "POST":
            client = request.remote_addr or "?"
            wait = console.limiter.retry_after(client)
            if wait:
                error, status = text["too_many"].format(seconds=wait), 429
            elif console.settings.credential.check(request.form.get("credential", "")):
                console.limiter.succeeded(client)
                response = redirect(url_for("admin.index"))
                _set_cookie(
                    response,
                    SESSION_COOKIE,
                    console.sessions.new_session(),
                    max_age=SESSION_SECONDS,
                )
                return response
            else:
                console.limiter.failed(client)
                log.warning("admin console: failed sign-in")
                error, status = text["bad_login"], 401
        page = render_template("admin/login.html", error=error)
        if status == 429:
            wait_header = str(console.limiter.retry_after(request.remote_addr or "?"))
            return Response(page, status, {"Retry-After": wait_header})
        return Response(page, status)

    @bp.post("/logout")
    def logout() -> BaseResponse:
        response = redirect(url_for("admin.login"))
        response.delete_cookie(SESSION_COOKIE, path="/admin")
        return response

    # -- pages ------------------------------------------------------------------------------

    @bp.get("/")
    def index() -> str:
        language = g.admin_language
        rows = []
        for cid in host.ids():
            meta = host.metadata(cid, resolve=True)
            rows.append(
                {
                    "id": cid,
                    "name": _i18n.pick(meta["name"], language),
                    "description": _i18n.pick(meta["description"], language),
                    "logo": _image(meta["logo"]),
                }
            )
        latest = store.latest(settings.config_name)
        return render_template(
            "admin/index.html",
            connectors=rows,
            serving=latest.connector_id if latest else None,
            config_name=settings.config_name,
        )

    @bp.route("/guards", methods=["GET", "POST"])
    def guards() -> BaseResponse | str:
        """The abuse guards saved beside the config (``NAME.guards``): a JSON document."""
        name = guards_name(settings.config_name)
        problems: list[str] = []
        saved_as: int | None = None
        if request.method == "POST":
            text = request.form.get("guards", "")
            try:
                document = json.loads(text)
                GuardSettings.from_document(document)
            except ValueError as exc:  # not JSON, or GuardSettingsError (a ValueError)
                problems = str(exc).splitlines()
            else:
                note = request.form.get("note", "")
                saved = store.save(name, GUARDS_KIND, document, note)
                log.info("admin console: saved %s version %d", name, saved.version)
                # Post/redirect/get: reloading the page shows it again, it does not save again.
                return redirect(url_for("admin.guards", saved=saved.version))
        else:
            latest = store.latest(name)
            text = json.dumps(latest.config, indent=2, ensure_ascii=False) if latest else ""
            saved_as = request.args.get("saved", type=int)
        page = render_template(
            "admin/guards.html",
            text=text,
            problems=problems,
            saved_as=saved_as,
            config_name=settings.config_name,
        )
        return Response(page, 400) if problems else page

    @bp.get("/connectors/<cid>")
    def connector(cid: str) -> str:
        meta = _metadata(host, cid)
        cid = meta["id"]
        language = g.admin_language
        keys = console.secrets_of(cid)
        stored = console.stored_for(cid)
        latest = store.latest(settings.config_name)
        if stored is not None:
            config = without_secrets(stored.config, keys)
            secrets_set = sorted(k for k in keys if stored.config.get(k) not in (None, ""))
        else:
            config = {
                item["key"]: item["defaultValue"]
                for item in meta.get("formItems", [])
                if "defaultValue" in item and item["key"] not in keys and not _unset(item)
            }
            secrets_set = []
        readme = meta.get("readme") or ""
        page_data = {
            "connectorId": cid,
            "config": config,
            "secretKeys": sorted(keys),
            "secretsSet": secrets_set,
            "text": g.admin_text,
            "hasOutbox": settings.outbox is not None,
            "urls": {
                "validate": url_for("admin.validate", cid=cid),
                "test": url_for("admin.test_send", cid=cid),
                "save": url_for("admin.save", cid=cid),
                "history": url_for("admin.history"),
                "restore": url_for("admin.restore"),
                "outbox": url_for("admin.outbox"),
                "check": url_for("admin.check_account", cid=cid),
                "receipts": url_for("admin.receipts"),
            },
        }
        return render_template(
            "admin/connector.html",
            meta=meta,
            name=_i18n.pick(meta["name"], language),
            description=_i18n.pick(meta["description"], language),
            logo=_image(meta["logo"]),
            form_items=meta.get("formItems", []),
            secret_keys=keys,
            secrets_set=secrets_set,
            guide=render_guide(readme) if not readme.startswith("./") else "",
            # In the config's own key order (Flask's tojson would sort the keys).
            page_data=htmlsafe_json_dumps(page_data, dumps=json.dumps),
            other_connector=(
                latest.connector_id if latest and latest.connector_id != cid else None
            ),
            config_name=settings.config_name,
            has_outbox=settings.outbox is not None,
        )

    # -- JSON endpoints ---------------------------------------------------------------------

    @bp.post("/api/connectors/<cid>/validate")
    def validate(cid: str) -> BaseResponse:
        cid = _metadata(host, cid)["id"]
        config = console.with_kept_secrets(cid, _body_object("config"))
        return jsonify(_report(host.check_config(cid, config)))

    @bp.post("/api/connectors/<cid>/test")
    def test_send(cid: str) -> BaseResponse:
        cid = _metadata(host, cid)["id"]
        body = _body()
        to = body.get("to")
        if not isinstance(to, str) or not to.strip():
            return _refuse(400, "enter a phone number")
        config = console.with_kept_secrets(cid, _body_object("config"))
        try:
            result = host.send_message(
                cid,
                config,
                to=to.strip(),
                type=TemplateType.GENERIC.value,
                payload={"code": TEST_CODE},
            )
        except ConnectorError as exc:
            details = {
                key: scrub(str(value), to)
                for key, value in exc.data.items()
                if isinstance(value, str | int | float) and not isinstance(value, bool)
            }
            return jsonify(
                {
                    "ok": False,
                    "code": exc.code.value,
                    "message": scrub(exc.message, to),
                    "data": details,
                    **_failure_report(exc),
                }
            )
        shown = result.to_dict()
        shown["to"] = mask_number(result.to)
        return jsonify({"ok": True, "result": {k: v for k, v in shown.items() if v is not None}})

    @bp.post("/api/connectors/<cid>/check")
    def check_account(cid: str) -> BaseResponse:
        """The host's account check of the unsaved config (stored secrets kept when left
        empty): each finding with its path, severity and advice, and counts by severity."""
        cid = _metadata(host, cid)["id"]
        config = console.with_kept_secrets(cid, _body_object("config"))
        hidden = [str(config[k]) for k in console.secrets_of(cid) if config.get(k)]
        try:
            findings = host.check_account(cid, config)
        except ConnectorError as exc:
            log.info("admin console: account check failed (%s)", exc.code.value)
            return jsonify(
                {
                    "ok": False,
                    "code": exc.code.value,
                    "message": _without(exc.message, hidden),
                    **_failure_report(exc),
                }
            )
        shown = [
            {k: _without(v, hidden) if isinstance(v, str) else v for k, v in f.to_dict().items()}
            for f in sorted(findings, key=lambda f: CHECK_SEVERITIES.index(f.severity))
        ]
        counts = {
            severity: sum(f.severity == severity for f in findings) for severity in CHECK_SEVERITIES
        }
        return jsonify({"ok": True, "findings": shown, "counts": counts})

    @bp.get("/api/receipts")
    def receipts() -> BaseResponse:
        """The delivery receipts the store holds for ``?serialNo=`` (numbers masked)."""
        serial = (request.args.get("serialNo") or "").strip()
        if not serial or len(serial) > 128:
            return _refuse(400, "enter a SerialNo")
        return jsonify(
            {"serialNo": serial, "receipts": [r.to_dict() for r in store.receipts(serial)]}
        )

    @bp.post("/api/connectors/<cid>/save")
    def save(cid: str) -> BaseResponse:
        cid = _metadata(host, cid)["id"]
        note = _body().get("note")
        config = console.with_kept_secrets(cid, _body_object("config"))
        report = _report(host.check_config(cid, config))
        if report["errors"]:
            refused = jsonify({"ok": False, "message": "the config has errors", **report})
            refused.status_code = 400
            return refused
        saved = store.save(settings.config_name, cid, config, note if isinstance(note, str) else "")
        log.info("admin console: saved %s version %d", settings.config_name, saved.version)
        return jsonify({"ok": True, "version": saved.version, **report})

    @bp.get("/api/history")
    def history() -> BaseResponse:
        return jsonify(
            [
                {
                    "version": v.version,
                    "connectorId": v.connector_id,
                    "savedAt": v.saved_at.isoformat(timespec="seconds"),
                    "note": v.note,
                }
                for v in store.history(settings.config_name)
            ]
        )

    @bp.post("/api/restore")
    def restore() -> BaseResponse:
        version = _body().get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            return _refuse(400, "version must be a whole number")
        if all(v.version != version for v in store.history(settings.config_name)):
            return _refuse(404, f"there is no version {version}")
        restored = store.restore(
            settings.config_name, version, note=f"restored from version {version}"
        )
        log.info("admin console: restored version %d as %d", version, restored.version)
        return jsonify({"ok": True, "version": restored.version, "from": version})

    @bp.get("/api/outbox")
    def outbox() -> BaseResponse:
        if settings.outbox is None:
            return _refuse(404, "no emulator is served with this console")
        messages = settings.outbox()[-OUTBOX_SHOWN:]
        return jsonify(
            [
                {
                    "time": str(m.get("time", "")),
                    "to": mask_number(str(m.get("phoneNumber", ""))),
                    "templateId": str(m.get("templateId", "")),
                    "sign": m.get("sign"),
                    "requestId": str(m.get("requestId", "")),
                    "serialNo": str(m.get("serialNo", "")),
                }
                for m in reversed(messages)
            ]
        )

    return bp


# -- helpers ---------------------------------------------------------------------------------


def _report(report: ConfigReport) -> dict[str, Any]:
    """A host's verdict for the page: every problem with its path and severity."""
    return {
        "problems": [p.to_dict() for p in (*report.errors, *report.warnings)],
        "errors": len(report.errors),
        "warnings": len(report.warnings),
    }


def _failure_report(exc: ConnectorError) -> dict[str, Any]:
    """The problems a refused send carries (a config with errors), in the same shape."""
    listed: list[Any] = []
    for key in ("problems", "warnings"):
        value = exc.data.get(key)
        listed += value if isinstance(value, list) else []
    found = [
        {
            "path": str(p.get("path", "")),
            "message": str(p.get("message", "")),
            "severity": str(p.get("severity", "error")),
        }
        for p in listed
        if isinstance(p, dict)
    ]
    return {
        "problems": found,
        "errors": sum(p["severity"] == "error" for p in found),
        "warnings": sum(p["severity"] == "warning" for p in found),
    }


def _without(text: str, secrets: list[str]) -> str:
    """``text`` with every secret value of the config starred out (a provider's message
    never should quote one; this makes sure)."""
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "****")
    return text


def _unset(item: FormItem) -> bool:
    """A default the form reads as "not set" (as the page does for what an admin clears):
    empty text, or ``{}`` in an optional Json item (what Logto's console saves for it)."""
    value = item.get("defaultValue")
    if value is None or value == "":
        return True
    return item["type"] == "Json" and value == {} and not item.get("required")


def _metadata(host: ConnectorHost, cid: str) -> Any:
    try:
        return host.metadata(cid, resolve=True)
    except UnknownConnectorError:
        abort(404, description=f"no connector with id {cid!r}")


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, description="send a JSON object")
    return body


def _body_object(key: str) -> dict[str, Any]:
    value = _body().get(key)
    if not isinstance(value, dict):
        abort(400, description=f"{key} must be a JSON object")
    return value


def _image(logo: str) -> str | None:
    # Only an inlined image reaches the page: a remote one would leak who looks at it.
    return logo if logo.startswith("data:image/") else None


def _same_site(sessions: Sessions) -> bool:
    """A change must come from this console: same-origin fetch metadata, and the CSRF
    token of this browser in a header or a form field."""
    if request.headers.get("Sec-Fetch-Site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    if origin is not None and origin.rstrip("/") != request.host_url.rstrip("/"):
        return False
    token = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token")
    return sessions.csrf_ok(request.cookies.get(CSRF_COOKIE), token)


def _refuse(status: int, message: str) -> BaseResponse:
    if request.path.startswith("/admin/api/") or request.is_json:
        return Response(
            json.dumps({"ok": False, "message": message}), status, mimetype="application/json"
        )
    return Response(render_template("admin/error.html", message=message), status)


def _set_cookie(response: BaseResponse, name: str, value: str, *, max_age: int | None) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/admin",
        httponly=True,
        samesite="Strict",
        secure=request.is_secure,
    )
