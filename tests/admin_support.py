"""What the admin console tests share: an in-memory config store, a hostile connector and a
real loopback HTTP server for a Flask app.

``MemoryStore`` follows the config store's agreed interface; it stands in for the SQLite
store until that is on main.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from connector.kit import SendResult, hookimpl

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: Screenshots of the console's main states (ignored by git).
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's Chromium, headless, driven by Playwright (which cannot download one here)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page: Page, url: str, credential: str) -> None:
    """Open ``url`` (a console page): the console asks for its credential first, then the
    page opens."""
    page.goto(url)
    expect(page).to_have_url(re.compile(r"/admin/login$"))
    page.get_by_label("Admin token or password").fill(credential)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/admin/$"))
    page.goto(url)


class StaticConnector:
    """A test connector made of data: metadata, config schema and files; every send succeeds."""

    def __init__(
        self, metadata: dict[str, Any], schema: dict[str, Any], files: dict[str, bytes]
    ) -> None:
        self.metadata = metadata
        self.schema = schema
        self.files = files

    @hookimpl
    def connector_metadata(self) -> dict[str, Any]:
        return self.metadata

    @hookimpl
    def connector_config_schema(self) -> dict[str, Any]:
        return self.schema

    @hookimpl
    def connector_resource(self, path: str) -> bytes | None:
        return self.files.get(path)

    @hookimpl
    def send_message(
        self, to: str, type: str, payload: Mapping[str, Any], config: Mapping[str, Any]
    ) -> SendResult:
        return SendResult(connector_id=self.metadata["id"], to=to)


# -- a hostile connector: its text tries to run script in the console ---------------------------

ATTACK = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">'
HOSTILE_README = f"""# Hostile guide

{ATTACK}

[click me](javascript:window.__pwned=3)

<iframe src="https://example.invalid/"></iframe>
"""

HOSTILE_METADATA: dict[str, Any] = {
    "id": "hostile-sms",
    "target": "hostile",
    "platform": None,
    "name": {"en": f"Hostile {ATTACK}"},
    "description": {"en": f"Tries to run script: {ATTACK}"},
    "logo": "./logo.svg",
    "logoDark": None,
    "readme": "./README.md",
    "formItems": [
        {
            "key": "greeting",
            "label": "Greeting",
            "type": "Text",
            "required": True,
            "placeholder": '"><script>window.__pwned = 4</script>',
            "description": ATTACK,
        }
    ],
}

HOSTILE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["greeting"],
    "properties": {"greeting": {"type": "string", "title": "Greeting"}},
}


def hostile_connector() -> StaticConnector:
    """A connector whose every text is an attempt at script injection."""
    svg = b"<svg xmlns='http://www.w3.org/2000/svg'><script>window.__pwned=5</script></svg>"
    files = {"./logo.svg": svg, "./README.md": HOSTILE_README.encode()}
    return StaticConnector(HOSTILE_METADATA, HOSTILE_SCHEMA, files)


# -- a connector with every form item type --------------------------------------------------

EVERY_TYPE_METADATA: dict[str, Any] = {
    "id": "every-type-sms",
    "target": "every-type",
    "platform": None,
    "name": {"en": "Every form item type"},
    "description": {"en": "One field of each type a console renders."},
    "logo": "./logo.svg",
    "logoDark": None,
    "readme": "./README.md",
    "formItems": [
        {"key": "sender", "label": "Sender", "type": "Text", "required": True},
        {
            "key": "footer",
            "label": "Footer",
            "type": "MultilineText",
            "placeholder": "Text after the code",
        },
        {"key": "retries", "label": "Retries", "type": "Number", "defaultValue": 2},
        {"key": "sandbox", "label": "Sandbox", "type": "Switch", "defaultValue": True},
        {
            "key": "sandboxLabel",
            "label": "Sandbox label",
            "type": "Text",
            "showConditions": [{"targetKey": "sandbox", "expectValue": True}],
        },
        {
            "key": "channel",
            "label": "Channel",
            "type": "Select",
            "required": True,
            "selectItems": [{"value": "sms", "title": "SMS"}, {"value": "voice", "title": "Voice"}],
            "defaultValue": "sms",
        },
        {
            "key": "countries",
            "label": "Countries",
            "type": "MultiSelect",
            "selectItems": [
                {"value": "CN", "title": "China"},
                {"value": "US", "title": "United States"},
                {"value": "TR", "title": "Türkiye"},
            ],
        },
        {"key": "extra", "label": "Extra", "type": "Json", "defaultValue": {}},
    ],
}

EVERY_TYPE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["sender", "channel"],
    "properties": {
        "sender": {"type": "string", "minLength": 1, "title": "Sender"},
        "footer": {"type": "string"},
        "retries": {"type": "integer", "minimum": 0, "maximum": 5},
        "sandbox": {"type": "boolean"},
        "sandboxLabel": {"type": "string"},
        "channel": {"enum": ["sms", "voice"]},
        "countries": {"type": "array", "items": {"enum": ["CN", "US", "TR"]}},
        "extra": {"type": "object"},
    },
}


def every_type_connector() -> StaticConnector:
    """A connector whose form has one item of each type (and one shown on a condition)."""
    files = {"./README.md": b"# Every type\n\nNothing to set up.\n"}
    return StaticConnector(EVERY_TYPE_METADATA, EVERY_TYPE_SCHEMA, files)
