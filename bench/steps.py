"""Section 1b: the connector's own work in one send, step by step, with no network.

Each step is timed in a hot loop (interleaved rounds), so these are lower bounds: inside a
real send loop the process waits for the server between sends and comes back to colder
caches, and the same code then costs several times more (section 1 shows the total).
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Mapping
from typing import Any

from ._plan import Plan
from ._rounds import Contender, compare
from ._sections import Judged, Results, Section
from ._signed import SignedHeaders
from ._table import Table, span
from .sends import CODE, CONNECTOR_ID, SAME_NUMBER, TYPE, request_body


def _new_numbers() -> Callable[[], str]:
    counter = itertools.count()
    return lambda: f"+86137{next(counter) % 100_000_000:08d}"


def run_steps(config: Mapping[str, Any], plan: Plan) -> dict[str, Any]:
    """Per-call cost of each step ``ConnectorHost.send_message`` takes before and after I/O."""
    from connector.kit import ConnectorHost, config_fingerprint
    from connector.tencent_sms import phone

    host = ConnectorHost()
    plugin: Any = next(iter(host._by_id[CONNECTOR_ID].pm.get_plugins()))
    host.validate_config(CONNECTOR_ID, config)
    with plugin._client_for(config):  # the client is cached from here on
        pass
    signed_headers = SignedHeaders(config)
    body = request_body(config, SAME_NUMBER)
    params = json.loads(body)
    payload = {"code": CODE}
    new_number = _new_numbers()
    answer = json.dumps(
        {"Response": {"SendStatusSet": [{"PhoneNumber": SAME_NUMBER, "Code": "Ok"}]}}
    ).encode()

    contenders = [
        Contender(
            "validate_config",
            "host.validate_config (cached: fingerprint + look-up)",
            lambda: host.validate_config(CONNECTOR_ID, config),
        ),
        Contender(
            "validate_request",
            "host.validate_request (jsonschema)",
            lambda: host.validate_request(SAME_NUMBER, TYPE, payload),
        ),
        Contender(
            "normalize_new",
            "phone.normalize, a new number",
            lambda: phone.normalize(new_number()),
        ),
        Contender(
            "client_for",
            "plugin._client_for (fingerprint again + look-up)",
            lambda: plugin._client_for(config),
        ),
        Contender(
            "signed_headers",
            "signed headers (the client's Signer + header dict)",
            lambda: signed_headers(body, int(time.time())),
        ),
        Contender(
            "body_json",
            "request body json.dumps + encode",
            lambda: json.dumps(params, ensure_ascii=False, separators=(",", ":")).encode(),
        ),
        Contender("answer_json", "answer json.loads", lambda: json.loads(answer)),
        Contender(
            "fingerprint",
            "  of which: config_fingerprint alone",
            lambda: config_fingerprint(config),
        ),
    ]
    measured = compare(
        contenders,
        rounds=plan.micro_rounds,
        round_seconds=plan.micro_round_seconds / 2,
        warmup_seconds=plan.warmup_seconds / 2,
        per_call=False,
    )
    steps = {}
    for c in contenders:
        summary = measured[c.key].summary()
        steps[c.key] = {
            "label": c.label,
            "us_per_call": 1e6 / summary["per_second"],  # the median round
            "best_us_per_call": 1e6 / max(summary["per_second_rounds"]),
            **summary,
        }
    counted = [key for key in steps if key != "fingerprint"]  # already inside two steps
    return {
        "steps": steps,
        "sum_us": sum(steps[key]["us_per_call"] for key in counted),
        "sum_best_us": sum(steps[key]["best_us_per_call"] for key in counted),
        "notes": [
            "hot-loop lower bounds; the phone-number step parses a number never seen before",
            "config_fingerprint is shown alone too; it runs inside validate_config and "
            "again inside _client_for, and is not added twice to the sum",
        ],
    }


def _rows(table: Table, steps: Results, judged: Mapping[str, Judged]) -> None:
    table.section(
        "1b. the connector's own work per send (hot loop, no network)",
        steps.get("other_processes_cpus"),
    )
    table.row("", "median round (best round)")
    for step in steps["steps"].values():
        rounds = step["per_second_rounds"]
        table.row(
            step["label"],
            f"{step['us_per_call']:7.1f} us  ({step['best_us_per_call']:.1f})",
            span(f"{1e6 / max(rounds):.1f}", f"{1e6 / min(rounds):.1f} us"),
        )
    table.row(
        "sum (the fingerprint counted within its two steps)",
        f"{steps['sum_us']:7.1f} us  ({steps['sum_best_us']:.1f})",
    )


SECTIONS = (
    Section(
        name="steps",
        order=15,
        needs_emulator=False,
        run=lambda plan, context: run_steps(context.config, plan),
        rows=_rows,
    ),
)
