"""Benchmark: the gateway against a bare passthrough proxy and the mock upstream itself, in one run.

Starts a fast mock upstream, a bare FastAPI + aiohttp passthrough and `gateway serve` (plain path:
auth, routing, no ML filters), loads each at concurrency 1, 16 and 64, non-streamed and streamed,
and prints requests/s, p50, p99, each process's CPU per request and the ratio gateway/passthrough.
Uses wrk when installed, else an asyncio load generator.
Run: `.venv/bin/python -m benchmarks.proxy [--seconds 3] [--rounds 3]`.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import orjson
import yaml

from benchmarks.loadgen import run_load
from tests.support.gateway_process import free_port

PROMPT = {"role": "user", "content": "Summarise the quarterly report in three short bullet points for the board."}


@dataclass
class Result:
    target: str
    stream: bool
    concurrency: int
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_us: float  # the target process's CPU per request, all its threads (from /proc)


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the process exited at start")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up")


def _cpu_seconds(pid: int) -> float:
    if not Path(f"/proc/{pid}/stat").exists():
        return math.nan  # not Linux: no CPU column
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _wait_quiet(pid: int, limit_seconds: float = 5.0) -> None:
    """Wait until a process uses under 5 % of a core (Linux; elsewhere, a fixed second)."""
    if math.isnan(_cpu_seconds(pid)):
        time.sleep(1.0)
        return
    deadline = time.monotonic() + limit_seconds
    while time.monotonic() < deadline:
        before = _cpu_seconds(pid)
        time.sleep(0.2)
        if _cpu_seconds(pid) - before < 0.01:
            return


def _spawn(args: list[str], cwd: Path, extra_env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    env = {**os.environ, **(extra_env or {})}
    return subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wrk(
    url: str, body: bytes, headers: dict[str, str], concurrency: int, seconds: float
) -> tuple[float, float, float]:
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(f"wrk.method = 'POST'\nwrk.body = {orjson.dumps(body.decode()).decode()}\n")
    for name, value in headers.items():
        script.write(f"wrk.headers['{name}'] = '{value}'\n")
    script.close()
    output = subprocess.run(
        [
            "wrk",
            "-t",
            "1",
            "-c",
            str(concurrency),
            "-d",
            f"{max(1, round(seconds))}s",
            "--latency",
            "-s",
            script.name,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)
    if "Non-2xx" in output:
        raise RuntimeError(f"non-2xx answers during the benchmark:\n{output}")

    def millis(label: str) -> float:
        match = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", output)
        assert match, output
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    return rps, millis("50%"), millis("99%")


def measure(
    url: str, body: bytes, headers: dict[str, str], concurrency: int, seconds: float, use_wrk: bool
) -> tuple[float, float, float]:
    if use_wrk:
        return _wrk(url, body, headers, concurrency, seconds)
    latencies = asyncio.run(run_load(url, body, headers, concurrency, seconds))
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return len(latencies) / seconds, statistics.median(latencies) * 1000, p99 * 1000


def measure_with_cpu(
    pid: int, url: str, body: bytes, headers: dict[str, str], concurrency: int, seconds: float, use_wrk: bool
) -> tuple[float, float, float, float]:
    """requests/s, p50 and p99 (ms), and the target's CPU per request (µs)."""
    before = _cpu_seconds(pid)
    rps, p50, p99 = measure(url, body, headers, concurrency, seconds, use_wrk)
    duration = max(1, round(seconds)) if use_wrk else seconds
    return rps, p50, p99, (_cpu_seconds(pid) - before) / (rps * duration) * 1e6


NO_FILTERS = {"defaults": {"pii": {"enabled": False}, "toxicity": {"enabled": False}, "blocklist": {"enabled": False}}}
LONG_PROMPT = {
    "role": "user",
    "content": ("Our customer Jane Roe wrote from jane.roe@example.com about invoice 4471. " * 8)[:590],
}


@dataclass
class Variant:
    """One gateway set-up, measured beside the plain one."""

    name: str
    config: dict[str, Any]
    prompt: dict[str, str] = field(default_factory=lambda: PROMPT)
    limits: bool = False


def variants(redis_url: str, selected: list[str]) -> list[Variant]:
    known = {
        "gateway": Variant("gateway", {"filters": NO_FILTERS}),
        "gateway+limits": Variant(
            "gateway+limits",
            {"filters": NO_FILTERS, "redis_url": redis_url, "redis_key_prefix": f"bench-{os.getpid()}:"},
            limits=True,
        ),
        "gateway+filters": Variant("gateway+filters", {}, prompt=LONG_PROMPT),
    }
    return [known[name] for name in selected]


def _gateway(root: Path, work: Path, variant: Variant, upstream: str) -> tuple[subprocess.Popen[bytes], str, str]:
    """Start `gateway serve` for a variant; return the process, its URL and a key."""
    folder = work / variant.name
    folder.mkdir()
    config = {
        "database_url": f"sqlite:///{folder}/bench.db",
        "admin_key": "bench-admin",
        "model_list": [
            {
                "model_name": "bench",
                "litellm_params": {
                    "model": "openai/echo",
                    "api_base": upstream,
                    "api_key": "sk-upstream",
                    # Priced, so that a budget reserves and settles real amounts (gpt-4o's prices).
                    "input_cost_per_token": 2.5e-06,
                    "output_cost_per_token": 1e-05,
                },
            }
        ],
        **variant.config,
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    cli = [sys.executable, "-m", "gateway.cli"]
    subprocess.run(
        [*cli, "teams", "create", "bench", "--config", str(path)], cwd=folder, check=True, capture_output=True
    )
    created = subprocess.run(
        [*cli, "keys", "create", "--team", "bench", "--config", str(path)],
        cwd=folder,
        check=True,
        capture_output=True,
        text=True,
    )
    key = created.stdout.strip().splitlines()[-1]
    port = free_port()
    process = _spawn([*cli, "--log-level", "WARNING", "serve", "--config", str(path), "--port", str(port)], folder)
    _wait_ready(f"http://127.0.0.1:{port}/healthz", process)
    if variant.limits:
        # Limits high enough never to refuse: the benchmark measures what checking them costs.
        admin = {"Authorization": "Bearer bench-admin"}
        base = f"http://127.0.0.1:{port}/admin/api"
        httpx.post(f"{base}/budgets", json={"team": "bench", "amount_usd": "1000000", "period": "day"}, headers=admin)
        httpx.post(
            f"{base}/rate-limits", json={"team": "bench", "rpm": 10_000_000, "tpm": 10_000_000_000}, headers=admin
        )
    return process, f"http://127.0.0.1:{port}/v1/chat/completions", key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per target; the median is kept")
    parser.add_argument("--concurrency", default="1,16,64")
    parser.add_argument("--loadgen", choices=["auto", "wrk", "asyncio"], default="auto")
    parser.add_argument(
        "--variants",
        default="gateway",
        help="comma-separated among gateway, gateway+limits (Redis), gateway+filters (600-character answers)",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    use_wrk = args.loadgen == "wrk" or (args.loadgen == "auto" and shutil.which("wrk") is not None)
    root = Path(__file__).resolve().parent.parent
    work = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    upstream_port, passthrough_port = free_port(), free_port()
    upstream = f"http://127.0.0.1:{upstream_port}/v1"
    processes = [
        _spawn([sys.executable, "-m", "tests.support.mock_upstream", "--port", str(upstream_port)], root),
        _spawn(
            [sys.executable, "-m", "benchmarks.passthrough", "--port", str(passthrough_port), "--upstream", upstream],
            root,
        ),
    ]
    try:
        _wait_ready(f"http://127.0.0.1:{upstream_port}/", processes[0])
        _wait_ready(f"http://127.0.0.1:{passthrough_port}/", processes[1])
        # name -> (URL, auth header, prompt, process id)
        targets: dict[str, tuple[str, dict[str, str], dict[str, str], int]] = {
            "upstream": (f"{upstream}/chat/completions", {}, PROMPT, processes[0].pid),
            "passthrough": (
                f"http://127.0.0.1:{passthrough_port}/v1/chat/completions",
                {},
                PROMPT,
                processes[1].pid,
            ),
        }
        for variant in variants(args.redis_url, args.variants.split(",")):
            process, url, key = _gateway(root, work, variant, upstream)
            processes.append(process)
            targets[variant.name] = (url, {"Authorization": f"Bearer {key}"}, variant.prompt, process.pid)
        results: list[Result] = []
        for stream in (False, True):
            for concurrency in [int(c) for c in args.concurrency.split(",")]:
                # Targets take turns, round after round, and each keeps its median: a machine whose
                # speed drifts (shared cores) then shifts every target alike instead of one of them.
                # The order rotates each round, so no target always follows the same one.
                samples: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in targets}
                names = list(targets)
                for round_number in range(args.rounds):
                    shift = round_number % len(names)
                    for name in names[shift:] + names[:shift]:
                        url, auth, prompt, pid = targets[name]
                        body = orjson.dumps({"model": "bench", "messages": [prompt], "stream": stream})
                        headers = {"Content-Type": "application/json", **auth}
                        if round_number == 0:
                            measure(url, body, headers, concurrency, 1.0, use_wrk)  # warm-up
                        samples[name].append(
                            measure_with_cpu(pid, url, body, headers, concurrency, args.seconds, use_wrk)
                        )
                        # The next target starts once this one has finished its after-work (a gateway
                        # writes its last ledger batch): else whichever comes next pays for it.
                        _wait_quiet(pid)
                for name, measured in samples.items():
                    rps, p50, p99, cpu = (statistics.median(values) for values in zip(*measured, strict=True))
                    results.append(Result(name, stream, concurrency, rps, p50, p99, cpu))
        _print(results, "wrk" if use_wrk else "asyncio", args.rounds)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)
        shutil.rmtree(work, ignore_errors=True)


def _print(results: list[Result], loadgen: str, rounds: int) -> None:
    print(f"load generator: {loadgen}; {os.cpu_count()} cores; median of {rounds} rounds\n")
    by_key = {(r.target, r.stream, r.concurrency): r for r in results}
    concurrencies = sorted({r.concurrency for r in results})
    targets = list(dict.fromkeys(r.target for r in results))
    if "gateway" in targets:
        print(
            "| mode | conc. | upstream rps | passthrough rps | gateway rps | gateway/passthrough "
            "| p50 pass / gw (ms) | p99 pass / gw (ms) | gw p50 overhead vs upstream (ms) | CPU µs/req pass / gw |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for stream in (False, True):
            for concurrency in concurrencies:
                up, passthrough, gateway = (
                    by_key[(t, stream, concurrency)] for t in ("upstream", "passthrough", "gateway")
                )
                print(
                    f"| {'stream' if stream else 'plain'} | {concurrency} | {up.rps:.0f} | {passthrough.rps:.0f} "
                    f"| {gateway.rps:.0f} "
                    f"| {gateway.rps / passthrough.rps:.2f} | {passthrough.p50_ms:.2f} / {gateway.p50_ms:.2f} "
                    f"| {passthrough.p99_ms:.2f} / {gateway.p99_ms:.2f} | {gateway.p50_ms - up.p50_ms:.2f} "
                    f"| {passthrough.cpu_us:.0f} / {gateway.cpu_us:.0f} |"
                )
    extras = [t for t in targets if t.startswith("gateway+")]
    if extras:
        print(
            "\n| variant | mode | conc. | rps | variant/passthrough | variant/gateway | p50 (ms) | p99 (ms) "
            "| CPU µs/req | gateway CPU / variant CPU |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|")
        for name in extras:
            for stream in (False, True):
                for concurrency in concurrencies:
                    result = by_key[(name, stream, concurrency)]
                    passthrough = by_key[("passthrough", stream, concurrency)]
                    plain = by_key.get(("gateway", stream, concurrency))
                    versus_plain = f"{result.rps / plain.rps:.2f}" if plain else "-"
                    cpu_versus_plain = f"{plain.cpu_us / result.cpu_us:.2f}" if plain else "-"
                    print(
                        f"| {name} | {'stream' if stream else 'plain'} | {concurrency} | {result.rps:.0f} "
                        f"| {result.rps / passthrough.rps:.2f} | {versus_plain} "
                        f"| {result.p50_ms:.2f} | {result.p99_ms:.2f} | {result.cpu_us:.0f} | {cpu_versus_plain} |"
                    )


if __name__ == "__main__":
    main()
