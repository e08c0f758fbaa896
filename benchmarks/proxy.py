"""Benchmark: the gateway against a bare passthrough proxy and the mock upstream itself, in one run.

Starts a mock upstream, a bare FastAPI + aiohttp passthrough and `gateway serve` with the safe
default filters (the headline) and with filters off, loads each at concurrency 1, 16 and 64,
plain and streamed, all with the same 590-character answer with nothing to find, and prints
requests/s, p50, p99, CPU per request and each gateway's ratio to the passthrough. Then streams
from an upstream that paces its chunks (time to first content, to the end, content events), and
with `--findings` the cost of answers with something to find. With `--apis responses,messages`
each gateway is also loaded through the Responses and Messages APIs, and each is compared with
the same gateway's chat completions; `responses-unstored` is the Responses API with `store: false`
(what storing each response costs, apart), `responses-native` the Responses API to a deployment of
the same upstream that takes it natively (`native_api: responses`, the mock's /v1/responses). Uses
wrk when installed.
Run: `.venv/bin/python -m benchmarks.proxy [--seconds 3] [--rounds 3] [--findings] [--apis ...]`.
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import yaml

from benchmarks.loadgen import run_load
from tests.helpers.gateway_process import free_port

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
    round_rps: tuple[float, ...] = ()  # each round's rps, for the spread of a ratio round by round


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
# The mock answers "Mock answer: <the prompt>", so the prompt is the answer the filters read: about
# 600 characters of ordinary prose with nothing to find (no digits, no @, nothing toxic).
SAFE_TEXT = (
    "The quarterly review went well and the team is pleased with the progress made across every region. "
    "Customers told us that the new onboarding flow is clearer, support tickets fell, and the roadmap for "
    "the next release looks realistic. We still need to finish the migration of the reporting service, "
    "agree on the hiring plan with finance, and write the summary for the board before the end of the month. "
    "Please read the attached notes, add your comments where something is missing, and tell me which of the "
    "open questions you want to discuss at the planning meeting next week. Thanks again for the careful work."
)[:590]
SAFE_PROMPT = {"role": "user", "content": SAFE_TEXT}
BLOCKED_PHRASE = "project falcon"
# The same answer with one thing to find, for the cost of a finding.
FINDINGS = {
    "pii (e-mail, phone)": SAFE_TEXT[:480] + " Write to jane.roe@example.com or call +1 415 555 0132.",
    "toxic sentence": SAFE_TEXT[:480] + " Honestly, you are a stupid idiot and this is crap.",
    "blocklisted phrase": SAFE_TEXT[:480] + f" The {BLOCKED_PHRASE} numbers stay confidential.",
}


def api_body(api: str, stream: bool) -> bytes:
    """The same question in each API's shape (the answer, and so the filters' work, is the same)."""
    if api == "responses":
        return orjson.dumps({"model": "bench", "input": SAFE_TEXT, "stream": stream})
    if api == "responses-unstored":
        return orjson.dumps({"model": "bench", "input": SAFE_TEXT, "stream": stream, "store": False})
    if api == "responses-native":
        return orjson.dumps({"model": "bench-native", "input": SAFE_TEXT, "stream": stream})
    if api == "messages":
        return orjson.dumps({"model": "bench", "max_tokens": 1024, "messages": [SAFE_PROMPT], "stream": stream})
    if api == "moderations":  # the answer's text, checked against the filters (no model is asked)
        return orjson.dumps({"input": SAFE_TEXT})
    return orjson.dumps({"model": "bench", "messages": [SAFE_PROMPT], "stream": stream})


API_PATHS = {
    "chat": "/v1/chat/completions",
    "responses": "/v1/responses",
    "responses-unstored": "/v1/responses",
    "responses-native": "/v1/responses",
    "messages": "/v1/messages",
    "moderations": "/v1/moderations",
}
PLAIN_ONLY = frozenset({"moderations"})  # APIs that do not stream


@dataclass
class Variant:
    """One gateway set-up; `against` names the target its ratio is taken against."""

    name: str
    config: dict[str, Any]
    limits: bool = False
    against: str = "passthrough"
    use_case: bool = False  # the key bound to a use case in production, the model with a card


def variants(redis_url: str, selected: list[str]) -> list[Variant]:
    """`gateway` runs the safe default filters (the headline); the others are second rows."""
    blocklist = {"defaults": {"blocklist": {"terms": [BLOCKED_PHRASE]}}}
    known = {
        "gateway": Variant("gateway", {"filters": blocklist}),
        "gateway-unfiltered": Variant("gateway-unfiltered", {"filters": NO_FILTERS}),
        "gateway+limits": Variant(
            "gateway+limits",
            {"filters": NO_FILTERS, "redis_url": redis_url, "redis_key_prefix": f"bench-{os.getpid()}:"},
            limits=True,
            against="gateway-unfiltered",
        ),
        "gateway+ner": Variant("gateway+ner", {"filters": {**blocklist, "pii_engine": {"mode": "ner"}}}),
        "gateway+use-case": Variant("gateway+use-case", {"filters": blocklist}, use_case=True, against="gateway"),
    }
    return [known[name] for name in selected]


def _gateway(
    root: Path, work: Path, variant: Variant, upstream: str, paced_upstream: str
) -> tuple[subprocess.Popen[bytes], str, str]:
    """Start `gateway serve` for a variant; return the process, its URL and a key."""
    folder = work / variant.name
    folder.mkdir()

    def model(name: str, api_base: str, **entry: Any) -> dict[str, Any]:
        params = {
            "model": "openai/echo",
            "api_base": api_base,
            "api_key": "sk-upstream",
            # Priced, so that a budget reserves and settles real amounts (gpt-4o's prices).
            "input_cost_per_token": 2.5e-06,
            "output_cost_per_token": 1e-05,
        }
        return {"model_name": name, "litellm_params": params, **entry}

    config = {
        "database_url": f"sqlite:///{folder}/bench.db",
        "admin_key": "bench-admin",
        "model_list": [
            model("bench", upstream),
            model("bench-native", upstream, native_api="responses"),
            model("bench-paced", paced_upstream),
        ],
        **variant.config,
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    cli = [sys.executable, "-m", "gateway.cli"]
    subprocess.run(
        [*cli, "teams", "create", "bench", "--config", str(path)], cwd=folder, check=True, capture_output=True
    )
    bound = ["--use-case", _production_use_case(cli, path, folder)] if variant.use_case else []
    created = subprocess.run(
        [*cli, "keys", "create", "--team", "bench", "--config", str(path), *bound],
        cwd=folder,
        check=True,
        capture_output=True,
        text=True,
    )
    key = created.stdout.strip().splitlines()[-1]
    port = free_port()
    process = _spawn([*cli, "--log-level", "WARNING", "serve", "--config", str(path), "--port", str(port)], folder)
    _wait_ready(f"http://127.0.0.1:{port}/healthz", process)
    if variant.use_case:
        card = {"status": "approved", "allowed_data_classifications": ["internal"], "experimentation": True}
        httpx.put(
            f"http://127.0.0.1:{port}/admin/api/models/bench/card",
            json=card,
            headers={"Authorization": "Bearer bench-admin"},
        ).raise_for_status()
    if variant.limits:
        # Limits high enough never to refuse: the benchmark measures what checking them costs.
        admin = {"Authorization": "Bearer bench-admin"}
        base = f"http://127.0.0.1:{port}/admin/api"
        httpx.post(f"{base}/budgets", json={"team": "bench", "amount_usd": "1000000", "period": "day"}, headers=admin)
        httpx.post(
            f"{base}/rate-limits", json={"team": "bench", "rpm": 10_000_000, "tpm": 10_000_000_000}, headers=admin
        )
    return process, f"http://127.0.0.1:{port}/v1/chat/completions", key


# The default gate's checklist, ticked with the approval that passes it.
CHECKLIST = ("--check=model card reviewed", "--check=evaluation attached")


def _production_use_case(cli: list[str], path: Path, folder: Path) -> str:
    """A medium-risk use case of team bench, walked through its gates to production; its id."""

    def run(*args: str) -> str:
        environ = {**os.environ, "GATEWAY_USER_PASSWORD": "bench owner password"}
        done = subprocess.run(
            [*cli, *args, "--config", str(path)], cwd=folder, check=True, capture_output=True, text=True, env=environ
        )
        return done.stdout

    run("users", "create", "owner", "--role", "viewer")
    owners = ["--sponsor=owner", "--tech-lead=owner", "--compliance-reviewer=owner"]
    registered = run(
        "use-cases", "register", "--name=bench", "--team=bench", "--purpose=benchmark", "--risk-tier=medium",
        "--data-classification=internal", "--scores=3,3,3", *owners,
    )  # fmt: skip
    use_case = registered.split()[3]
    for stage in ("poc", "pilot", "production"):
        gate = orjson.loads(run("use-cases", "stage", use_case, f"--to={stage}"))["gate_id"]
        run("use-cases", "approve", use_case, gate, "--role=compliance_reviewer", *CHECKLIST)
    return use_case


@dataclass
class Paced:
    """A streamed answer from an upstream that paces its chunks, as the client sees it (c=1)."""

    target: str
    first_content_ms: float
    end_ms: float
    content_events: float


def _paced_stream(url: str, headers: dict[str, str], body: bytes) -> tuple[float, float, int]:
    """Time to the first content event, time to the end, and how many content events came."""
    started = time.perf_counter()
    first = None
    events = 0
    with httpx.stream("POST", url, content=body, headers=headers, timeout=60) as response:
        for line in response.iter_lines():
            if not line.startswith("data: {"):
                continue
            chunk = orjson.loads(line[6:])
            if any((c.get("delta") or {}).get("content") for c in chunk.get("choices") or []):
                events += 1
                if first is None:
                    first = time.perf_counter() - started
    end = time.perf_counter() - started
    return (first if first is not None else end) * 1000, end * 1000, events


def measure_paced(targets: dict[str, tuple[str, dict[str, str], int]], answers: int) -> list[Paced]:
    body = orjson.dumps({"model": "bench-paced", "messages": [SAFE_PROMPT], "stream": True})
    samples: dict[str, list[tuple[float, float, int]]] = {name: [] for name in targets}
    for _ in range(answers):
        for name, (url, auth, _) in targets.items():
            samples[name].append(_paced_stream(url, {"Content-Type": "application/json", **auth}, body))
    return [
        Paced(name, *(statistics.median(values) for values in zip(*measured, strict=True)))
        for name, measured in samples.items()
    ]


def measure_findings(url: str, auth: dict[str, str], pid: int, seconds: float, use_wrk: bool) -> list[Result]:
    """The gateway at c=1 on answers with something to find, beside the same answer with nothing."""
    results = []
    for label, text in {"nothing to find": SAFE_TEXT, **FINDINGS}.items():
        for stream in (False, True):
            body = orjson.dumps({"model": "bench", "messages": [{"role": "user", "content": text}], "stream": stream})
            headers = {"Content-Type": "application/json", **auth}
            measure(url, body, headers, 1, 1.0, use_wrk)  # warm-up
            rps, p50, p99, cpu = measure_with_cpu(pid, url, body, headers, 1, seconds, use_wrk)
            results.append(Result(label, stream, 1, rps, p50, p99, cpu))
            _wait_quiet(pid)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of one measurement")
    parser.add_argument("--rounds", type=int, default=3, help="measurements per target; the median is kept")
    parser.add_argument("--concurrency", default="1,16,64")
    parser.add_argument("--loadgen", choices=["auto", "wrk", "asyncio"], default="auto")
    parser.add_argument(
        "--variants",
        default="gateway,gateway-unfiltered",
        help="comma-separated among gateway (safe default filters), gateway-unfiltered, gateway+limits "
        "(Redis; measured against gateway-unfiltered), gateway+ner, gateway+use-case (a key bound to a use case "
        "in production; measured against gateway)",
    )
    parser.add_argument("--pace-ms", type=float, default=20.0, help="chunk pacing of the paced upstream")
    parser.add_argument("--paced-answers", type=int, default=5, help="streamed answers per target, paced")
    parser.add_argument("--findings", action="store_true", help="also measure answers with something to find")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    parser.add_argument(
        "--apis",
        default="",
        help="also load each gateway through: responses, responses-unstored, responses-native, messages, "
        "moderations (plain only; no model is asked)",
    )
    args = parser.parse_args()
    apis = [api for api in args.apis.split(",") if api]
    use_wrk = args.loadgen == "wrk" or (args.loadgen == "auto" and shutil.which("wrk") is not None)
    root = Path(__file__).resolve().parent.parent
    work = Path(tempfile.mkdtemp(prefix="gateway-bench-"))
    ports = {name: free_port() for name in ("upstream", "paced", "passthrough", "paced-passthrough")}
    upstream = f"http://127.0.0.1:{ports['upstream']}/v1"
    paced = f"http://127.0.0.1:{ports['paced']}/v1"
    mock = [sys.executable, "-m", "tests.helpers.mock_upstream"]
    relay = [sys.executable, "-m", "benchmarks.passthrough"]
    processes = [
        _spawn([*mock, "--port", str(ports["upstream"])], root),
        _spawn([*mock, "--port", str(ports["paced"]), "--pace-ms", str(args.pace_ms)], root),
        _spawn([*relay, "--port", str(ports["passthrough"]), "--upstream", upstream], root),
        _spawn([*relay, "--port", str(ports["paced-passthrough"]), "--upstream", paced], root),
    ]
    try:
        for name, process in zip(ports, processes, strict=True):
            _wait_ready(f"http://127.0.0.1:{ports[name]}/", process)
        # name -> (URL, auth header, process id)
        targets: dict[str, tuple[str, dict[str, str], int]] = {
            "upstream": (f"{upstream}/chat/completions", {}, processes[0].pid),
            "passthrough": (f"http://127.0.0.1:{ports['passthrough']}/v1/chat/completions", {}, processes[2].pid),
        }
        chosen = variants(args.redis_url, args.variants.split(","))
        for variant in chosen:
            process, url, key = _gateway(root, work, variant, upstream, paced)
            processes.append(process)
            targets[variant.name] = (url, {"Authorization": f"Bearer {key}"}, process.pid)
            for api in apis:
                api_url = url.removesuffix(API_PATHS["chat"]) + API_PATHS[api]
                targets[f"{variant.name} {api}"] = (api_url, {"x-api-key": key}, process.pid)
        body_of = {
            (name, stream): api_body(name.rsplit(" ", 1)[1] if " " in name else "chat", stream)
            for name in targets
            for stream in (False, True)
        }
        results: list[Result] = []
        for stream in (False, True):
            for concurrency in [int(c) for c in args.concurrency.split(",")]:
                # Targets take turns, round after round, and each keeps its median: a machine whose
                # speed drifts (shared cores) then shifts every target alike instead of one of them.
                # The order rotates each round, so no target always follows the same one.
                names = [name for name in targets if not (stream and name.rsplit(" ", 1)[-1] in PLAIN_ONLY)]
                samples: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in names}
                for round_number in range(args.rounds):
                    shift = round_number % len(names)
                    for name in names[shift:] + names[:shift]:
                        url, auth, pid = targets[name]
                        headers = {"Content-Type": "application/json", **auth}
                        body = body_of[(name, stream)]
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
                    round_rps = tuple(sample[0] for sample in measured)
                    results.append(Result(name, stream, concurrency, rps, p50, p99, cpu, round_rps))
        paced_targets = {
            "upstream": (f"{paced}/chat/completions", {}, processes[1].pid),
            "passthrough": (f"http://127.0.0.1:{ports['paced-passthrough']}/v1/chat/completions", {}, processes[3].pid),
            **{v.name: targets[v.name] for v in chosen if not v.limits},
        }
        paced_results = measure_paced(paced_targets, args.paced_answers)
        findings: dict[str, list[Result]] = {}
        for name in ("gateway", "gateway+ner") if args.findings else ():
            if name in targets:
                url, auth, pid = targets[name]
                findings[name] = measure_findings(url, auth, pid, args.seconds, use_wrk)
        _print(results, chosen, "wrk" if use_wrk else "asyncio", args.rounds)
        if apis:
            _print_apis(results, chosen, apis)
        _print_paced(paced_results, args.pace_ms)
        for name, costs in findings.items():
            _print_findings(name, costs)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(10)
        shutil.rmtree(work, ignore_errors=True)


def _print(results: list[Result], chosen: list[Variant], loadgen: str, rounds: int) -> None:
    print(f"load generator: {loadgen}; {os.cpu_count()} cores; median of {rounds} rounds; 590-character answers\n")
    by_key = {(r.target, r.stream, r.concurrency): r for r in results}
    concurrencies = sorted({r.concurrency for r in results})
    print(
        "| target | mode | conc. | rps | against | rps ratio | ratio per round (min to max) | p50 (ms) "
        "| p50 added (ms) | p99 (ms) | CPU µs/req |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for variant in chosen:
        for stream in (False, True):
            for concurrency in concurrencies:
                result = by_key[(variant.name, stream, concurrency)]
                base = by_key[(variant.against, stream, concurrency)]
                # Round r of both targets ran minutes apart at most: their ratio shows the machine's noise.
                ratios = [a / b for a, b in zip(result.round_rps, base.round_rps, strict=True)]
                print(
                    f"| {variant.name} | {'stream' if stream else 'plain'} | {concurrency} | {result.rps:.0f} "
                    f"| {variant.against} {base.rps:.0f} | **{result.rps / base.rps:.2f}** "
                    f"| {min(ratios):.2f} to {max(ratios):.2f} | {result.p50_ms:.2f} "
                    f"| {result.p50_ms - base.p50_ms:+.2f} | {result.p99_ms:.2f} | {result.cpu_us:.0f} |"
                )
    upstream = [by_key[("upstream", s, c)] for s in (False, True) for c in concurrencies]
    print("\nupstream alone rps: " + ", ".join(f"{r.rps:.0f}" for r in upstream))


def _print_apis(results: list[Result], chosen: list[Variant], apis: list[str]) -> None:
    print("\nthe same gateway through the other APIs, against its chat completions\n")
    by_key = {(r.target, r.stream, r.concurrency): r for r in results}
    print(
        "| gateway | API | mode | conc. | rps | chat rps | rps ratio | ratio per round (min to max) "
        "| CPU µs/req | chat CPU µs/req |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for variant in chosen:
        for api in apis:
            for stream in (False,) if api in PLAIN_ONLY else (False, True):
                for concurrency in sorted({r.concurrency for r in results}):
                    result = by_key[(f"{variant.name} {api}", stream, concurrency)]
                    chat = by_key[(variant.name, stream, concurrency)]
                    # A round measures each target once, close in time: its ratio is the least noisy.
                    per_round = [a / c for a, c in zip(result.round_rps, chat.round_rps, strict=True)]
                    print(
                        f"| {variant.name} | {api} | {'stream' if stream else 'plain'} | {concurrency} "
                        f"| {result.rps:.0f} | {chat.rps:.0f} | **{result.rps / chat.rps:.2f}** "
                        f"| {min(per_round):.2f} to {max(per_round):.2f} | {result.cpu_us:.0f} | {chat.cpu_us:.0f} |"
                    )


def _print_paced(results: list[Paced], pace_ms: float) -> None:
    print(f"\nstreamed, upstream pacing {pace_ms:g} ms between chunks (c=1, medians)\n")
    print("| target | first content (ms) | end (ms) | content events | first content added (ms) | end added (ms) |")
    print("|---|---|---|---|---|---|")
    base = next(r for r in results if r.target == "passthrough")
    for r in results:
        print(
            f"| {r.target} | {r.first_content_ms:.1f} | {r.end_ms:.1f} | {r.content_events:.0f} "
            f"| {r.first_content_ms - base.first_content_ms:+.1f} | {r.end_ms - base.end_ms:+.1f} |"
        )


def _print_findings(name: str, results: list[Result]) -> None:
    print(f"\n{name} at c=1 on 590-character answers with something to find\n")
    print("| answer | mode | rps | p50 (ms) | CPU µs/req | CPU added over nothing to find (µs) |")
    print("|---|---|---|---|---|---|")
    base = {r.stream: r for r in results if r.target == "nothing to find"}
    for r in results:
        print(
            f"| {r.target} | {'stream' if r.stream else 'plain'} | {r.rps:.0f} | {r.p50_ms:.2f} | {r.cpu_us:.0f} "
            f"| {r.cpu_us - base[r.stream].cpu_us:+.0f} |"
        )


if __name__ == "__main__":
    main()
