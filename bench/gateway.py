"""Section 7, the gateway and our connector beside Logto's own (``python -m bench --only
gateway``, or alone: ``python -m bench.gateway [--quick]``).

1. Logto's real HTTP SMS connector → ``logto-connector serve`` → emulator, against Logto's real
   Tencent connector → emulator, both driven from one node process with the same loop,
   interleaved in rounds (target: p50 ratio ≤ 1.5).
2. The gateway's sustained sends per second with 1, 2 and 4 workers, and RSS per worker.
3. Our connector in-process (``ConnectorHost.send_message``) against Logto's Tencent
   connector, both warmed up, interleaved (targets: our p50 ≤ Logto's, our p99 ≤ half of it).

Every send goes to the emulator over TLS on loopback: Logto's Tencent connector dials
``sms.tencentcloudapi.com``, which ``tests/js/tencent-loopback.cjs`` (a ``--require`` preload)
points at the emulator, trusting its CA through ``NODE_EXTRA_CA_CERTS``.
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from ._emulator import EmulatorProcess
from ._rounds import percentile, ratio_per_round
from ._sections import Judged, Results, Section, judge, run_alone, target_cells
from ._table import Table, ms, rate, ratio, span

ROOT = Path(__file__).resolve().parents[1]
JS = ROOT / "tests" / "js"
TO = "+8613800138000"
_START_TIMEOUT = 30.0


@dataclass(frozen=True)
class GatewayPlan:
    """How much this section runs (node needs thousands of sends to warm up)."""

    name: str
    warmup: int  # sends per path before the rounds
    rounds: int
    per_round: int
    load_seconds: float
    load_clients: int = 32


FULL = GatewayPlan("full", warmup=3000, rounds=10, per_round=300, load_seconds=8.0)
QUICK = GatewayPlan("quick", warmup=300, rounds=3, per_round=100, load_seconds=2.0)
HOP, LOGTO, OURS = "logto-http-sms->gateway", "logto-tencent", "ours-in-process"


def _progress(message: str) -> None:
    print(f"[bench.gateway] {message}", file=sys.stderr, flush=True)


class GatewayProcess:
    """``logto-connector serve`` on a free loopback port, with a token made for the run
    (``extra``: more serve flags, e.g. ``--guards FILE``)."""

    def __init__(
        self, config_path: Path, workers: int, threads: int = 8, extra: Sequence[str] = ()
    ) -> None:
        self.token = secrets.token_urlsafe(24)
        self._log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __exit__
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "connector.cli", "serve", "--config", str(config_path)),
                *("--port", "0", "--workers", str(workers), "--threads", str(threads)),
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=self._log,
            env={**os.environ, "LOGTO_CONNECTOR_TOKEN": self.token},
        )
        self.url = self._wait_for_endpoint()

    def _wait_for_endpoint(self) -> str:
        found: list[str] = []

        def read() -> None:
            assert self.process.stdout is not None
            for raw in self.process.stdout:
                line = raw.decode("utf-8", "replace")
                if "Endpoint:" in line:
                    found.append(line.split()[-1])
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(_START_TIMEOUT)
        if not found:
            self._log.seek(0)
            said = self._log.read()[-2000:].decode("utf-8", "replace")
            self.__exit__(None, None, None)
            raise RuntimeError(f"logto-connector serve did not start: {said}")
        return found[0]

    @property
    def authorization(self) -> str:
        """The header Logto's HTTP SMS connector sends."""
        return f"Bearer {self.token}"

    def worker_rss_mib(self) -> list[float]:
        """Resident memory of each worker process (the master's children), in MiB."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        sizes = []
        for pid in children.read_text().split():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sizes

    def __enter__(self) -> GatewayProcess:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # SIGTERM: the gateway finishes what it has in flight
        _end(self.process, 30)
        self._log.close()


class NodeDriver:
    """``tests/js/bench-driver.mjs``: Logto's two connectors in one warm node process."""

    def __init__(self, emulator: EmulatorProcess, gateway: GatewayProcess) -> None:
        config = emulator.config
        tencent = {
            "accessKeyId": config["accessKeyId"],
            "accessKeySecret": config["accessKeySecret"],
            "signName": config["signName"],
            "sdkAppId": config["sdkAppId"],
            "region": config["region"],
            "templates": config["templates"],
        }
        setup = {
            "gateway": {"endpoint": gateway.url, "authorization": gateway.authorization},
            "tencent": tencent,
        }
        port = emulator.url.rsplit(":", 1)[1]
        env = {
            **os.environ,
            "TENCENT_EMULATOR_PORT": port,
            "NODE_EXTRA_CA_CERTS": str(config["caBundle"]),
        }
        self.process = subprocess.Popen(
            [
                *("node", "--require", str(JS / "tencent-loopback.cjs")),
                *("bench-driver.mjs", json.dumps(setup)),
            ],
            cwd=JS,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )

    def run(self, path: str, n: int) -> list[float]:
        """Send ``n`` messages one after the other through ``path``; latencies in seconds."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write((json.dumps({"path": path, "n": n, "to": TO}) + "\n").encode())
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline() or b"{}")
        if "ms" not in answer:
            raise RuntimeError(f"node driver failed on {path}: {answer.get('error', answer)}")
        return [v / 1e3 for v in answer["ms"]]

    def close(self) -> None:
        """End the node process."""
        if self.process.stdin is not None:
            self.process.stdin.close()  # the driver ends at the end of its input
        _end(self.process, 10)


def _end(process: subprocess.Popen[bytes], timeout: float) -> None:
    """Wait for a child that was asked to stop; kill it after ``timeout`` seconds."""
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def _interleave(
    plan: GatewayPlan, contenders: dict[str, Any]
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Warm each contender up, then run them in turn each round; all latencies, round p50s."""
    for name, run in contenders.items():
        _progress(f"warming up {name} ({plan.warmup} sends)")
        run(plan.warmup)
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    p50s: dict[str, list[float]] = {name: [] for name in contenders}
    for index in range(plan.rounds):
        _progress(f"round {index + 1}/{plan.rounds}")
        for name, run in contenders.items():
            got: list[float] = run(plan.per_round)
            samples[name].extend(got)
            p50s[name].append(statistics.median(got))
    return samples, p50s


def _ours(config: dict[str, Any]) -> tuple[Any, dict[str, float]]:
    """A sender through ``ConnectorHost.send_message`` in this process; and its CPU meter."""
    from connector.kit import ConnectorHost

    host = ConnectorHost()
    cid = "tencent-short-message-service"
    cpu = {"seconds": 0.0, "sends": 0.0}

    def run(n: int) -> list[float]:
        out = []
        cpu_start = time.process_time()
        for _ in range(n):
            started = time.perf_counter()
            host.send_message(cid, config, to=TO, type="SignIn", payload={"code": "123456"})
            out.append(time.perf_counter() - started)
        cpu["seconds"] += time.process_time() - cpu_start
        cpu["sends"] += n
        return out

    return run, cpu


def _load(gateway: GatewayProcess, seconds: float, clients: int) -> dict[str, Any]:
    """``tests/js/bench-load.mjs``: ``clients`` keep-alive clients for ``seconds``."""
    setup = {
        "url": gateway.url,
        "authorization": gateway.authorization,
        "clients": clients,
        "seconds": seconds,
    }
    proc = subprocess.run(
        ["node", "bench-load.mjs", json.dumps(setup)],
        cwd=JS,
        capture_output=True,
        timeout=seconds + 120,
        check=True,
    )
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def measure(plan: GatewayPlan) -> Results:
    """Run every part against an emulator (TLS) of its own; return the figures."""
    with EmulatorProcess(tls=True) as emulator:
        config_path = emulator.config_path
        # Parts 1 and 3 share one node process, warmed up once per path.
        with GatewayProcess(config_path, workers=1) as gateway:
            node = NodeDriver(emulator, gateway)
            ours, cpu = _ours(emulator.config)
            try:
                samples, p50s = _interleave(
                    plan,
                    {
                        HOP: lambda n: node.run("http-sms", n),
                        LOGTO: lambda n: node.run("tencent", n),
                        OURS: ours,
                    },
                )
            finally:
                node.close()
        emulator.clear_outbox()
        loads: dict[str, Any] = {}
        for workers in (1, 2, 4):
            _progress(f"load: {workers} worker(s), {plan.load_seconds:.0f} s")
            with GatewayProcess(config_path, workers=workers) as gateway:
                _load(gateway, min(plan.load_seconds, 1.0), plan.load_clients)  # warm every worker
                before = emulator.stats()
                figures = _load(gateway, plan.load_seconds, plan.load_clients)
                after = emulator.stats()
                lat = sorted(figures["ms"])
                loads[str(workers)] = {
                    "per_second": figures["sent"] / plan.load_seconds,
                    "errors": figures["errors"],
                    "p50_ms": percentile(lat, 50),
                    "p99_ms": percentile(lat, 99),
                    "rss_mib_per_worker": statistics.mean(gateway.worker_rss_mib()),
                    "emulator_requests": after["requests"] - before["requests"],
                }
            emulator.clear_outbox()

    def p(name: str, q: float) -> float:
        return percentile(sorted(samples[name]), q) * 1e3

    return {
        "plan": plan.name,
        "p50_ms": {name: p(name, 50) for name in samples},
        "p99_ms": {name: p(name, 99) for name in samples},
        "gateway_over_logto_p50": ratio_per_round(p50s[HOP], p50s[LOGTO]),
        "ours_over_logto_p50": ratio_per_round(p50s[OURS], p50s[LOGTO]),
        "ours_over_logto_p99": p(OURS, 99) / p(LOGTO, 99),
        "our_cpu_ms_per_send": cpu["seconds"] / cpu["sends"] * 1e3,
        "load_clients": plan.load_clients,
        "throughput": loads,
    }


def _targets(results: Results) -> list[Judged]:
    hop = results["gateway_over_logto_p50"]
    ours = results["ours_over_logto_p50"]
    return [
        judge(
            "hop_p50",
            "p50: Logto HTTP SMS -> gateway / Logto Tencent",
            "<= 1.5",
            hop["median"],
            "x",
            lambda v: v <= 1.5,
            hop,
        ),
        judge(
            "ours_p50",
            "p50: our connector / Logto Tencent",
            "<= 1",
            ours["median"],
            "x",
            lambda v: v <= 1.0,
            ours,
        ),
        judge(
            "ours_p99",
            "p99: our connector / Logto Tencent",
            "<= 0.5",
            results["ours_over_logto_p99"],
            "x",
            lambda v: v <= 0.5,
        ),
    ]


def _rows(table: Table, results: Results, judged: Mapping[str, Judged]) -> None:
    p50, p99 = results["p50_ms"], results["p99_ms"]
    hop, ours = results["gateway_over_logto_p50"], results["ours_over_logto_p50"]
    table.section(
        "7. gateway: Logto's HTTP SMS connector -> serve -> emulator, vs Logto's Tencent "
        "connector (node, TLS)",
        results.get("other_processes_cpus"),
    )
    table.row("HTTP SMS -> gateway, p50 / p99", f"{ms(p50[HOP])} / {ms(p99[HOP])}")
    table.row("Logto Tencent, p50 / p99", f"{ms(p50[LOGTO])} / {ms(p99[LOGTO])}")
    table.row(
        "p50 ratio (gateway path / Logto Tencent)",
        ratio(hop["median"]),
        span(ratio(hop["min"]), ratio(hop["max"])),
        *target_cells(judged, "hop_p50"),
    )
    for workers, figures in results["throughput"].items():
        table.row(
            f"gateway, {workers} worker(s) x 8 threads, {results['load_clients']} clients",
            rate(figures["per_second"]),
            f"p50 {ms(figures['p50_ms'])}, p99 {ms(figures['p99_ms'])}",
            "",
            f"errors {figures['errors']}; RSS/worker {figures['rss_mib_per_worker']:.0f} MiB",
        )
    table.row("our connector in-process, p50 / p99", f"{ms(p50[OURS])} / {ms(p99[OURS])}")
    table.row("our client CPU per send", ms(results["our_cpu_ms_per_send"]))
    table.row(
        "p50: ours / Logto Tencent",
        ratio(ours["median"]),
        span(ratio(ours["min"]), ratio(ours["max"])),
        *target_cells(judged, "ours_p50"),
    )
    table.row(
        "p99: ours / Logto Tencent",
        ratio(results["ours_over_logto_p99"]),
        "",
        *target_cells(judged, "ours_p99"),
    )


SECTIONS = (
    Section(
        name="gateway",
        order=70,
        # It runs an emulator of its own: Logto's Tencent connector speaks only https.
        needs_emulator=False,
        run=lambda plan, context: measure(QUICK if plan.name == "quick" else FULL),
        rows=_rows,
        targets=_targets,
    ),
)


def main(argv: list[str] | None = None) -> int:
    """Run this section alone and print its rows."""
    return run_alone(SECTIONS[0], lambda quick: measure(QUICK if quick else FULL), argv)


if __name__ == "__main__":
    sys.exit(main())
