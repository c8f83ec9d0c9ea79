"""Deadlines, safe retries and concurrency: the connector in a sign-in path, under faults.

A hung call keeps a user at the login page; a careless retry texts them two different codes.
Every scenario here runs against a real server on loopback (the emulator with an injected
fault, a port with nothing listening, a port whose backlog is full, or a server that trickles
its answer) and counts what reached the server and what was delivered.  Run with ``-s`` to
see the summary table that the last test prints.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

from connector.emulator import Account, Emulator, Sign, Template
from connector.kit import ConnectorError, ConnectorHost, ErrorCode, SendResult
from connector.tencent_sms import CONNECTOR_ID
from connector.tencent_sms import client as client_mod
from connector.tencent_sms.phone import normalize
from tests.conftest import required_templates

MAINLAND = "+8613800138000"
# Small timeouts keep the suite fast; the margin is what a send may outlive its deadline by.
FAST = {"connectTimeout": 0.2, "readTimeout": 0.3, "sendTimeout": 0.5}
MARGIN = 0.5
# Where a scenario counts retries rather than deadlines: room for three attempts and their
# random backoff on a busy machine.
RETRY_ROOM = {**FAST, "sendTimeout": 5}

#: Filled by the tests below and printed by ``test_zz_summary``.
SUMMARY: list[dict[str, Any]] = []
OVERSHOOTS: list[tuple[str, float]] = []


@pytest.fixture(autouse=True, scope="module")
def _warm_imports() -> None:
    # The first send imports phonenumbers and requests; that one-off cost is not a deadline.
    normalize(MAINLAND)
    assert client_mod.MAX_ATTEMPTS == 3


# -- servers that misbehave in ways the emulator cannot --------------------------------------


def free_port() -> int:
    """A loopback port with nothing listening on it (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@contextlib.contextmanager
def full_backlog() -> Iterator[int]:
    """A port that listens but never accepts, its backlog already full: connects hang."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port: int = server.getsockname()[1]
        fillers = []
        for _ in range(2):
            filler = socket.socket()
            filler.settimeout(0.1)
            with contextlib.suppress(OSError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        try:
            yield port
        finally:
            for filler in fillers:
                filler.close()


@dataclass
class Trickler:
    """A server that reads a request, then answers one byte every ``pause`` seconds, forever."""

    port: int = 0
    requests: int = 0
    stop: threading.Event = field(default_factory=threading.Event)


@contextlib.contextmanager
def serving(handle: Callable[[socket.socket, int], None], stop: threading.Event) -> Iterator[int]:
    """A loopback port whose connections (numbered from 1) each get ``handle`` in a thread of
    their own, until ``stop`` is set on the way out; yields the port."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.05)
    accepted = 0

    def accept_loop() -> None:
        nonlocal accepted
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:  # TimeoutError included: look at stop again
                continue
            accepted += 1
            threading.Thread(target=handle, args=(conn, accepted), daemon=True).start()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        server.close()


@contextlib.contextmanager
def trickle_server(part: str, pause: float = 0.05) -> Iterator[Trickler]:
    """``part="headers"``: the status line and headers never end; ``"body"``: headers arrive
    at once, then a body far longer than any deadline, byte by byte."""
    state = Trickler()

    def answer(conn: socket.socket, number: int) -> None:
        with conn:
            try:
                conn.recv(65536)
                state.requests += 1
                if part == "headers":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                else:
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        b"Content-Length: 100000\r\n\r\n"
                    )
                while not state.stop.wait(pause):
                    conn.sendall(b"a" if part == "headers" else b" ")
            except OSError:
                pass

    with serving(answer, state.stop) as state.port:
        yield state


# -- the scenarios ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """One way the server can behave, and what the send must then do."""

    name: str
    server: str = "emulator"  # or: nothing, backlog, trickle-headers, trickle-body
    faults: tuple[tuple[str, int, dict[str, Any]], ...] = ()
    timeouts: dict[str, float] = field(default_factory=lambda: dict(FAST))
    code: ErrorCode | None = None  # None: delivered
    delivery: str | None = None  # data["delivery"] of the error
    requests: int = 1  # requests that reached the server
    delivered: int = 0  # messages the emulator delivered (at most 1, ever)
    attempts: int = 1
    message: str = ""  # a phrase the error message contains


def _fault(kind: str, count: int = 1, **params: Any) -> tuple[str, int, dict[str, Any]]:
    return (kind, count, params)


SCENARIOS = [
    Scenario("healthy", delivered=1),
    Scenario(
        "nothing listening",
        server="nothing",
        timeouts=RETRY_ROOM,
        code=ErrorCode.GENERAL,
        delivery="not_sent",
        requests=0,
        attempts=3,
        message="could not reach Tencent",
    ),
    Scenario(
        "connect hangs (backlog full)",
        server="backlog",
        code=ErrorCode.GENERAL,
        delivery="not_sent",
        requests=0,
        attempts=-1,
        message="could not reach Tencent",
    ),
    Scenario(
        "RequestLimitExceeded twice, then ok",
        timeouts=RETRY_ROOM,
        faults=(_fault("error", 2, code="RequestLimitExceeded"),),
        requests=3,
        attempts=3,
        delivered=1,
    ),
    Scenario(
        "RequestLimitExceeded on every attempt",
        timeouts=RETRY_ROOM,
        faults=(_fault("error", 3, code="RequestLimitExceeded.UinLimitExceeded"),),
        code=ErrorCode.RATE_LIMIT_EXCEEDED,
        delivery="not_sent",
        requests=3,
        attempts=3,
    ),
    Scenario(
        "answer slower than readTimeout",
        faults=(_fault("delay", seconds=0.7),),
        code=ErrorCode.GENERAL,
        delivery="unknown",
        delivered=1,
        message="delivery is unknown",
    ),
    Scenario(
        "answer slower than sendTimeout (readTimeout longer)",
        faults=(_fault("delay", seconds=0.9),),
        timeouts={"connectTimeout": 0.2, "readTimeout": 5, "sendTimeout": 0.5},
        code=ErrorCode.GENERAL,
        delivery="unknown",
        delivered=1,
        message="delivery is unknown",
    ),
    Scenario(
        "headers trickle in forever",
        server="trickle-headers",
        code=ErrorCode.GENERAL,
        delivery="unknown",
        message="delivery is unknown",
    ),
    Scenario(
        "body trickles in forever",
        server="trickle-body",
        code=ErrorCode.GENERAL,
        delivery="unknown",
        message="delivery is unknown",
    ),
    Scenario(
        "HTTP 500",
        faults=(_fault("status", status=500),),
        code=ErrorCode.GENERAL,
        delivery="unknown",
        message="HTTP 500; delivery is unknown",
    ),
    Scenario(
        "HTTP 503",
        faults=(_fault("status", status=503),),
        code=ErrorCode.GENERAL,
        delivery="unknown",
        message="HTTP 503",
    ),
    Scenario(
        "HTTP 429 from a gateway",
        faults=(_fault("status", status=429),),
        code=ErrorCode.GENERAL,
        delivery="unknown",
        message="HTTP 429",
    ),
    Scenario(
        "connection dropped after the request",
        faults=(_fault("drop"),),
        code=ErrorCode.GENERAL,
        delivery="unknown",
        message="delivery is unknown",
    ),
    Scenario(
        "InternalError.Timeout",
        faults=(_fault("error", code="InternalError.Timeout"),),
        code=ErrorCode.GENERAL,
        delivery="unknown",
        message="delivery is unknown",
    ),
    Scenario(
        "InternalError",
        faults=(_fault("error", code="InternalError"),),
        code=ErrorCode.GENERAL,
        delivery="unknown",
        message="delivery is unknown",
    ),
    Scenario(
        "InternalError.SendAndRecvFail",
        faults=(_fault("error", code="InternalError.SendAndRecvFail"),),
        code=ErrorCode.GENERAL,
        delivery="unknown",
    ),
    Scenario(
        "malformed JSON",
        faults=(_fault("malformed"),),
        code=ErrorCode.INVALID_RESPONSE,
        delivery="unknown",
    ),
    Scenario(
        "not JSON at all",
        faults=(_fault("malformed", body="<html>gateway</html>"),),
        code=ErrorCode.INVALID_RESPONSE,
        delivery="unknown",
    ),
    Scenario(
        "JSON without SendStatusSet",
        faults=(_fault("wrong_shape"),),
        code=ErrorCode.INVALID_RESPONSE,
        delivery="unknown",
    ),
    Scenario(
        "JSON array",
        faults=(_fault("wrong_shape", body=[1, 2]),),
        code=ErrorCode.INVALID_RESPONSE,
        delivery="unknown",
    ),
    Scenario(
        "Response is a string",
        faults=(_fault("wrong_shape", body={"Response": "ok"}),),
        code=ErrorCode.INVALID_RESPONSE,
        delivery="unknown",
    ),
    Scenario(
        "SendStatusSet of strings",
        faults=(_fault("wrong_shape", body={"Response": {"SendStatusSet": ["Ok"]}}),),
        code=ErrorCode.INVALID_RESPONSE,
        delivery="unknown",
    ),
    Scenario(
        "per-number limit (not retried)",
        faults=(_fault("error", code="LimitExceeded.PhoneNumberThirtySecondLimit"),),
        code=ErrorCode.RATE_LIMIT_EXCEEDED,
        delivery="not_sent",
    ),
    Scenario(
        "signature refused (not retried)",
        faults=(_fault("error", code="AuthFailure.SignatureFailure"),),
        code=ErrorCode.INVALID_CONFIG,
        delivery="not_sent",
    ),
]


def timed_send(
    host: ConnectorHost, config: dict[str, Any], to: str = MAINLAND, code: str = "123456"
) -> tuple[SendResult | ConnectorError, float]:
    """Send once; return the result or the ConnectorError, and the seconds it took."""
    started = time.monotonic()
    try:
        outcome: SendResult | ConnectorError = host.send_message(
            CONNECTOR_ID, config, to=to, type="SignIn", payload={"code": code}
        )
    except ConnectorError as exc:
        outcome = exc
    return outcome, time.monotonic() - started


def wait_for(check: Callable[[], bool], seconds: float = 3.0) -> bool:
    """Poll ``check`` until it is true or ``seconds`` pass."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if check():
            return True
        time.sleep(0.02)
    return check()


@contextlib.contextmanager
def server_for(scenario: Scenario, emulator: Emulator) -> Iterator[tuple[str, Callable[[], int]]]:
    """The endpoint the scenario sends to, and how to count the requests that reached it."""
    if scenario.server == "emulator":
        for kind, count, params in scenario.faults:
            emulator.inject(kind, count, **params)
        yield emulator.url, lambda: emulator.stats()["requests"]
    elif scenario.server == "nothing":
        yield f"http://127.0.0.1:{free_port()}", lambda: 0
    elif scenario.server == "backlog":
        with full_backlog() as port:
            yield f"http://127.0.0.1:{port}", lambda: 0
    else:
        with trickle_server(scenario.server.removeprefix("trickle-")) as trickler:
            yield f"http://127.0.0.1:{trickler.port}", lambda: trickler.requests


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_fault_scenario(scenario: Scenario, host: ConnectorHost, emulator: Emulator) -> None:
    config = emulator.connector_config(**scenario.timeouts)
    with server_for(scenario, emulator) as (endpoint, count_requests):
        config["endpoint"] = endpoint
        outcome, elapsed = timed_send(host, config)
        requests_seen = count_requests()

    # Whatever the server did, the send kept to its deadline.
    overshoot = elapsed - config["sendTimeout"]
    OVERSHOOTS.append((scenario.name, overshoot))
    assert overshoot < MARGIN, f"{scenario.name}: took {elapsed:.3f} s"

    if scenario.code is None:
        assert isinstance(outcome, SendResult), outcome
        attempts = outcome.attempts
    else:
        assert isinstance(outcome, ConnectorError), outcome
        assert outcome.code is scenario.code, outcome
        assert outcome.data["delivery"] == scenario.delivery
        assert scenario.message in outcome.message
        attempts = outcome.data.get("attempts", 0)
    if scenario.attempts > 0:
        assert attempts == scenario.attempts
    else:  # a hung connect: as many attempts as fit the deadline, never more than 3
        assert 1 <= attempts <= client_mod.MAX_ATTEMPTS
    assert requests_seen == scenario.requests

    # A delayed answer is delivered after the client gave up: wait for it, then make sure
    # nothing arrives twice.
    if scenario.delivered:
        assert wait_for(lambda: len(emulator.outbox()) >= scenario.delivered)
    time.sleep(0.05)
    outbox = [m for m in emulator.outbox() if m["phoneNumber"] == MAINLAND]
    assert len(outbox) == scenario.delivered
    SUMMARY.append(
        {
            "scenario": scenario.name,
            "outcome": "delivered" if scenario.code is None else scenario.code.value,
            "delivery": scenario.delivery or "sent",
            "attempts": attempts,
            "requests": requests_seen,
            "delivered": len(outbox),
            "duplicates": max(0, len(outbox) - 1),
            "elapsed": elapsed,
        }
    )


# -- retries: each attempt signed afresh ---------------------------------------------------


def test_each_retry_is_signed_afresh_and_delivered_once(
    host: ConnectorHost, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The client's clock moves 7 s per reading, so every attempt has its own X-TC-Timestamp
    # (the emulator accepts any within 300 s); a reused signature would keep the first one.
    ticks = iter(range(0, 1000, 7))
    fake_time = types.SimpleNamespace(
        time=lambda: time.time() + next(ticks), monotonic=time.monotonic, sleep=time.sleep
    )
    monkeypatch.setattr(client_mod, "time", fake_time)
    sent: list[tuple[dict[str, str], bytes]] = []
    real_send = requests.Session.send

    def recording_send(
        self: requests.Session, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        assert isinstance(request.body, bytes)
        sent.append((dict(request.headers), request.body))
        return real_send(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", recording_send)
    emulator.inject("error", 2, code="RequestLimitExceeded")
    result = host.send_message(
        CONNECTOR_ID,
        emulator.connector_config(**RETRY_ROOM),
        to=MAINLAND,
        type="SignIn",
        payload={"code": "123456"},
    )
    monkeypatch.undo()

    assert result.attempts == 3
    assert emulator.stats() == {"requests": 3, "delivered": 1}
    assert len(emulator.outbox()) == 1
    assert len(sent) == 3
    assert len({headers["X-TC-Timestamp"] for headers, _ in sent}) == 3
    assert len({headers["Authorization"] for headers, _ in sent}) == 3
    # The emulator checked only the last attempt (the first two met the injected fault):
    # replay all three to a second emulator, which verifies each signature as Tencent would.
    with Emulator(limits=None) as verifier:
        for headers, body in sent:
            reply = requests.post(verifier.url, data=body, headers=headers, timeout=5)
            answer = reply.json()["Response"]
            assert "Error" not in answer, answer
        assert verifier.stats()["delivered"] == 3


# -- concurrency -----------------------------------------------------------------------------

OTHER_ACCOUNT = Account(
    secret_id="AKIDsecondaccount00000000000000000other",
    secret_key="second-account-secret-key-1111111111",
    sdk_app_ids=("1400000777",),
    signs=(Sign("Second"),),
    templates=(Template("300001", "Second account code {1}."),),
)


def other_config(emulator: Emulator) -> dict[str, Any]:
    return {
        "accessKeyId": OTHER_ACCOUNT.secret_id,
        "accessKeySecret": OTHER_ACCOUNT.secret_key,
        "signName": "Second",
        "sdkAppId": "1400000777",
        "region": "ap-guangzhou",
        "templates": required_templates("300001"),
        "endpoint": emulator.url,
        **FAST,
        "sendTimeout": 5,
    }


def run_together(jobs: list[Callable[[], Any]]) -> list[Any]:
    """Run every job on its own thread, all released at once; return results or exceptions."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = jobs[index]()
        except Exception as exc:
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def number(i: int) -> str:
    return f"+861380013{8000 + i:04d}"


def test_sixteen_threads_share_one_host(host: ConnectorHost) -> None:
    with Emulator(limits=None) as emulator:
        config = emulator.connector_config(sendTimeout=5, readTimeout=3)

        def job(i: int) -> Callable[[], SendResult]:
            return lambda: host.send_message(
                CONNECTOR_ID, config, to=number(i), type="SignIn", payload={"code": f"{700000 + i}"}
            )

        results = run_together([job(i) for i in range(16)])
        errors = [r for r in results if not isinstance(r, SendResult)]
        assert errors == []
        assert [r.to for r in results] == [number(i) for i in range(16)]
        # Each number got exactly its own code, once.
        delivered = sorted((m["phoneNumber"], m["params"][0]) for m in emulator.outbox())
        assert delivered == [(number(i), f"{700000 + i}") for i in range(16)]
        assert emulator.stats() == {"requests": 16, "delivered": 16}


def test_configs_in_flight_together_each_sign_with_their_own_secret(
    host: ConnectorHost,
) -> None:
    with Emulator(limits=None, accounts=[OTHER_ACCOUNT]) as emulator:
        timeouts = {**FAST, "sendTimeout": 5}
        demo = emulator.connector_config(**timeouts)
        wrong = emulator.connector_config(
            **timeouts, accessKeySecret="S3CRET-sentinel-wrong-secret"
        )
        other = other_config(emulator)
        plan = [("demo", demo), ("other", other), ("wrong", wrong)] * 8  # 24 sends at once

        def job(i: int, cfg: dict[str, Any]) -> Callable[[], SendResult]:
            return lambda: host.send_message(
                CONNECTOR_ID, cfg, to=number(i), type="SignIn", payload={"code": f"{500000 + i}"}
            )

        results = run_together([job(i, cfg) for i, (_, cfg) in enumerate(plan)])
        by_number = {m["phoneNumber"]: m for m in emulator.outbox()}
        for i, ((name, _), result) in enumerate(zip(plan, results, strict=True)):
            if name == "wrong":
                assert isinstance(result, ConnectorError), result
                assert result.data["tencentCode"] == "AuthFailure.SignatureFailure"
                assert number(i) not in by_number
            else:
                assert isinstance(result, SendResult), result
                message = by_number[number(i)]
                assert message["params"] == [f"{500000 + i}"]
                assert message["sign"] == ("Emulator" if name == "demo" else "Second")
        assert len(by_number) == 16 == emulator.stats()["delivered"]
        assert emulator.stats()["requests"] == 24


def test_concurrent_sends_through_a_failing_server_never_outlive_the_deadline(
    host: ConnectorHost, emulator: Emulator
) -> None:
    with trickle_server("headers") as trickler:
        config = emulator.connector_config(endpoint=f"http://127.0.0.1:{trickler.port}", **FAST)
        started = time.monotonic()

        def job(i: int) -> Callable[[], Any]:
            return lambda: timed_send(host, config, to=number(i))[0]

        results = run_together([job(i) for i in range(16)])
        elapsed = time.monotonic() - started
    assert all(
        isinstance(r, ConnectorError) and r.data["delivery"] == "unknown" for r in results
    ), results
    OVERSHOOTS.append(("16 concurrent sends, headers trickle", elapsed - FAST["sendTimeout"]))
    assert elapsed - FAST["sendTimeout"] < MARGIN
    assert trickler.requests == 16


# -- TLS handshakes that never complete -----------------------------------------------------


@dataclass
class TlsFront:
    """A TCP port before a TLS emulator: the first ``spoil`` connections fail their handshake
    (``silent``: never answer; ``reset``: RST after the ClientHello; ``close``: a plain close
    after it), every later one is forwarded to the emulator."""

    port: int = 0
    connections: int = 0
    stop: threading.Event = field(default_factory=threading.Event)


def _pipe(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


@contextlib.contextmanager
def tls_front(target: int, how: str, spoil: int) -> Iterator[TlsFront]:
    state = TlsFront()
    held: list[socket.socket] = []

    def serve(conn: socket.socket, number: int) -> None:
        state.connections = max(state.connections, number)
        if number > spoil:
            with conn, socket.create_connection(("127.0.0.1", target)) as upstream:
                back = threading.Thread(target=_pipe, args=(upstream, conn), daemon=True)
                back.start()
                _pipe(conn, upstream)
                back.join(5)
            return
        with contextlib.suppress(OSError):
            conn.recv(65536)  # the ClientHello
        if how == "silent":
            held.append(conn)  # open, and never a word back
            return
        if how == "reset":
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    try:
        with serving(serve, state.stop) as state.port:
            yield state
    finally:
        for conn in held:
            conn.close()


@pytest.fixture(scope="module")
def tls_emulator() -> Iterator[Emulator]:
    with Emulator(tls=True, limits=None) as emulator:
        yield emulator


HANDSHAKE_FAILURES = ["silent", "reset", "close"]


@pytest.mark.parametrize("how", HANDSHAKE_FAILURES)
def test_a_failed_tls_handshake_is_retried_and_delivered_once(
    how: str, host: ConnectorHost, tls_emulator: Emulator
) -> None:
    # Nothing of the request can have left before the handshake completed: safe to retry.
    with tls_front(tls_emulator.port, how, spoil=1) as front:
        config = tls_emulator.connector_config(endpoint=f"https://127.0.0.1:{front.port}")
        config.update(RETRY_ROOM)
        to = number(700 + HANDSHAKE_FAILURES.index(how))
        result, _ = timed_send(host, config, to=to)
    assert isinstance(result, SendResult), result
    assert result.attempts == 2
    assert front.connections == 2
    assert [m["phoneNumber"] for m in tls_emulator.outbox()].count(to) == 1


@pytest.mark.parametrize("how", HANDSHAKE_FAILURES)
def test_a_tls_handshake_that_always_fails_is_not_sent_without_a_ca_hint(
    how: str, host: ConnectorHost, tls_emulator: Emulator
) -> None:
    with tls_front(tls_emulator.port, how, spoil=99) as front:
        config = tls_emulator.connector_config(endpoint=f"https://127.0.0.1:{front.port}")
        config.update(RETRY_ROOM)
        result, elapsed = timed_send(host, config, to=number(710))
    assert isinstance(result, ConnectorError), result
    assert result.code is ErrorCode.GENERAL
    assert result.data["delivery"] == "not_sent"
    assert result.data["attempts"] == 3 == front.connections
    assert "caBundle" not in result.message and "CA" not in result.message
    assert elapsed < RETRY_ROOM["sendTimeout"] + MARGIN


def test_an_https_endpoint_that_speaks_plain_http_is_not_sent_without_a_ca_hint(
    host: ConnectorHost, emulator: Emulator
) -> None:
    config = emulator.connector_config(endpoint=emulator.url.replace("http://", "https://"))
    config.update(RETRY_ROOM)
    result, _ = timed_send(host, config, to=number(720))
    assert isinstance(result, ConnectorError), result
    assert result.data["delivery"] == "not_sent"
    assert result.data["attempts"] == 1  # a protocol mismatch does not heal on retry
    assert "TLS handshake" in result.message and "https server" in result.message
    assert "caBundle" not in result.message
    assert emulator.stats()["requests"] == 0


# -- the report ------------------------------------------------------------------------------


def test_zz_summary() -> None:
    """Print what the fault scenarios did (run with -s); no scenario delivered twice."""
    if not SUMMARY:
        pytest.skip("no fault scenario ran in this session")
    width = max(len(row["scenario"]) for row in SUMMARY)
    lines = [
        "",
        f"{'scenario':<{width}}  {'outcome':<26} {'delivery':<9} att req dlv dup  elapsed",
    ]
    for row in SUMMARY:
        lines.append(
            f"{row['scenario']:<{width}}  {row['outcome']:<26} {row['delivery']:<9} "
            f"{row['attempts']:>3} {row['requests']:>3} {row['delivered']:>3} "
            f"{row['duplicates']:>3}  {row['elapsed']:.3f} s"
        )
    duplicates = sum(row["duplicates"] for row in SUMMARY)
    worst_name, worst = max(OVERSHOOTS, key=lambda item: item[1])
    lines.append(
        f"{len(SUMMARY)} fault scenarios, {sum(r['requests'] for r in SUMMARY)} requests, "
        f"{duplicates} duplicate deliveries; worst deadline overshoot {worst * 1000:+.0f} ms "
        f"({worst_name})"
    )
    print("\n".join(lines))
    assert duplicates == 0
