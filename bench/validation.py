"""Section 2: config validation per second, cached and cold, against plain jsonschema.

The host remembers a config it has validated (by a digest of its JSON), so validating the
same stored config again is a digest and a dictionary look-up.  The cold path — a config the
host has not seen — is measured too, with a new config on every call.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from typing import Any

from ._plan import Plan
from ._rounds import Contender, compare_micro, ratio_per_round
from ._sections import Judged, Results, Section, judge, target_cells
from ._table import Table, rate, ratio, span
from .sends import CONNECTOR_ID


def _distinct_configs(base: Mapping[str, Any]) -> Callable[[], dict[str, Any]]:
    counter = itertools.count()

    def make() -> dict[str, Any]:
        # A shallow copy with a new key id: a new digest, so a cache miss every time.
        return {**base, "accessKeyId": f"AKIDbench{next(counter):012d}"}

    return make


def run_validation(config: Mapping[str, Any], plan: Plan) -> dict[str, Any]:
    """Validation of the nine-template config (plus its four international templates)."""
    import jsonschema

    from connector.kit import ConnectorHost

    host = ConnectorHost()
    schema = host.config_schema(CONNECTOR_ID)
    compiled = jsonschema.Draft202012Validator(schema)
    fresh = _distinct_configs(config)
    host.validate_config(CONNECTOR_ID, config)
    jsonschema.validate(config, schema)

    contenders = [
        Contender(
            "host_cached",
            "host.validate_config (same config)",
            lambda: host.validate_config(CONNECTOR_ID, config),
        ),
        Contender(
            "host_cold",
            "host.validate_config (new config each call)",
            lambda: host.validate_config(CONNECTOR_ID, fresh()),
        ),
        Contender(
            "jsonschema_validate",
            "jsonschema.validate(config, schema)",
            lambda: jsonschema.validate(config, schema),
        ),
        Contender(
            "jsonschema_compiled",
            "Draft202012Validator(schema).validate, reused",
            lambda: compiled.validate(config),
        ),
    ]
    measured = compare_micro(contenders, plan)
    rates = {key: m.round_rates for key, m in measured.items()}
    return {
        "config": {
            "templates": len(config["templates"]),
            "international_templates": len(config.get("international", {}).get("templates", [])),
        },
        "contenders": {c.key: {"label": c.label, **measured[c.key].summary()} for c in contenders},
        "ratios": {
            "cached_over_jsonschema_validate": ratio_per_round(
                rates["host_cached"], rates["jsonschema_validate"]
            ),
            "cold_over_jsonschema_validate": ratio_per_round(
                rates["host_cold"], rates["jsonschema_validate"]
            ),
            "cold_over_compiled": ratio_per_round(rates["host_cold"], rates["jsonschema_compiled"]),
        },
        "notes": [
            "cold: each call validates a config the host has not seen (a shallow copy with a "
            "new accessKeyId, made inside the timed call)",
            "jsonschema.validate checks the schema itself and builds a validator on every call",
        ],
    }


def _targets(results: Results) -> list[Judged]:
    c = results["contenders"]["host_cached"]
    rounds = c["per_second_rounds"]
    return [
        judge(
            "per_second",
            "validate_config per second (nine templates)",
            ">= 20,000/s",
            c["per_second"],
            "/s",
            lambda v: v >= 20_000,
            {"min": min(rounds), "max": max(rounds)},
        )
    ]


def _rows(table: Table, validation: Results, judged: Mapping[str, Judged]) -> None:
    table.section(
        "2. config validation (nine templates + four international)",
        validation.get("other_processes_cpus"),
    )
    for key, c in validation["contenders"].items():
        rounds = c["per_second_rounds"]
        table.row(
            c["label"],
            rate(c["per_second"]),
            span(rate(min(rounds)), rate(max(rounds))),
            *target_cells(judged, "per_second" if key == "host_cached" else ""),
        )
    r = validation["ratios"]["cold_over_compiled"]
    table.row(
        "cold host path / reused jsonschema validator",
        ratio(r["median"]),
        span(ratio(r["min"]), ratio(r["max"])),
    )


SECTIONS = (
    Section(
        name="validation",
        order=20,
        needs_emulator=False,
        run=lambda plan, context: run_validation(context.config, plan),
        rows=_rows,
        targets=_targets,
    ),
)
