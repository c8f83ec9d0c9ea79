"""The console's "Check with Tencent" and its Delivery panel, in Debian's Chromium against the
console on loopback with the real host, the SQLite store and the emulator."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from connector.emulator import DEMO_SECRET_KEY, DEMO_UNAPPROVED_TEMPLATE_ID, Emulator
from connector.kit import ConnectorHost, DeliveryReceipt
from connector.service.admin import AdminCredential, AdminSettings, admin_blueprint
from connector.store import open_store
from connector.tencent_sms import TencentSmsConnector
from tests.admin_support import ARTIFACTS, chromium
from tests.admin_support import sign_in as sign_in_at
from tests.app_thread import serving
from tests.gateway_process import Gateway
from tests.test_account_check import PERSONAL  # individually verified: may send, not query
from tests.test_admin_console import Console

TOKEN = "admin-token-for-the-check-tests-01"
TENCENT = "tencent-short-message-service"
#: Each mainland usage type of the demo config, plus its international block: 14 items.
DEMO_ITEMS = 14


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    with Emulator(accounts=[PERSONAL]) as emulator:
        host = ConnectorHost(plugins=[TencentSmsConnector()])
        store = open_store(tmp_path / "configs.db")
        app = Flask("console-under-test")
        settings = AdminSettings(credential=AdminCredential(token=TOKEN))
        app.register_blueprint(admin_blueprint(host, store, settings))
        with serving(app) as url:
            yield Console(url, store, emulator)
        store.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context: BrowserContext = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US"
    )
    yield context.new_page()
    context.close()


def field(page: Page, label: str) -> Locator:
    return page.locator(".field", has=page.get_by_label(label, exact=True))


def personal_config(emulator: Emulator) -> dict[str, Any]:
    usages = ("SignIn", "Register", "ForgotPassword", "Generic")
    config = emulator.connector_config(
        accessKeyId=PERSONAL.secret_id,
        accessKeySecret=PERSONAL.secret_key,
        sdkAppId=PERSONAL.sdk_app_ids[0],
        signName="Personal",
        templates=[{"usageType": u, "templateCode": "400001"} for u in usages],
    )
    del config["international"]
    return config


def check(page: Page) -> Locator:
    """Press "Check with Tencent"; the summary line once the answer is in."""
    page.get_by_role("button", name="Check with Tencent", exact=True).click()
    summary = page.locator("#check-summary")
    expect(summary).not_to_have_text(re.compile(r"^(Checking…)?$"))
    return summary


def test_an_approved_config_is_all_ok_and_a_pending_template_shows_beside_its_field(
    console: Console, page: Page
) -> None:
    console.store.save("default", TENCENT, console.emulator.connector_config(), "demo")
    sign_in_at(page, console.page_url(), TOKEN)
    # The stored secret is used (the field is left empty), never sent back.
    summary = check(page)
    expect(summary).to_have_text(f"0 error(s), 0 warning(s), {DEMO_ITEMS} ok, 0 could not check")
    sign = field(page, "Sign Name").locator(".finding")
    expect(sign).to_have_count(1)
    expect(sign).to_have_class(re.compile(r"\bok\b"))
    expect(sign).to_contain_text("OK")
    expect(sign).to_contain_text("exists and is approved")
    expect(field(page, "Templates").locator(".finding.ok")).to_have_count(9)
    expect(page.locator("#check-list .problem")).to_have_count(DEMO_ITEMS)
    assert DEMO_SECRET_KEY not in page.content()

    # Generic on a template still under review: the finding sits beside the templates field.
    templates = console.emulator.connector_config()["templates"]
    generic = next(i for i, t in enumerate(templates) if t["usageType"] == "Generic")
    templates[generic]["templateCode"] = DEMO_UNAPPROVED_TEMPLATE_ID
    page.get_by_label("Templates", exact=True).fill(json.dumps(templates, indent=2))
    expect(page.locator("#check-list .problem")).to_have_count(0)  # stale findings go
    expect(check(page)).to_have_text(
        f"1 error(s), 0 warning(s), {DEMO_ITEMS - 1} ok, 0 could not check"
    )
    pending = field(page, "Templates").locator(".finding.error")
    expect(pending).to_have_count(1)
    expect(pending).to_contain_text("Error")
    expect(pending).to_contain_text(f"templates[{generic}].templateCode")
    expect(pending).to_contain_text("still under review")
    expect(pending).to_contain_text("wait for the review to finish")
    expect(pending).to_contain_text(f"(line {4 + 4 * generic})")
    # An account's findings do not block saving the config (they are not config errors).
    expect(page.get_by_role("button", name="Save")).to_be_enabled()
    page.screenshot(path=str(ARTIFACTS / "20-check-pending-template.png"), full_page=True)


def test_an_account_without_permission_shows_could_not_check(console: Console, page: Page) -> None:
    console.store.save("default", TENCENT, personal_config(console.emulator), "personal")
    sign_in_at(page, console.page_url(), TOKEN)
    summary = check(page)
    expect(summary).to_have_text("0 error(s), 0 warning(s), 0 ok, 5 could not check")
    sign = field(page, "Sign Name").locator(".finding")
    expect(sign).to_have_class(re.compile(r"\bunchecked\b"))
    expect(sign).to_contain_text("Could not check")
    expect(sign).to_contain_text("enterprise")
    expect(field(page, "Templates").locator(".finding.unchecked")).to_have_count(4)
    assert PERSONAL.secret_key not in page.content()
    page.screenshot(path=str(ARTIFACTS / "21-check-could-not-check.png"), full_page=True)


def test_wrong_credentials_fail_the_check_clearly(console: Console, page: Page) -> None:
    console.store.save("default", TENCENT, console.emulator.connector_config(), "demo")
    sign_in_at(page, console.page_url(), TOKEN)
    typed = "a-wrong-secret-typed-in-the-form"
    page.get_by_label("Access Key Secret", exact=True).fill(typed)
    expect(check(page)).to_contain_text("Could not check the account: ")
    expect(page.locator("#check-summary")).to_have_class("error")
    assert typed not in page.locator("#check-result").inner_text()


def test_the_check_is_csrf_protected(console: Console, page: Page) -> None:
    sign_in_at(page, console.page_url(), TOKEN)
    status = page.evaluate(
        """async (url) => (await fetch(url, {method: 'POST', credentials: 'same-origin',
        headers: {'Content-Type': 'application/json'}, body: '{"config": {}}'})).status""",
        f"{console.url}/admin/api/connectors/{TENCENT}/check",
    )
    assert status == 403


def test_a_lookup_by_serial_no_shows_the_kept_receipts(console: Console, page: Page) -> None:
    number = "+8613711112222"
    console.store.add_receipts(
        [DeliveryReceipt(TENCENT, "2021:000111", number, "failed", "UNDELIV", "carrier refused")]
    )
    sign_in_at(page, console.page_url(), TOKEN)
    page.get_by_label("SerialNo", exact=True).fill("2021:000111")
    page.get_by_role("button", name="Look up").click()
    delivery = page.locator("#delivery")
    expect(delivery).to_contain_text("Failed")
    expect(delivery).to_contain_text("UNDELIV (carrier refused)")
    expect(delivery).to_contain_text("+86137****2222")
    assert number not in page.content() and number[1:] not in page.content()
    page.get_by_label("SerialNo", exact=True).fill("2021:nothing")
    page.get_by_role("button", name="Look up").click()
    expect(delivery).to_have_text("No receipt is kept for this SerialNo.")


def test_a_test_send_in_serve_shows_its_receipt(browser: Browser, tmp_path: Path) -> None:
    """``serve --store --with-emulator`` with the callback receiver on: the emulator pushes its
    report to the gateway, the store keeps it, and the page that sent the test shows it."""
    token_file = tmp_path / "callback.token"
    token_file.write_text("callback-token-for-the-console-test")
    args = ("--store", str(tmp_path / "configs.db"), "--with-emulator")
    env = {"LOGTO_CONNECTOR_ADMIN_TOKEN": TOKEN, "LOGTO_CONNECTOR_KEY": ""}
    with Gateway(*args, "--callback-token-file", str(token_file), env=env) as gateway:
        context = browser.new_context(viewport={"width": 375, "height": 800}, locale="en-US")
        page = context.new_page()
        sign_in_at(page, f"{gateway.base}/admin/connectors/{TENCENT}", TOKEN)
        page.get_by_label("Phone number", exact=True).fill("+8613800000002")  # EXPIRED
        page.get_by_role("button", name="Send test message").click()
        result = page.locator("#test-result")
        expect(result).to_contain_text("Sent")
        serial = page.locator("#test-result button.link").inner_text()
        assert serial
        expect(page.get_by_label("SerialNo", exact=True)).to_have_value(serial)
        delivery = page.locator("#delivery")
        expect(delivery).to_contain_text("Failed", timeout=15_000)
        expect(delivery).to_contain_text("EXPIRED")
        expect(delivery).to_contain_text("+86138****0002")
        expect(delivery).to_contain_text(serial)
        assert "8613800000002" not in page.content()
        page.screenshot(path=str(ARTIFACTS / "22-served-receipt.png"), full_page=True)
        context.close()
    assert "8613800000002" not in gateway.stdout + gateway.stderr
