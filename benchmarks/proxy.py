"""Benchmark: the gateway against a bare passthrough proxy and the mock upstream itself, in one run.

Starts a fast mock upstream, a bare FastAPI + aiohttp passthrough and `gateway serve` (plain path:
auth, routing, no ML filters), loads each at concurrency 1, 16 and 64, non-streamed and streamed,
and prints requests/s, p50, p99 and the ratio gateway/passthrough. Uses wrk when installed, else an
asyncio load generator. Run: `.venv/bin/python -m benchmarks.proxy [--seconds 5]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", default="1,16,64")
    parser.add_argument("--loadgen", choices=["auto", "wrk", "asyncio"], default="auto")
    args = parser.parse_args()
    use_wrk = args.loadgen == "wrk" or (args.loadgen == "auto" and shutil.which("wrk") is not None)
    root = Path(__file__).resolve().parent.parent
    work = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    upstream_port, passthrough_port, gateway_port = free_port(), free_port(), free_port()
    upstream = f"http://127.0.0.1:{upstream_port}/v1"
    config = {
        "database_url": f"sqlite:///{work}/bench.db",
        "model_list": [
            {
                "model_name": "bench",
                "litellm_params": {"model": "openai/echo", "api_base": upstream, "api_key": "sk-upstream"},
            }
        ],
    }
    (work / "config.yaml").write_text(yaml.safe_dump(config))
    processes = [
        _spawn([sys.executable, "-m", "tests.support.mock_upstream", "--port", str(upstream_port)], root),
        _spawn(
            [sys.executable, "-m", "benchmarks.passthrough", "--port", str(passthrough_port), "--upstream", upstream],
            root,
        ),
    ]
    gateway_cli = [sys.executable, "-m", "gateway.cli"]
    try:
        subprocess.run(
            [*gateway_cli, "teams", "create", "bench", "--config", str(work / "config.yaml")],
            cwd=work,
            check=True,
            capture_output=True,
        )
        key = (
            subprocess.run(
                [*gateway_cli, "keys", "create", "--team", "bench", "--config", str(work / "config.yaml")],
                cwd=work,
                check=True,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        processes.append(
            _spawn(
                [
                    *gateway_cli,
                    "--log-level",
                    "WARNING",
                    "serve",
                    "--config",
                    str(work / "config.yaml"),
                    "--port",
                    str(gateway_port),
                ],
                work,
            )
        )
        _wait_ready(f"http://127.0.0.1:{upstream_port}/", processes[0])
        _wait_ready(f"http://127.0.0.1:{passthrough_port}/", processes[1])
        _wait_ready(f"http://127.0.0.1:{gateway_port}/healthz", processes[2])
        targets = {
            "upstream": (f"{upstream}/chat/completions", {}),
            "passthrough": (f"http://127.0.0.1:{passthrough_port}/v1/chat/completions", {}),
            "gateway": (f"http://127.0.0.1:{gateway_port}/v1/chat/completions", {"Authorization": f"Bearer {key}"}),
        }
        results: list[Result] = []
        for stream in (False, True):
            body = orjson.dumps({"model": "bench", "messages": [PROMPT], "stream": stream})
            for concurrency in [int(c) for c in args.concurrency.split(",")]:
                for name, (url, headers) in targets.items():
                    headers = {"Content-Type": "application/json", **headers}
                    measure(url, body, headers, concurrency, 1.0, use_wrk)  # warm-up
                    rps, p50, p99 = measure(url, body, headers, concurrency, args.seconds, use_wrk)
                    results.append(Result(name, stream, concurrency, rps, p50, p99))
        _print(results, "wrk" if use_wrk else "asyncio")
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)
        shutil.rmtree(work, ignore_errors=True)


def _print(results: list[Result], loadgen: str) -> None:
    print(f"load generator: {loadgen}; {os.cpu_count()} cores\n")
    print(
        "| mode | conc. | upstream rps | passthrough rps | gateway rps | gateway/passthrough "
        "| p50 pass / gw (ms) | p99 pass / gw (ms) | gw p50 overhead vs upstream (ms) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    by_key = {(r.target, r.stream, r.concurrency): r for r in results}
    for stream in (False, True):
        for concurrency in sorted({r.concurrency for r in results}):
            up, passthrough, gateway = (
                by_key[(t, stream, concurrency)] for t in ("upstream", "passthrough", "gateway")
            )
            print(
                f"| {'stream' if stream else 'plain'} | {concurrency} | {up.rps:.0f} | {passthrough.rps:.0f} "
                f"| {gateway.rps:.0f} "
                f"| {gateway.rps / passthrough.rps:.2f} | {passthrough.p50_ms:.2f} / {gateway.p50_ms:.2f} "
                f"| {passthrough.p99_ms:.2f} / {gateway.p99_ms:.2f} | {gateway.p50_ms - up.p50_ms:.2f} |"
            )


if __name__ == "__main__":
    main()
