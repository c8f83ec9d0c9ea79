"""Shared fixtures: configs, hosts, and a real Tencent SMS emulator on loopback."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import settings

from connector.emulator import Emulator
from connector.kit import ConnectorHost, TemplateType
from connector.tencent_sms import TencentSmsConnector

# Speed is measured by the benchmarks, never by a test: on a shared machine a slow first example
# (a cold import, a busy core) must not fail a property.
settings.register_profile("project", deadline=None)
settings.load_profile("project")

LOGTO_CONFIG: dict[str, Any] = {
    "accessKeyId": "AKIDxxxxxxxx",
    "accessKeySecret": "xxxxxxxx",
    "signName": "Acme",
    "sdkAppId": "1400000000",
    "region": "ap-guangzhou",
    "templates": [
        {"usageType": "Register", "templateCode": "1234567"},
        {"usageType": "SignIn", "templateCode": "1234568"},
        {"usageType": "ForgotPassword", "templateCode": "1234569"},
        {"usageType": "Generic", "templateCode": "1234570"},
    ],
}
REQUIRED_TYPES = ("Register", "SignIn", "ForgotPassword", "Generic")


def required_templates(template_code: str) -> list[dict[str, str]]:
    """The four template types a config must have, all served by one template."""
    return [{"usageType": t, "templateCode": template_code} for t in REQUIRED_TYPES]


NINE_TYPES = [t.value for t in TemplateType if t is not TemplateType.TEST]


@pytest.fixture
def logto_config() -> dict[str, Any]:
    """The four-template config of Logto's documentation, unchanged."""
    return copy.deepcopy(LOGTO_CONFIG)


@pytest.fixture
def nine_config() -> dict[str, Any]:
    """A config with a template for each of the nine template types."""
    config = copy.deepcopy(LOGTO_CONFIG)
    config["templates"] = [
        {"usageType": t, "templateCode": str(1000 + i)} for i, t in enumerate(NINE_TYPES)
    ]
    return config


@pytest.fixture
def tencent() -> Iterator[TencentSmsConnector]:
    """A fresh Tencent connector (its own client cache), closed after the test."""
    plugin = TencentSmsConnector()
    yield plugin
    plugin.close()


@pytest.fixture
def host(tencent: TencentSmsConnector) -> ConnectorHost:
    """A host with the Tencent connector registered explicitly."""
    return ConnectorHost(plugins=[tencent])


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A Tencent SMS emulator on a free loopback port, with the demo account."""
    with Emulator() as emu:
        yield emu
