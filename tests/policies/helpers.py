"""Helpers for the policy tests: request bodies and a deterministic PII detector."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from policies.compiled import CompiledPolicy
from policies.services import PiiSpan

CompilePolicy = Callable[..., CompiledPolicy]  # the compile_policy fixture: YAML text in, a policy out
SHIPPED_POLICIES = Path(__file__).resolve().parents[2] / "policies"


class EmailPhoneDetector:
    """A deterministic stand-in for Presidio in unit tests: regexes for e-mail addresses, phone
    numbers and card numbers. The app injects the real, shared Presidio analyzer; the end-to-end
    tests run with it."""

    _PATTERNS = (
        ("EMAIL_ADDRESS", re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")),
        ("PHONE_NUMBER", re.compile(r"\+?\d[\d -]{7,}\d")),
        ("CREDIT_CARD", re.compile(r"\b4\d{3}(?: ?\d{4}){3}\b")),
    )

    def analyze(self, text: str) -> list[PiiSpan]:
        spans = []
        for entity_type, pattern in self._PATTERNS:
            spans += [PiiSpan(entity_type, m.start(), m.end(), 0.9) for m in pattern.finditer(text)]
        # A card number also looks like a phone number: keep the card, as Presidio's scores would.
        cards = [s for s in spans if s.entity_type == "CREDIT_CARD"]
        return [s for s in spans if not any(s is not c and s.start < c.end and c.start < s.end for c in cards)]


def chat(text: str, **fields: Any) -> dict[str, Any]:
    """A chat request body with one user message."""
    return {"model": "mock-gpt", "messages": [{"role": "user", "content": text}], **fields}
