"""The admin console in a real browser: Debian's Chromium driven by Playwright, against the
console served on loopback with the real host, the Tencent connector and the emulator.

Screenshots of the main states go to ``tests/artifacts/`` (ignored by git).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Locator,
    Page,
    expect,
)

from connector.emulator import DEMO_SECRET_ID, DEMO_SECRET_KEY, Emulator
from connector.kit import ConnectorHost
from connector.service.admin import (
    AdminCredential,
    AdminSettings,
    admin_blueprint,
    outbox_reader,
)
from connector.store import ConfigStore, open_store
from connector.tencent_sms import TencentSmsConnector
from tests.admin_support import (
    ARTIFACTS,
    chromium,
    every_type_connector,
    hostile_connector,
)
from tests.admin_support import sign_in as sign_in_at
from tests.app_thread import serving

TOKEN = "admin-token-for-tests-0123456789"
TENCENT = "tencent-short-message-service"
PHONE = "+8613800138000"
TEMPLATE_ROWS = 9


@dataclass
class Console:
    """A console served on loopback, with what a test needs to look behind it."""

    url: str
    store: ConfigStore
    emulator: Emulator

    def page_url(self, cid: str = TENCENT) -> str:
        return f"{self.url}/admin/connectors/{cid}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def console(emulator: Emulator, tmp_path: Path) -> Iterator[Console]:
    host = ConnectorHost(
        plugins=[TencentSmsConnector(), hostile_connector(), every_type_connector()]
    )
    store = open_store(tmp_path / "configs.db")  # the real SQLite store
    # The outbox is read over the emulator's HTTP API, as a gunicorn worker reads it.
    settings = AdminSettings(
        credential=AdminCredential(token=TOKEN), outbox=outbox_reader(emulator.url)
    )
    app = Flask("console-under-test")
    app.register_blueprint(admin_blueprint(host, store, settings))
    with serving(app) as url:
        yield Console(url, store, emulator)
    store.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    yield ctx
    ctx.close()


def sign_in(page: Page, console: Console, cid: str = TENCENT) -> None:
    """Open a connector's page; the console asks for its credential first."""
    sign_in_at(page, console.page_url(cid), TOKEN)


def field(page: Page, label: str) -> Locator:
    """The block of one form field (input, description, its problems), found by its label."""
    return page.locator(".field", has=page.get_by_label(label, exact=True))


def fill_emulator_account(page: Page, emulator: Emulator, templates: list[dict[str, str]]) -> None:
    config = emulator.connector_config()
    page.get_by_label("Access Key ID").fill(config["accessKeyId"])
    page.get_by_label("Access Key Secret").fill(config["accessKeySecret"])
    page.get_by_label("Sign Name").fill(config["signName"])
    page.get_by_label("SDK App ID").fill(config["sdkAppId"])
    page.get_by_label("Region").fill(config["region"])
    page.get_by_label("Templates").fill(json.dumps(templates, indent=2))
    page.get_by_label("Endpoint").fill(config["endpoint"])


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def no_problems(page: Page) -> None:
    expect(page.locator("#summary-text")).to_have_text("No problems.")


# -- the main path ------------------------------------------------------------------------------


def test_fill_fix_save_reload_and_send(
    context: BrowserContext, console: Console, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    page = context.new_page()
    sign_in(page, console)
    emulator = console.emulator
    templates = emulator.connector_config()["templates"]
    bad = [dict(t) for t in templates]
    bad[2]["templateCode"] = "<template-code>"
    fill_emulator_account(page, emulator, bad)
    page.get_by_label("SDK App ID").fill("14000abc")

    # Each problem sits next to the field it names, with its severity; an error blocks Save.
    sdk = field(page, "SDK App ID").locator(".problem")
    expect(sdk).to_have_count(1)
    expect(sdk).to_have_class(re.compile(r"\berror\b"))
    expect(sdk).to_contain_text("Error")
    expect(sdk).to_contain_text("SDK App ID's digits")
    expect(page.locator("#summary-text")).to_have_text("1 error(s)")
    expect(page.get_by_role("button", name="Save")).to_be_disabled()
    shot(page, "01-inline-error")

    # Once the schema holds, the connector's own checks run: the placeholder template is a
    # warning inside the Json field's editor, by path and line; a warning alone allows Save.
    page.get_by_label("SDK App ID").fill(emulator.connector_config()["sdkAppId"])
    expect(sdk).to_have_count(0)
    in_templates = field(page, "Templates").locator(".problem")
    expect(in_templates).to_have_count(1)
    expect(in_templates).to_have_class(re.compile(r"\bwarning\b"))
    expect(in_templates).to_contain_text("Warning")
    expect(in_templates).to_contain_text("templates[2].templateCode")
    expect(in_templates).to_contain_text("still a placeholder")
    line = 1 + json.dumps(bad, indent=2).splitlines().index('    "templateCode": "<template-code>"')
    expect(in_templates).to_contain_text(f"(line {line})")
    in_templates.click()  # selects that line in the editor
    selected = page.get_by_label("Templates").evaluate(
        "el => el.value.slice(el.selectionStart, el.selectionEnd)"
    )
    assert selected == '    "templateCode": "<template-code>"'
    expect(page.locator("#summary-text")).to_have_text("1 warning(s)")
    expect(page.locator("#summary-list .problem")).to_have_count(1)
    expect(page.get_by_role("button", name="Save")).to_be_enabled()
    shot(page, "02-warning")

    page.get_by_label("Templates").fill(json.dumps(templates, indent=2))
    no_problems(page)
    expect(field(page, "Templates").locator(".problem")).to_have_count(0)
    page.get_by_label("Note for this version").fill("first setup")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#save-status")).to_have_text("Saved as version 1.")
    saved = console.store.latest()
    assert saved is not None and saved.connector_id == TENCENT
    assert saved.config["accessKeySecret"] == DEMO_SECRET_KEY
    assert saved.note == "first setup"
    shot(page, "03-saved")

    # After a reload the secret is set but never sent back to the browser.
    page.reload()
    secret = page.get_by_label("Access Key Secret")
    expect(secret).to_have_value("")
    expect(field(page, "Access Key Secret")).to_contain_text("A value is set")
    expect(page.get_by_label("Access Key ID")).to_have_value(DEMO_SECRET_ID)
    # The config comes back as it was written, keys in their order.
    expect(page.get_by_label("Templates")).to_have_value(json.dumps(templates, indent=2))
    assert DEMO_SECRET_KEY not in page.content()
    no_problems(page)
    expect(page.get_by_role("button", name="Save")).to_be_enabled()

    # Test send with the stored secret kept: the result, then the message in the outbox.
    page.get_by_label("Phone number", exact=True).fill(PHONE)
    page.get_by_role("button", name="Send test message").click()
    result = page.locator("#test-result")
    expect(result).to_contain_text("Sent")
    request_id = emulator.outbox()[-1]["requestId"]
    expect(result).to_contain_text(request_id)
    outbox = page.locator("#outbox")
    expect(outbox).to_contain_text(request_id)
    expect(outbox).to_contain_text("+86138****8000")
    assert emulator.outbox()[-1]["params"] == ["000000"]
    assert PHONE not in page.content() and PHONE[1:] not in page.content()
    shot(page, "04-test-sent")
    # Nothing the console or the connector logged holds the secret or the whole number.
    assert "console: saved default version 1" in caplog.text
    for leak in (DEMO_SECRET_KEY, PHONE[1:]):
        assert leak not in caplog.text


def test_every_form_item_type(context: BrowserContext, console: Console) -> None:
    page = context.new_page()
    sign_in(page, console, "every-type-sms")
    # Defaults fill the form; a field with showConditions follows its target.
    expect(page.get_by_label("Retries")).to_have_value("2")
    expect(page.get_by_label("Sandbox", exact=True)).to_be_checked()
    expect(page.get_by_label("Channel")).to_have_value("sms")
    expect(page.get_by_label("Sandbox label")).to_be_visible()
    page.get_by_label("Sandbox", exact=True).uncheck()
    expect(page.get_by_label("Sandbox label")).to_be_hidden()

    page.get_by_label("Sender").fill("Acme")
    page.get_by_label("Footer").fill("line one\nline two")
    page.get_by_label("Retries").fill("9")
    expect(field(page, "Retries").locator(".problem")).to_contain_text("must be at most 5")
    page.get_by_label("Retries").fill("three")
    expect(field(page, "Retries").locator(".problem")).to_contain_text("must be a number")
    expect(page.get_by_role("button", name="Save")).to_be_disabled()
    page.get_by_label("Retries").fill("3")
    page.get_by_label("Channel").select_option("voice")
    page.get_by_label("Countries").select_option(["CN", "TR"])
    page.get_by_label("Extra").fill('{"a": 1}')
    no_problems(page)
    shot(page, "09-every-type")

    expected = {
        "sender": "Acme",
        "footer": "line one\nline two",
        "retries": 3,
        "sandbox": False,
        "channel": "voice",
        "countries": ["CN", "TR"],
        "extra": {"a": 1},
    }
    page.get_by_role("tab", name="JSON").click()
    assert json.loads(page.get_by_label("Config JSON").input_value()) == expected
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#save-status")).to_have_text("Saved as version 1.")
    saved = console.store.latest()
    assert saved is not None and saved.connector_id == "every-type-sms"
    assert saved.config == expected


def test_test_send_failure_shows_codes(context: BrowserContext, console: Console) -> None:
    page = context.new_page()
    sign_in(page, console)
    config = console.emulator.connector_config()
    fill_emulator_account(page, console.emulator, config["templates"])
    page.get_by_label("Access Key Secret").fill("not-the-secret")
    no_problems(page)
    page.get_by_label("Phone number", exact=True).fill(PHONE)
    page.get_by_role("button", name="Send test message").click()
    result = page.locator("#test-result")
    expect(result).to_contain_text("Not sent")
    expect(result).to_contain_text("invalid_config")  # the Logto error code
    expect(result).to_contain_text("AuthFailure.SignatureFailure")  # the provider's code
    expect(result).to_contain_text("RequestId")
    assert "not-the-secret" not in result.inner_text()
    assert console.emulator.outbox() == []
    shot(page, "04-test-refused")


def test_paste_whole_config_in_json_view(context: BrowserContext, console: Console) -> None:
    page = context.new_page()
    sign_in(page, console)
    config = console.emulator.connector_config()
    page.get_by_role("tab", name="JSON").click()
    page.get_by_label("Config JSON").fill("{ not json")
    expect(page.locator("#json-problems")).to_contain_text("not valid JSON")
    expect(page.get_by_role("button", name="Save")).to_be_disabled()
    page.get_by_label("Config JSON").fill(json.dumps(config, indent=2))
    no_problems(page)
    shot(page, "05-json-view")
    page.get_by_role("tab", name="Form").click()
    expect(page.get_by_label("Sign Name")).to_have_value(config["signName"])
    expect(page.get_by_label("Endpoint")).to_have_value(config["endpoint"])
    expect(page.get_by_label("International")).to_have_value(re.compile("200001"))

    # And back: a form edit shows in the JSON view, a JSON problem is placed by its path.
    page.get_by_label("Region").fill("AP-Guangzhou")
    page.get_by_role("tab", name="JSON").click()
    assert json.loads(page.get_by_label("Config JSON").input_value())["region"] == "AP-Guangzhou"
    expected_line = 1 + json.dumps(
        {**config, "region": "AP-Guangzhou"}, indent=2
    ).splitlines().index('  "region": "AP-Guangzhou",')
    expect(page.locator("#json-problems")).to_contain_text("region")
    expect(page.locator("#json-problems")).to_contain_text(f"(line {expected_line})")
    page.get_by_role("tab", name="Form").click()
    page.get_by_label("Region").fill(config["region"])
    no_problems(page)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#save-status")).to_have_text("Saved as version 1.")
    saved = console.store.latest()
    assert saved is not None and saved.config == config


def test_restore_an_old_version(context: BrowserContext, console: Console) -> None:
    config = console.emulator.connector_config()
    console.store.save("default", TENCENT, {**config, "signName": "Old Sign"}, "old")
    console.store.save("default", TENCENT, config, "new")
    page = context.new_page()
    sign_in(page, console)
    expect(page.get_by_label("Sign Name")).to_have_value(config["signName"])
    rows = page.locator("#history tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("current")
    page.get_by_role("button", name="Restore 1").click()
    expect(page.get_by_label("Sign Name")).to_have_value("Old Sign")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("restored from version 1")
    latest = console.store.latest()
    assert latest is not None and latest.version == 3 and latest.config["signName"] == "Old Sign"
    shot(page, "06-restored")


# -- security --------------------------------------------------------------------------------


def test_hostile_connector_text_stays_inert(context: BrowserContext, console: Console) -> None:
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text))
    sign_in(page, console, "hostile-sms")
    expect(page.get_by_role("heading", name="Hostile guide")).to_be_visible()
    # The text is shown as text; nothing in it ran.
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "<script>window.__pwned = 1</script>"
    )
    expect(field(page, "Greeting")).to_contain_text("onerror")
    assert page.evaluate("typeof window.__pwned") == "undefined"
    guide = page.locator(".markdown")
    assert guide.locator("script, img, iframe").count() == 0
    assert guide.locator("a[href^='javascript']").count() == 0
    page.goto(console.url + "/admin/")
    expect(page.get_by_role("heading", name=re.compile("Hostile"))).to_be_visible()
    assert page.evaluate("typeof window.__pwned") == "undefined"
    shot(page, "07-hostile")


def test_cross_site_post_is_refused(browser: Browser, console: Console) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, console)
    # Another site (localhost is another site than 127.0.0.1) posts to the console.
    port = console.url.rsplit(":", 1)[1]
    target = f"http://127.0.0.1:{port}/admin"
    attacker = Flask("attacker")

    @attacker.get("/")
    def evil() -> str:
        return (
            f'<form id="f" method="post" action="{target}/logout">'
            '<input name="csrf_token" value="guess"></form>'
            f'<button id="go" form="f">go</button>'
        )

    with serving(attacker) as evil_url:
        other = context.new_page()
        other.goto(evil_url.replace("127.0.0.1", "localhost") + "/")
        other.click("#go")
        expect(other.locator("body")).to_contain_text("cross-site request refused")
        # A no-cors fetch that tries to save a config.
        other.goto(evil_url.replace("127.0.0.1", "localhost") + "/")
        other.evaluate(
            """async (url) => { await fetch(url, {method: 'POST', mode: 'no-cors',
            credentials: 'include', headers: {'Content-Type': 'text/plain'},
            body: JSON.stringify({config: {}})}); }""",
            f"{target}/api/connectors/{TENCENT}/save",
        )
    assert console.store.latest() is None
    page.reload()  # still signed in: the forged logout did nothing
    expect(page.get_by_role("button", name="Save")).to_be_visible()
    context.close()


def test_cookies_and_headers(context: BrowserContext, console: Console) -> None:
    page = context.new_page()
    sign_in(page, console)
    cookies = {c["name"]: c for c in context.cookies()}
    for name in ("logto_admin_session", "logto_admin_csrf"):
        assert cookies[name]["httpOnly"] is True
        assert cookies[name]["sameSite"] == "Strict"
        assert cookies[name]["path"] == "/admin"
    response = requests.get(console.page_url(), timeout=5, allow_redirects=False)
    assert response.status_code == 302  # without a session: to the sign-in page
    csp = requests.get(console.url + "/admin/login", timeout=5).headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_api_refuses_without_token_or_from_elsewhere(console: Console) -> None:
    session = requests.Session()
    login = session.get(console.url + "/admin/login", timeout=5)
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert token is not None
    csrf = token.group(1)
    answer = session.post(
        console.url + "/admin/login", data={"credential": TOKEN, "csrf_token": csrf}, timeout=5
    )
    assert answer.url.endswith("/admin/")
    url = console.url + f"/admin/api/connectors/{TENCENT}/validate"
    body: dict[str, Any] = {"config": {}}
    assert session.post(url, json=body, timeout=5).status_code == 403  # no CSRF token
    wrong_origin = {"X-CSRF-Token": csrf, "Origin": "http://localhost:1"}
    assert session.post(url, json=body, headers=wrong_origin, timeout=5).status_code == 403
    fine = session.post(url, json=body, headers={"X-CSRF-Token": csrf}, timeout=5)
    assert fine.status_code == 200 and fine.json()["errors"] > 0
    bad_body = session.post(url, data="[1]", headers={"X-CSRF-Token": csrf}, timeout=5)
    assert bad_body.status_code == 400 and "traceback" not in bad_body.text.lower()


def test_login_is_rate_limited(console: Console) -> None:
    session = requests.Session()
    page = session.get(console.url + "/admin/login", timeout=5)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    statuses = [
        session.post(
            console.url + "/admin/login",
            data={"credential": f"guess-{i}", "csrf_token": token.group(1)},
            timeout=5,
        ).status_code
        for i in range(7)
    ]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]
    # Even the right credential waits now.
    late = session.post(
        console.url + "/admin/login",
        data={"credential": TOKEN, "csrf_token": token.group(1)},
        timeout=5,
    )
    assert late.status_code == 429 and int(late.headers["Retry-After"]) > 0


# -- languages and layout -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "save", "name"),
    [
        ("zh-CN", "保存", "腾讯云短信服务"),
        ("es-ES", "Guardar", "Servicio de mensajes cortos de Tencent"),
        ("tr-TR", "Kaydet", "Tencent Kısa Mesaj Hizmeti"),
        ("ko-KR", "저장", "텐센트 단문 메시지 서비스"),
        ("fr-FR", "Save", "Tencent Short Message Service"),
    ],
)
def test_language_follows_the_browser(
    browser: Browser, console: Console, locale: str, save: str, name: str
) -> None:
    context = browser.new_context(locale=locale)
    page = context.new_page()
    page.goto(console.url + "/admin/login")
    page.locator("#credential").fill(TOKEN)
    page.locator("button[type=submit]").click()
    page.goto(console.page_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.get_by_role("button", name=save, exact=True)).to_be_visible()
    context.close()


@pytest.mark.parametrize("width", [375, 1280])
def test_layout_fits_the_width(browser: Browser, console: Console, width: int) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800})
    page = context.new_page()
    sign_in(page, console)
    fill_emulator_account(page, console.emulator, console.emulator.connector_config()["templates"])
    no_problems(page)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{overflow}px of horizontal scroll at {width}px"
    work = page.locator("section.work").bounding_box()
    guide = page.locator("aside.side").bounding_box()
    assert work is not None and guide is not None
    if width >= 960:  # the guide beside the form
        assert guide["x"] > work["x"] + work["width"] - 1
    else:  # one column
        assert guide["y"] >= work["y"] + work["height"] - 1
    shot(page, f"08-layout-{width}")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / f"08-layout-{width}-first-screen.png"))
    context.close()


def test_guards_are_edited_beside_the_config(context: BrowserContext, console: Console) -> None:
    from connector.service import StoreGuardSource

    page = context.new_page()
    sign_in_at(page, console.url + "/admin/", TOKEN)
    page.get_by_role("link", name="Guards").click()
    expect(page).to_have_url(re.compile(r"/admin/guards$"))
    editor = page.get_by_label("Guards JSON")
    expect(editor).to_have_value("")  # nothing saved yet
    editor.fill('{"countries": {"allow": ["cn"]}, "limits": [{"per": "number", "max": 5}]}')
    page.get_by_role("button", name="Save").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("countries.allow[0]")
    expect(alert).to_contain_text("'window' is a required property")
    assert console.store.latest_version("default.guards") is None  # nothing saved
    guards = {
        "countries": {"allow": ["CN", "HK"]},
        "limits": [{"per": "number", "max": 5, "window": 3600}],
    }
    editor.fill(json.dumps(guards))
    page.get_by_label("Note for this version").fill("HK opens")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved as version 1.")
    saved = console.store.latest("default.guards")
    assert saved is not None and saved.config == guards and saved.note == "HK opens"
    # What a gateway serving this store enforces from now on.
    enforced = StoreGuardSource(lambda: console.store).current()
    assert enforced is not None and enforced.allow == frozenset({"CN", "HK"})
    page.reload()  # shows the saved guards again, saves nothing
    expect(page.get_by_label("Guards JSON")).to_have_value(re.compile(r'"HK"'))
    assert console.store.latest_version("default.guards") == 1
    shot(page, "guards")
