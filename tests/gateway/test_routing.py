"""Routing units: the circuit, the scrubber."""

from __future__ import annotations

from gateway.core.scrub import Scrubber
from gateway.upstream.circuit import Circuit


def test_circuit_opens_after_allowed_fails_and_closes_after_cooldown() -> None:
    circuit = Circuit(allowed_fails=2, cooldown_seconds=10)
    assert circuit.record_failure(now=0) is False
    assert circuit.record_failure(now=1) is True
    assert not circuit.is_closed(now=5)
    assert circuit.is_closed(now=11)
    assert circuit.record_failure(now=12) is True  # the trial call failed: open again


def test_success_resets_the_failure_count() -> None:
    circuit = Circuit(allowed_fails=2, cooldown_seconds=10)
    circuit.record_failure(now=0)
    circuit.record_success()
    assert circuit.record_failure(now=1) is False


def test_scrubber_removes_known_secrets_urls_and_key_shapes() -> None:
    scrub = Scrubber(["provider-secret-value"])
    text = (
        "failed POST https://internal:8080/v1?key=1 with provider-secret-value, "
        "Authorization: Bearer abc.def and sk-proj-abcdefghijkl"
    )
    cleaned = scrub(text)
    for leaked in ("provider-secret-value", "internal:8080", "abc.def", "sk-proj-abcdefghijkl"):
        assert leaked not in cleaned
