"""The console as ``logto-connector serve --store`` runs it: a real process (gunicorn, two
workers), the real SQLite store, the emulator, and Debian's Chromium."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from connector.emulator import DEMO_SECRET_KEY, DEMO_SIGN
from tests.admin_support import ARTIFACTS, chromium, sign_in
from tests.gateway_process import TOKEN, Gateway, get_json, logto_send, wait_until

ADMIN_TOKEN = "admin-token-for-the-serve-test"
TENCENT = "tencent-short-message-service"
WORKERS = 2


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def served_versions(base: str) -> set[str]:
    """The config versions the workers answer /readyz with (enough asks to reach each)."""
    return {get_json(f"{base}/readyz")["version"] for _ in range(6 * WORKERS)}


def test_a_save_in_the_console_is_what_every_worker_sends(browser: Browser, tmp_path: Path) -> None:
    db = tmp_path / "configs.db"
    env = {"LOGTO_CONNECTOR_ADMIN_TOKEN": ADMIN_TOKEN}
    args = ("--store", str(db), "--with-emulator", "--workers", str(WORKERS))
    with Gateway(*args, env=env) as gateway:
        console = f"{gateway.base}/admin/"
        assert wait_until(lambda: f"  Admin console:         {console}" in gateway.lines)
        assert served_versions(gateway.base) == {"store:default:1"}  # the emulator's config

        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        sign_in(page, f"{console}connectors/{TENCENT}", ADMIN_TOKEN)
        expect(page.get_by_label("Sign Name")).to_have_value(DEMO_SIGN)
        secret = page.locator(".field", has=page.get_by_label("Access Key Secret", exact=True))
        expect(secret).to_contain_text("A value is set")
        assert DEMO_SECRET_KEY not in page.content()

        page.get_by_label("Send Timeout (seconds)").fill("8")
        page.get_by_label("Note for this version").fill("shorter deadline")
        page.get_by_role("button", name="Save").click()
        expect(page.locator("#save-status")).to_have_text("Saved as version 2.")
        # Every worker serves the new version at once, without a restart.
        assert wait_until(lambda: served_versions(gateway.base) == {"store:default:2"})

        # A test send from the page, and a send from Logto's connector through the gateway,
        # both arrive in the emulator (which runs in gunicorn's master) and show in the panel.
        page.get_by_label("Phone number", exact=True).fill("+8613800138000")
        page.get_by_role("button", name="Send test message").click()
        expect(page.locator("#test-result")).to_contain_text("Sent")
        call = {"to": "8613800138001", "type": "SignIn", "payload": {"code": "402449"}}
        [result] = logto_send(gateway.url, [call], f"Bearer {TOKEN}")
        assert result["ok"] is True, result
        outbox = page.locator("#outbox li")
        expect(outbox).to_have_count(2, timeout=10_000)
        expect(page.locator("#outbox")).to_contain_text("+86138****8001")
        expect(page.locator("#history tbody tr")).to_have_count(2)
        page.screenshot(path=str(ARTIFACTS / "10-served-by-serve.png"), full_page=True)
        context.close()

    # The store on disk never holds the secret in plain text.
    for path in tmp_path.iterdir():
        assert DEMO_SECRET_KEY.encode() not in path.read_bytes(), path.name
    assert json.dumps(DEMO_SECRET_KEY) not in gateway.stdout + gateway.stderr


def test_without_its_credential_the_console_is_off(tmp_path: Path) -> None:
    args = ("--store", str(tmp_path / "configs.db"), "--with-emulator")
    with Gateway(*args, env={"LOGTO_CONNECTOR_ADMIN_TOKEN": ""}) as gateway:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(f"{gateway.base}/admin/login", timeout=10)
        assert refused.value.code == 404
        assert get_json(f"{gateway.base}/readyz")["version"] == "store:default:1"
    assert "admin console off: the admin console needs LOGTO_CONNECTOR_ADMIN_TOKEN" in (
        gateway.stderr
    )
