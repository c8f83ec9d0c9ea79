"""Logto's published packages and Ajv as judges, run in node from tests/js (``npm ci``).

* Logto's ``connectorMetadataGuard`` accepts our metadata, raw and resolved.
* Logto's Tencent config guard and our validation on the mutated-config corpus
  (``tests/logto_corpus.py``): nothing that Logto refuses is accepted here, and every config
  only Logto accepts falls under an error decision the README lists.
* Ajv (draft 2020-12, what JavaScript consoles use) and jsonschema give one verdict on our
  config schema for the whole corpus and for whitespace at every edge of every text field.

One node process per corpus.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from connector.kit import ConnectorHost
from connector.tencent_sms import CONNECTOR_ID
from tests.logto_corpus import Case, agreement, cases, logto_verdicts, run_judge

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")

#: Each mutation class that Logto accepts and we refuse, and the README line that decides it.
DOCUMENTED_ERRORS: list[tuple[str, str]] = [
    (
        r"(accessKeyId|accessKeySecret) (empty|padded|with a line break|with a look-alike "
        r"letter|a placeholder)",
        "**Credentials that cannot sign**",
    ),
    (
        r"signName (empty|padded|with a line break|with U\+2028|a placeholder)",
        "**A sign that cannot be approved**",
    ),
    (r"(sdkAppId|region) .*", "**An app or region Tencent refuses**"),
    (r"Generic templateCode .*", "**A Generic template without a template ID**"),
    (r"(endpoint .*|caBundle empty)", "**An unsafe or unusable endpoint**"),
    (
        r"(connectTimeout|readTimeout|sendTimeout|phoneFormat) .*|a template with bad params",
        "**An optional key with a value it cannot have**",
    ),
    (r"international (not an object|null|without templates|with no Generic)", "**A broken"),
]


@pytest.fixture(scope="module")
def corpus() -> list[Case]:
    return cases()


@pytest.fixture(scope="module")
def judged(corpus: list[Case]) -> list[bool]:
    return logto_verdicts([c.config for c in corpus])


def test_our_metadata_passes_logtos_metadata_guard(host: ConnectorHost) -> None:
    raw = host.metadata(CONNECTOR_ID)
    resolved = host.metadata(CONNECTOR_ID, resolve=True)
    broken: dict[str, Any] = copy.deepcopy(dict(raw))
    broken["formItems"][0]["type"] = "Textarea"  # proves the guard is really asked
    verdicts = run_judge("metadata", [raw, resolved, broken])
    assert [v["success"] for v in verdicts] == [True, True, False], verdicts
    assert resolved["logo"].startswith("data:image/svg+xml;base64,")
    for field in ("name", "description"):
        assert {"en", "zh-CN", "tr-TR", "ko"} <= set(raw[field]), field  # Logto's languages


def test_the_corpus_has_the_size_and_the_classes_it_claims(corpus: list[Case]) -> None:
    assert len(corpus) == 300
    assert len({c.name for c in corpus}) > 100


def test_nothing_logto_refuses_is_accepted_here_and_every_other_refusal_is_documented(
    host: ConnectorHost, corpus: list[Case], judged: list[bool], capsys: pytest.CaptureFixture[str]
) -> None:
    ours = [host.config_problems(CONNECTOR_ID, c.config) == [] for c in corpus]
    cells, names = agreement(corpus, judged, ours)
    with capsys.disabled():
        print("\nLogto's Tencent guard vs ours, 300 mutated configs:", dict(cells))
    assert names["only we accept"] == []
    assert cells["both accept"] >= 60  # placeholders and repeats no longer block an admin
    undocumented = [
        name
        for name in names["only Logto accepts"]
        if not any(
            re.fullmatch(pattern, part)
            for part in name.split(" + ")
            for pattern, _ in DOCUMENTED_ERRORS
        )
    ]
    assert undocumented == []
    for _, line in DOCUMENTED_ERRORS:
        assert line in README, line


def test_what_logto_accepts_with_placeholders_is_accepted_here_with_warnings(
    host: ConnectorHost, corpus: list[Case], judged: list[bool]
) -> None:
    # The realistic migration: the form default with placeholders in unused types.
    for case, logto_accepts in zip(corpus, judged, strict=True):
        if case.name in ("base form-default", "a repeated usageType", "an unknown key"):
            assert logto_accepts, case.name
            report = host.check_config(CONNECTOR_ID, case.config)
            assert report.ok, (case.name, report.errors)


def _whitespace_cases() -> list[dict[str, Any]]:
    """Every character either language counts as whitespace (and a few that neither does),
    at the start, inside and at the end of every text field."""
    base = cases()[0].config
    chars = "\t\n\v\f\r \x1c\x1d\x1e\x1f\x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f"
    chars += "\u3000\ufeff\u200b\u180e"
    found = []
    for key in ("accessKeyId", "signName", "region", "sdkAppId"):
        for char in chars:
            for value in (char + "Acme", "Ac" + char + "me", "Acme" + char):
                config = copy.deepcopy(base)
                config[key] = value
                found.append(config)
    for char in chars:
        config = copy.deepcopy(base)
        config["endpoint"] = f"https://sms{char}.example.com"
        found.append(config)
    return found


def test_ajv_and_jsonschema_give_one_verdict_on_our_schema(
    host: ConnectorHost, corpus: list[Case]
) -> None:
    from jsonschema import Draft202012Validator

    schema = host.config_schema(CONNECTOR_ID)
    instances = [c.config for c in corpus] + _whitespace_cases()
    ajv = [v["success"] for v in run_judge("ajv", {"schema": schema, "instances": instances})]
    validator = Draft202012Validator(schema)
    ours = [validator.is_valid(i) for i in instances]
    differ = [json.dumps(i)[:160] for i, a, o in zip(instances, ajv, ours, strict=True) if a != o]
    assert differ == []
    assert 0 < sum(ours) < len(ours)  # both verdicts occur
