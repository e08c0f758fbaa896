"""How long a policy decision takes on a 2 KB prompt (no input PII rule: that one costs Presidio's time).

Run: python benchmarks/policies_speed.py
It evaluates the shipped `research` policy (allowed models, parameters, output cap, input token
limit, two deny-lists, injection patterns) and the same policy with an input token limit low enough
that tiktoken really counts, and prints the median and 99th percentile per decision.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from gateway.core.types import Principal
from gateway.offline import apply_offline_defaults
from policies.compiled import CompiledPolicy, compile_policies
from policies.decision import evaluate
from policies.loader import PolicySet, load_policies
from policies.rules.max_input_tokens import MaxInputTokensSettings
from policies.services import PolicyServices

POLICIES = Path(__file__).resolve().parents[1] / "policies"
PARAGRAPH = (
    "Our quarterly review covers the migration of the billing service to the new cluster, the "
    "latency regressions we saw in the checkout flow after the March release, and the plan to "
    "retire the legacy reporting jobs. Please summarise the risks, list the owners of each open "
    "item and suggest which tasks could be parallelised across the platform and payments teams. "
)
ROUNDS = 20_000


def two_kb_request() -> dict[str, Any]:
    text = (PARAGRAPH * (2048 // len(PARAGRAPH) + 1))[:2048]
    return {
        "model": "gpt-4o-mini",
        "temperature": 0.3,
        "max_tokens": 800,
        "messages": [{"role": "system", "content": "You are a helpful analyst."}, {"role": "user", "content": text}],
    }


def measure(policy: CompiledPolicy, body: dict[str, Any], principal: Principal) -> tuple[float, float]:
    for _ in range(500):  # warm up caches and the regex engine
        evaluate(policy, body, principal, used_prompt=False)
    samples = []
    for _ in range(ROUNDS):
        started = time.perf_counter_ns()
        decision = evaluate(policy, body, principal, used_prompt=False)
        samples.append(time.perf_counter_ns() - started)
    assert not decision.blocked, decision.verdicts
    samples.sort()
    return statistics.median(samples) / 1000, samples[int(len(samples) * 0.99)] / 1000


def main() -> None:
    apply_offline_defaults()
    loaded = load_policies(POLICIES)
    services = PolicyServices()  # no PII detector: the research policy has no input PII rule
    only_research = PolicySet(loaded.version, {"research": loaded.policies["research"]})
    research = compile_policies(only_research, services).policies["research"]
    principal = Principal(team_id=1, team_name="research", key_id=1, key_prefix="gw-bench", policy="research")
    body = two_kb_request()
    median, p99 = measure(research, body, principal)
    print(f"research policy, {len(research.rules)} rules, 2 KB prompt: median {median:.1f} µs, p99 {p99:.1f} µs")

    # Force the tokenizer: a limit below the prompt's byte size (but above its token count).
    counted = list(research.rules)
    for index, rule in enumerate(counted):
        if rule.name == "max_input_tokens":
            counted[index] = MaxInputTokensSettings(type="max_input_tokens", limit=1000).build(rule.name, services)
    forced = CompiledPolicy(research.name, research.version, tuple(counted))
    median, p99 = measure(forced, body, principal)
    print(f"same policy, tiktoken counting every request: median {median:.1f} µs, p99 {p99:.1f} µs")


if __name__ == "__main__":
    main()
