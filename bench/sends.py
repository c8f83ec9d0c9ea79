"""Sections 1 and 5: one send, single thread, and sends from several threads.

Section 1 sends through (a) the connector's host, (b) a bare requests session, (c) Tencent's
official SDK, (d) http.client and (e) urllib3, then through (a) with one layer removed at a
time, which shows where the connector's own time goes.

Every contender talks to the same emulator process over loopback and keeps its connection
alive.  The emulator checks every signature, so each request is really signed: the raw
clients reuse bytes signed once at the start of the section (the emulator accepts a signature
for 300 s), the connector and the SDK sign every request as they always do.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

from ._plan import Plan
from ._rounds import Contender, compare, ratio_per_round, spread
from ._sections import Judged, Results, Section, judge, target_cells
from ._signed import SignedHeaders
from ._table import Table, rate, ratio, span

CONNECTOR_ID = "tencent-short-message-service"
SAME_NUMBER = "+8613800138000"
CODE = "123456"
TYPE = "SignIn"


def mainland_numbers(count: int, offset: int = 0) -> list[str]:
    """Distinct valid mainland mobiles, ``+86138`` followed by eight digits."""
    return [f"+86138{(offset + i) % 100_000_000:08d}" for i in range(count)]


def _cycling(values: list[str]) -> Callable[[], str]:
    position = -1

    def next_value() -> str:
        nonlocal position
        position = (position + 1) % len(values)
        return values[position]

    return next_value


def request_body(config: Mapping[str, Any], number: str) -> bytes:
    """The SendSms body the connector sends for ``number`` (same keys, same serialisation)."""
    template = next(t for t in config["templates"] if t["usageType"] == TYPE)
    params = {
        "PhoneNumberSet": [number],
        "SmsSdkAppId": config["sdkAppId"],
        "TemplateId": template["templateCode"],
        "TemplateParamSet": [CODE],
        "SignName": config["signName"],
    }
    return json.dumps(params, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def presigned(config: Mapping[str, Any]) -> tuple[bytes, dict[str, str]]:
    """One request body and its headers, signed now as the connector's client signs."""
    body = request_body(config, SAME_NUMBER)
    return body, SignedHeaders(config)(body, int(time.time()))


def _host_send(
    host: Any, config: Mapping[str, Any], next_number: Callable[[], str]
) -> Callable[[], object]:
    payload = {"code": CODE}

    def send() -> object:
        return host.send_message(CONNECTOR_ID, config, to=next_number(), type=TYPE, payload=payload)

    return send


def _requests_post(url: str, body: bytes, headers: Mapping[str, str]) -> Callable[[], object]:
    import requests

    session = requests.Session()
    # The leanest requests client: no per-request look-up of proxies and ~/.netrc (the
    # connector does the same), so this is a floor, not a straw man.
    session.trust_env = False
    target = url + "/"
    hdrs = dict(headers)

    def post() -> object:
        reply = session.post(target, data=body, headers=hdrs, timeout=(3.0, 5.0))
        if reply.status_code != 200:
            raise RuntimeError(f"HTTP {reply.status_code}")
        return reply.content

    return post


def _http_client_post(url: str, body: bytes, headers: Mapping[str, str]) -> Callable[[], object]:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    hdrs = dict(headers)

    def post() -> object:
        connection.request("POST", "/", body, hdrs)
        reply = connection.getresponse()
        data = reply.read()
        if reply.status != 200:
            raise RuntimeError(f"HTTP {reply.status}")
        return data

    return post


def _urllib3_post(url: str, body: bytes, headers: Mapping[str, str]) -> Callable[[], object]:
    import urllib3

    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    pool = urllib3.HTTPConnectionPool(
        parts.hostname,
        parts.port,
        maxsize=1,
        retries=False,
        timeout=urllib3.Timeout(connect=3.0, read=5.0),
    )
    hdrs = dict(headers)

    def post() -> object:
        reply = pool.urlopen("POST", "/", body=body, headers=hdrs, redirect=False)
        if reply.status != 200:
            raise RuntimeError(f"HTTP {reply.status}")
        return reply.data

    return post


def _sdk_send(config: Mapping[str, Any]) -> Callable[[], object]:
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.sms.v20210111 import models, sms_client

    netloc = urlsplit(config["endpoint"]).netloc
    profile = HttpProfile(protocol="http", endpoint=netloc, reqTimeout=5, keepAlive=True)
    client = sms_client.SmsClient(
        credential.Credential(config["accessKeyId"], config["accessKeySecret"]),
        config["region"],
        ClientProfile(httpProfile=profile),
    )
    template = next(t for t in config["templates"] if t["usageType"] == TYPE)["templateCode"]

    def send() -> object:
        # A request model per send, as an application using the SDK builds one.
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [SAME_NUMBER]
        request.SmsSdkAppId = config["sdkAppId"]
        request.SignName = config["signName"]
        request.TemplateId = template
        request.TemplateParamSet = [CODE]
        response = client.SendSms(request)
        if response.SendStatusSet[0].Code != "Ok":
            raise RuntimeError(response.SendStatusSet[0].Code)
        return response

    return send


def _layers(host: Any, config: Mapping[str, Any], url: str) -> list[Contender]:
    """(a) with one layer peeled off at a time, down to a requests post signed per call.

    The difference between two neighbours is what that layer costs inside a real send loop
    (where caches are colder than in a micro-benchmark of the same code).
    """
    import requests

    from connector.tencent_sms.client import SendSmsClient
    from connector.tencent_sms.settings import read_settings

    plugin = next(p for p in host._by_id[CONNECTOR_ID].pm.get_plugins())
    payload = {"code": CODE}
    body = request_body(config, SAME_NUMBER)
    params = json.loads(body)
    client = SendSmsClient(read_settings(config))
    signed_headers = SignedHeaders(config)
    session = requests.Session()
    session.trust_env = False
    target = url + "/"

    def plugin_send() -> object:
        return plugin.send_message(to=SAME_NUMBER, type=TYPE, payload=payload, config=config)

    def client_send() -> object:
        return client.send(params)

    def signed_post() -> object:
        headers = signed_headers(body, int(time.time()))
        return session.post(target, data=body, headers=headers, timeout=(3.0, 5.0)).content

    return [
        Contender("layer_plugin", "  plugin.send_message (no host checks)", plugin_send),
        Contender("layer_client", "  SendSmsClient.send (no plugin work)", client_send),
        Contender("layer_signed_post", "  requests post, signed per call", signed_post),
    ]


# (a) peeled layer by layer: what each step from one contender to the next leaves out.
LAYERS = (
    ("a", "a_same", "parse a new phone number"),
    ("a_same", "layer_plugin", "host: validate_config + validate_request"),
    ("layer_plugin", "layer_client", "plugin: number, template, client look-up, result"),
    ("layer_client", "layer_signed_post", "client: body JSON, deadline, answer parsing"),
    ("layer_signed_post", "b", "signing every request"),
)


def _layer_costs(measured: Mapping[str, Any]) -> list[dict[str, Any]]:
    costs = []
    for upper, lower, what in LAYERS:
        top, bottom = measured[upper], measured[lower]
        diffs = [(t - b) * 1e3 for t, b in zip(top.round_p50s, bottom.round_p50s, strict=True)]
        cpu = (
            top.counted["client_cpu"] / top.calls - bottom.counted["client_cpu"] / bottom.calls
        ) * 1e3
        costs.append(
            {
                "from": upper,
                "to": lower,
                "what": what,
                "p50_ms": spread(diffs),
                "client_cpu_ms": cpu,
            }
        )
    return costs


def run_send(emulator: Any, plan: Plan) -> dict[str, Any]:
    """Section 1: latency and sends per second of one send, single thread."""
    from connector.kit import ConnectorHost

    config = emulator.config
    host = ConnectorHost()
    body, headers = presigned(config)
    distinct = _cycling(mainland_numbers(10_000))
    contenders = [
        Contender("a", "(a) ConnectorHost.send_message", _host_send(host, config, distinct)),
        Contender(
            "b",
            "(b) requests.Session.post, pre-signed",
            _requests_post(emulator.url, body, headers),
        ),
        Contender("c", "(c) Tencent SDK SmsClient.SendSms", _sdk_send(config)),
        Contender(
            "d",
            "(d) http.client keep-alive, pre-signed",
            _http_client_post(emulator.url, body, headers),
        ),
        Contender(
            "e",
            "(e) urllib3 connection pool, pre-signed",
            _urllib3_post(emulator.url, body, headers),
        ),
        Contender(
            "a_same",
            "(a') as (a), one number (phone cache warm)",
            _host_send(host, config, lambda: SAME_NUMBER),
        ),
        *_layers(host, config, emulator.url),
    ]
    for contender in contenders:  # each must succeed before it is timed
        contender.call()
    before = emulator.stats()
    measured = compare(
        contenders,
        rounds=plan.send_rounds,
        round_seconds=plan.send_round_seconds,
        warmup_seconds=plan.warmup_seconds,
        per_call=True,
        counters={"client_cpu": time.process_time, "server_cpu": emulator.cpu_seconds},
    )
    after = emulator.stats()
    emulator.clear_outbox()
    requests_seen = after["requests"] - before["requests"]
    delivered = after["delivered"] - before["delivered"]
    p50 = {key: m.round_p50s for key, m in measured.items()}
    rates = {key: m.round_rates for key, m in measured.items()}
    return {
        "contenders": {
            c.key: {"key": c.key, "label": c.label.strip(), **measured[c.key].summary()}
            for c in contenders
        },
        "ratios": {
            "a_over_b_p50": ratio_per_round(p50["a"], p50["b"]),
            "a_same_over_b_p50": ratio_per_round(p50["a_same"], p50["b"]),
            "c_over_a_p50": ratio_per_round(p50["c"], p50["a"]),
            "a_over_c_sends_per_s": ratio_per_round(rates["a"], rates["c"]),
            "b_over_d_p50": ratio_per_round(p50["b"], p50["d"]),
            "b_over_e_p50": ratio_per_round(p50["b"], p50["e"]),
            "a_over_e_p50": ratio_per_round(p50["a"], p50["e"]),
        },
        "layer_costs": _layer_costs(measured),
        "emulator_requests": requests_seen,
        "emulator_delivered": delivered,
        "all_accepted": requests_seen == delivered,
        "notes": [
            "(a) sends to a new number each time, cycling through 10,000 (more than the "
            "4,096 the phone-number cache keeps), so every send parses its number",
            "(b) and (d) post bytes signed once by the connector's own client",
            "(c) builds a SendSmsRequest per send; client reused, keepAlive=True, http scheme",
            "(b) uses a requests.Session with trust_env=False, as the connector does",
            "(e) is the urllib3 pool requests itself sits on, called directly",
            "client_cpu / server_cpu: CPU time of this process / of the emulator process per "
            "call, over all rounds (the server's from /proc, in 10 ms ticks)",
        ],
    }


def run_threads(emulator: Any, plan: Plan) -> dict[str, Any]:
    """Section 5: sends per second with 1, 2, 4 and 8 threads sharing one host."""
    from connector.kit import ConnectorHost

    config = emulator.config
    host = ConnectorHost()
    counts = (1, 2, 4, 8)
    total = plan.thread_sends_per_round
    numbers = mainland_numbers(total, offset=50_000_000)
    payload = {"code": CODE}

    def burst(threads: int) -> float:
        per_thread = total // threads
        barrier = threading.Barrier(threads + 1)
        failures: list[BaseException] = []

        def worker(index: int) -> None:
            mine = numbers[index * per_thread : (index + 1) * per_thread]
            barrier.wait()
            try:
                for number in mine:
                    host.send_message(CONNECTOR_ID, config, to=number, type=TYPE, payload=payload)
            except BaseException as exc:
                failures.append(exc)

        workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
        for w in workers:
            w.start()
        barrier.wait()
        started = time.perf_counter()
        for w in workers:
            w.join()
        elapsed = time.perf_counter() - started
        if failures:
            raise failures[0]
        return per_thread * threads / elapsed

    for n in counts:  # warm-up: the connection pool grows to n connections
        burst(n)
    rates: dict[int, list[float]] = {n: [] for n in counts}
    for _ in range(plan.thread_rounds):
        for n in counts:
            rates[n].append(burst(n))
    emulator.clear_outbox()
    return {
        "sends_per_round": total,
        "threads": {str(n): spread(rates[n]) for n in counts},
        "ratio_8_over_1": ratio_per_round(rates[8], rates[1]),
    }


# -- the sections ----------------------------------------------------------------------------


def _send_targets(results: Results) -> list[Judged]:
    r = results["ratios"]["a_over_b_p50"]
    s = results["ratios"]["c_over_a_p50"]
    return [
        judge(
            "a_over_b",
            "(a)/(b) send latency",
            "<= 1.15",
            r["median"],
            "x",
            lambda v: v <= 1.15,
            r,
        ),
        judge(
            "c_over_a",
            "(c)/(a) SDK latency over ours",
            ">= 1.5",
            s["median"],
            "x",
            lambda v: v >= 1.5,
            s,
        ),
    ]


_SEND_RATIOS = (
    ("a_over_b_p50", "(a)/(b) p50 latency", "a_over_b"),
    ("a_same_over_b_p50", "(a')/(b) p50 latency", ""),
    ("c_over_a_p50", "(c)/(a) p50 latency", "c_over_a"),
    ("a_over_c_sends_per_s", "(a)/(c) sends per second", ""),
    ("b_over_e_p50", "(b)/(e) p50 latency (requests over urllib3)", ""),
    ("b_over_d_p50", "(b)/(d) p50 latency (requests over http.client)", ""),
)


def _send_rows(table: Table, send: Results, judged: Mapping[str, Judged]) -> None:
    table.section(
        "1. one send, single thread (emulator in its own process; keep-alive)",
        send.get("other_processes_cpus"),
    )
    table.row("", "  p50 /   p99 ms   sends/s  cpu ms: ours + emulator")
    for c in send["contenders"].values():
        rounds = c["per_second_rounds"]
        table.row(
            ("  " if c["key"].startswith("layer_") else "") + c["label"],
            f"{c['p50_ms']:5.2f} / {c['p99_ms']:5.2f}   {rate(c['per_second']):>8}  "
            f"{c['client_cpu_ms_per_call']:.2f} + {c['server_cpu_ms_per_call']:.2f}",
            span(rate(min(rounds)), rate(max(rounds))),
        )
    for key, label, target in _SEND_RATIOS:
        r = send["ratios"][key]
        table.row(
            label,
            ratio(r["median"]),
            span(ratio(r["min"]), ratio(r["max"])),
            *target_cells(judged, target),
        )
    table.row("where (a)'s extra time goes", "p50 added   client cpu added")
    for layer in send["layer_costs"]:
        d = layer["p50_ms"]
        table.row(
            f"  {layer['what']}",
            f"{d['median']:+.3f} ms   {layer['client_cpu_ms']:+.3f} ms",
            f"{d['min']:+.3f} – {d['max']:+.3f} ms",
        )
    table.row(
        "emulator accepted every send",
        f"{send['emulator_delivered']:,} of {send['emulator_requests']:,}",
    )


def _threads_targets(results: Results) -> list[Judged]:
    r = results["ratio_8_over_1"]
    return [
        judge(
            "8_over_1",
            "8 threads over 1 thread, sends per second",
            "> 1",
            r["median"],
            "x",
            lambda v: v > 1.0,
            r,
        )
    ]


def _threads_rows(table: Table, threads: Results, judged: Mapping[str, Judged]) -> None:
    table.section(
        f"5. threads sharing one host ({threads['sends_per_round']} sends a round)",
        threads.get("other_processes_cpus"),
    )
    for n, s in threads["threads"].items():
        table.row(
            f"{n} thread{'s' if n != '1' else ''}",
            rate(s["median"]),
            span(rate(s["min"]), rate(s["max"])),
        )
    r = threads["ratio_8_over_1"]
    table.row(
        "8 threads / 1 thread",
        ratio(r["median"]),
        span(ratio(r["min"]), ratio(r["max"])),
        *target_cells(judged, "8_over_1"),
    )


SECTIONS = (
    Section(
        name="send",
        order=10,
        needs_emulator=True,
        run=lambda plan, context: run_send(context.emulator, plan),
        rows=_send_rows,
        targets=_send_targets,
    ),
    Section(
        name="threads",
        order=50,
        needs_emulator=True,
        run=lambda plan, context: run_threads(context.emulator, plan),
        rows=_threads_rows,
        targets=_threads_targets,
    ),
)
