"""Mutated Logto configs: the corpus on which Logto's own guard and ours are compared.

Each case is a config an admin could paste or Logto's console could save: three valid bases
(Logto's documented four-template config, Logto's nine-entry form default with placeholders
left in the types not used, nine real templates), each changed by one mutation, and then
pairs of mutations drawn with a fixed seed, up to :data:`SIZE` cases.  A case is named by its
mutation class, so a disagreement reads as a rule.

``python -m tests.logto_corpus`` prints the agreement table for the code on ``sys.path``
(Logto's guard runs in node, from tests/js).
"""

from __future__ import annotations

import copy
import json
import random
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connector.kit import TemplateType

JS = Path(__file__).resolve().parent / "js"
SIZE = 300
PLACEHOLDER = "<template-code>"
REQUIRED = ["Register", "SignIn", "ForgotPassword", "Generic"]
NINE = [t.value for t in TemplateType if t is not TemplateType.TEST]  # Logto's form order
CODES = {t: str(1234567 + i) for i, t in enumerate(NINE)}
TEXT_KEYS = ["accessKeyId", "accessKeySecret", "signName", "sdkAppId", "region"]

Config = dict[str, Any]
Mutation = Callable[[Config], None]


@dataclass(frozen=True)
class Case:
    """One config and the mutation classes that made it."""

    name: str
    config: Any


def bases() -> dict[str, Config]:
    """Valid configs as Logto users have them."""
    common: Config = {
        "accessKeyId": "AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA",
        "accessKeySecret": "Gu5t9xGARNpq86cd98joQYCN3Cozk1qA",
        "signName": "Acme",
        "sdkAppId": "1400006666",
        "region": "ap-guangzhou",
    }
    return {
        "logto-docs": {
            **common,
            "templates": [{"usageType": t, "templateCode": CODES[t]} for t in REQUIRED],
        },
        "form-default": {
            **common,
            "templates": [
                {"usageType": t, "templateCode": CODES[t] if t in REQUIRED else PLACEHOLDER}
                for t in NINE
            ],
        },
        "nine-real": {
            **common,
            "templates": [{"usageType": t, "templateCode": CODES[t]} for t in NINE],
        },
    }


def _set(key: str, value: Any) -> Mutation:
    def change(config: Config) -> None:
        config[key] = copy.deepcopy(value)

    return change


def _drop(key: str) -> Mutation:
    return lambda config: config.pop(key, None)


def _entry(usage: str, **changes: Any) -> Mutation:
    """Change (or, with a value of ``...``, remove) keys of the first entry of ``usage``."""

    def change(config: Config) -> None:
        for item in config.get("templates", []):
            if isinstance(item, dict) and item.get("usageType") == usage:
                for key, value in changes.items():
                    if value is Ellipsis:
                        item.pop(key, None)
                    else:
                        item[key] = value
                return

    return change


def _append(*items: Any) -> Mutation:
    return lambda config: config["templates"].extend(copy.deepcopy(list(items)))


def _without_type(usage: str) -> Mutation:
    def change(config: Config) -> None:
        config["templates"] = [t for t in config["templates"] if t.get("usageType") != usage]

    return change


def mutations() -> dict[str, Mutation]:
    """Every mutation class, by name."""
    found: dict[str, Mutation] = {}
    for key in TEXT_KEYS:
        found[f"{key} missing"] = _drop(key)
        found[f"{key} empty"] = _set(key, "")
        found[f"{key} padded"] = _set(key, " padded ")
        found[f"{key} a number"] = _set(key, 1400006666)
        found[f"{key} null"] = _set(key, None)
        found[f"{key} with a line break"] = _set(key, "two\nlines")
    for key in ("accessKeyId", "accessKeySecret", "signName"):
        found[f"{key} a placeholder"] = _set(key, "<" + key + ">")
    found["sdkAppId not digits"] = _set("sdkAppId", "<sdk-app-id>")
    found["region in upper case"] = _set("region", "AP-GUANGZHOU")
    found["region a placeholder"] = _set("region", "<region>")
    found["signName with U+2028"] = _set("signName", "Acme\u2028Inc")
    found["accessKeySecret with a look-alike letter"] = _set(
        "accessKeySecret", "Gu5t9xGARNpq86cd98joQYCN3Cozk1q\u0430"
    )
    found["templates missing"] = _drop("templates")
    found["templates empty"] = _set("templates", [])
    found["templates an object"] = _set("templates", {})
    for usage in REQUIRED:
        found[f"no {usage} template"] = _without_type(usage)
        found[f"{usage} templateCode a placeholder"] = _entry(usage, templateCode=PLACEHOLDER)
    for usage in ("SignIn", "Generic"):
        found[f"{usage} templateCode empty"] = _entry(usage, templateCode="")
        found[f"{usage} templateCode not digits"] = _entry(usage, templateCode="SMS_1234")
        found[f"{usage} templateCode a number"] = _entry(usage, templateCode=1234567)
        found[f"{usage} templateCode padded"] = _entry(usage, templateCode=" 1234567")
        found[f"{usage} templateCode missing"] = _entry(usage, templateCode=...)
    found["a usageType in lower case"] = _entry("SignIn", usageType="signin")
    found["a usageType a number"] = _entry("SignIn", usageType=1)
    found["an extra unknown usageType"] = _append({"usageType": "Login", "templateCode": "1"})
    found["an extra empty usageType"] = _append({"usageType": "", "templateCode": "1"})
    found["an extra Test template"] = _append({"usageType": "Test", "templateCode": "1"})
    found["a repeated usageType"] = _append({"usageType": "SignIn", "templateCode": "7654321"})
    found["a repeated placeholder"] = _append({"usageType": "BindMfa", "templateCode": PLACEHOLDER})
    found["an extra key in a template"] = _entry("SignIn", content="Your code is {1}")
    found["a template entry missing usageType"] = _entry("SignIn", usageType=...)
    found["a template entry null"] = _append(None)
    found["a template with params"] = _entry("SignIn", params=["code"])
    found["a template with bad params"] = _entry("SignIn", params="code")
    found["an unknown key"] = _set("fromName", "Acme")
    found["a typo of a known key"] = _set("signname", "Acme")
    found["a secret pasted as a key"] = _set("Gu5t9xGARNpq86cd98joQYCN3Cozk1qA", "accessKeySecret")
    found["international {} (an untouched form field)"] = _set("international", {})
    found["international with a Generic template"] = _set(
        "international", {"templates": [{"usageType": "Generic", "templateCode": "2234570"}]}
    )
    found["international without templates"] = _set("international", {"sdkAppId": "1400008888"})
    found["international with no Generic"] = _set(
        "international", {"templates": [{"usageType": "SignIn", "templateCode": "2234568"}]}
    )
    found["international not an object"] = _set("international", "yes")
    found["international null"] = _set("international", None)
    found["endpoint a regional host"] = _set(
        "endpoint", "https://sms.ap-guangzhou.tencentcloudapi.com"
    )
    found["endpoint plain http to a remote host"] = _set("endpoint", "http://sms.example.com")
    found["endpoint with a path"] = _set("endpoint", "https://sms.tencentcloudapi.com/v1")
    found["endpoint a number"] = _set("endpoint", 443)
    found["connectTimeout valid"] = _set("connectTimeout", 2)
    found["readTimeout zero"] = _set("readTimeout", 0)
    found["sendTimeout a string"] = _set("sendTimeout", "10")
    found["phoneFormat mainlandFirst"] = _set("phoneFormat", "mainlandFirst")
    found["phoneFormat unknown"] = _set("phoneFormat", "national")
    found["caBundle empty"] = _set("caBundle", "")
    return found


def cases(size: int = SIZE, seed: int = 9) -> list[Case]:
    """The corpus: every base, then every base with each mutation, then seeded pairs."""
    found = [Case(f"base {name}", copy.deepcopy(config)) for name, config in bases().items()]
    table = mutations()
    for name, change in table.items():
        for base in bases().values():
            found.append(Case(name, _apply(base, [change])))
            if len(found) >= size:
                return found
    rng = random.Random(seed)
    names, base_names = sorted(table), sorted(bases())
    while len(found) < size:
        first, second = rng.sample(names, 2)
        base = bases()[rng.choice(base_names)]
        found.append(Case(f"{first} + {second}", _apply(base, [table[first], table[second]])))
    return found


def _apply(base: Config, changes: list[Mutation]) -> Config:
    config = copy.deepcopy(base)
    for change in changes:
        change(config)
    return config


def run_judge(command: str, document: object) -> Any:
    """One node process answers a whole corpus: ``node tests/js/judge.mjs COMMAND``."""
    proc = subprocess.run(
        ["node", str(JS / "judge.mjs"), command],
        input=json.dumps(document),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"judge.mjs {command} failed: {proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout)


def logto_verdicts(configs: list[Any]) -> list[bool]:
    """Whether Logto's Tencent connector's config guard accepts each config."""
    answer = run_judge("tencent-config", configs)
    return [bool(item["success"]) for item in answer]


def agreement(
    corpus: list[Case], logto: list[bool], ours: list[bool]
) -> tuple[Counter[str], dict[str, list[str]]]:
    """The four cells of the table, and the case names in the two cells of disagreement."""
    cells: Counter[str] = Counter()
    names: dict[str, list[str]] = {"only Logto accepts": [], "only we accept": []}
    for case, theirs, mine in zip(corpus, logto, ours, strict=True):
        cell = {
            (True, True): "both accept",
            (False, False): "both refuse",
            (True, False): "only Logto accepts",
            (False, True): "only we accept",
        }[(theirs, mine)]
        cells[cell] += 1
        if cell in names:
            names[cell].append(case.name)
    return cells, names


def our_verdicts(configs: list[Any]) -> list[bool]:
    """Whether our host accepts each config (warnings allowed)."""
    from connector.kit import ConnectorHost
    from connector.tencent_sms import TencentSmsConnector

    host = ConnectorHost(plugins=[TencentSmsConnector()])
    return [host.config_problems("tencent-short-message-service", c) == [] for c in configs]


def _main() -> Iterator[str]:
    corpus = cases()
    configs = [c.config for c in corpus]
    cells, names = agreement(corpus, logto_verdicts(configs), our_verdicts(configs))
    yield f"{len(corpus)} cases"
    for cell in ("both accept", "both refuse", "only Logto accepts", "only we accept"):
        yield f"  {cell}: {cells[cell]}"
    for cell, found in names.items():
        classes = Counter(part for name in found for part in name.split(" + "))
        yield f"{cell}, by mutation class:"
        yield from (f"  {count:3} {name}" for name, count in sorted(classes.items()))


if __name__ == "__main__":
    for line in _main():
        print(line)
