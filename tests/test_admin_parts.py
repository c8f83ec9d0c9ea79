"""The console's parts without a browser: secret keys, the guide sanitiser, phone masking."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.security import generate_password_hash

from connector.emulator import Emulator
from connector.kit import (
    MASK,
    ConnectorHost,
    keep_secrets,
    mask_secrets,
    secret_keys,
    without_secrets,
)
from connector.service.admin import (
    AdminCredential,
    AdminSettings,
    admin_blueprint,
    outbox_reader,
    render_guide,
)
from connector.store import open_store
from tests.admin_support import HOSTILE_README

TENCENT = "tencent-short-message-service"


def test_the_tencent_secret_is_the_one_secret(host: ConnectorHost) -> None:
    keys = secret_keys(host.metadata(TENCENT), host.config_schema(TENCENT))
    assert keys == {"accessKeySecret"}


def test_masking_and_keeping_secrets() -> None:
    keys = frozenset({"secret"})
    stored = {"id": "a", "secret": "s3cr3t"}
    assert mask_secrets(stored, keys) == {"id": "a", "secret": MASK}
    assert mask_secrets({"secret": ""}, keys) == {"secret": ""}  # nothing set: nothing to hide
    assert without_secrets(stored, keys) == {"id": "a"}
    # An empty or missing secret keeps the stored one; a new value replaces it.
    assert keep_secrets({"id": "b", "secret": ""}, stored, keys)["secret"] == "s3cr3t"
    assert keep_secrets({"id": "b"}, stored, keys)["secret"] == "s3cr3t"
    assert keep_secrets({"secret": "new"}, stored, keys)["secret"] == "new"
    assert "secret" not in keep_secrets({"id": "b"}, None, keys)


def test_guide_is_rendered_and_made_inert() -> None:
    html = render_guide(HOSTILE_README + "\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    assert "<h3>Hostile guide</h3>" in html  # under the page's own h2
    assert "<table>" in html
    tags = _tags(html)
    assert not {"script", "img", "iframe"} & {tag for tag, _ in tags}
    assert all(not name.startswith("on") for _, attrs in tags for name, _ in attrs)
    assert all(
        not (value or "").startswith("javascript") for _, attrs in tags for _, value in attrs
    )
    assert "&lt;script&gt;" in html  # shown as text
    link = render_guide("[Tencent](https://cloud.tencent.com/)")
    assert 'rel="noopener noreferrer nofollow"' in link


def test_credentials() -> None:
    by_hash = AdminCredential(password_hash=generate_password_hash("correct horse"))
    assert by_hash.check("correct horse") and not by_hash.check("correct hors")
    by_token = AdminCredential(token="t0ken")
    assert by_token.check("t0ken") and not by_token.check("t0ke")
    key, other_key = b"k" * 32, b"o" * 32
    assert by_token.derived_secret(key) != AdminCredential(token="other").derived_secret(key)
    # The session secret needs the store's key too: a leaked password hash forges nothing.
    assert by_hash.derived_secret(key) != by_hash.derived_secret(other_key)
    assert not AdminCredential(password_hash="nonsense$hash").check("x")  # no exception


def _tags(html: str) -> list[tuple[str, list[tuple[str, str | None]]]]:
    found: list[tuple[str, list[tuple[str, str | None]]]] = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found.append((tag, attrs))

    Collector().feed(html)
    return found


def test_cookies_are_secure_under_https(tmp_path: Path) -> None:
    app = Flask("https-console")
    settings = AdminSettings(credential=AdminCredential(token="t0ken"))
    app.register_blueprint(
        admin_blueprint(ConnectorHost(plugins=[]), open_store(tmp_path / "c.db"), settings)
    )
    client = app.test_client()
    base = "https://console.example"
    page = client.get("/admin/login", base_url=base)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token is not None
    answer = client.post(
        "/admin/login",
        base_url=base,
        data={"credential": "t0ken", "csrf_token": token.group(1)},
        headers={"Origin": base},
    )
    assert answer.status_code == 302
    cookies = answer.headers.getlist("Set-Cookie")
    session = [c for c in cookies if c.startswith("logto_admin_session=")]
    assert len(session) == 1
    for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Path=/admin"):
        assert flag in session[0]


def test_a_failing_store_gives_one_sentence(
    host: ConnectorHost, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(tmp_path / "configs.db")

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(store, "save", disk_full)
    app = Flask("broken-store-console")
    settings = AdminSettings(credential=AdminCredential(token="t0ken"))
    app.register_blueprint(admin_blueprint(host, store, settings))
    client = app.test_client()
    page = client.get("/admin/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert token is not None
    client.post("/admin/login", data={"credential": "t0ken", "csrf_token": token.group(1)})
    config = {
        "accessKeyId": "AKIDxxxxxxxx",
        "accessKeySecret": "a-secret-value",
        "signName": "Acme",
        "sdkAppId": "1400000000",
        "region": "ap-guangzhou",
        "templates": [
            {"usageType": t, "templateCode": "1234567"}
            for t in ("Register", "SignIn", "ForgotPassword", "Generic")
        ],
    }
    answer = client.post(
        f"/admin/api/connectors/{TENCENT}/save",
        json={"config": config},
        headers={"X-CSRF-Token": token.group(1)},
    )
    assert answer.status_code == 500
    body = answer.get_json()
    assert body == {"ok": False, "message": "the console failed (OSError); see the server log"}


def test_outbox_reader(emulator: Emulator, host: ConnectorHost) -> None:
    read = outbox_reader(emulator.url)
    assert read() == []
    host.send_message(
        TENCENT,
        emulator.connector_config(),
        to="+8613800138000",
        type="Generic",
        payload={"code": "123456"},
    )
    (message,) = read()
    assert message["phoneNumber"] == "+8613800138000" and message["templateId"]
    assert outbox_reader("http://127.0.0.1:9")() == []  # nothing listens: an empty panel
