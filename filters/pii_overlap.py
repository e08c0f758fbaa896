"""Cutting Presidio's known false positives by trusting the more precise finding where two overlap.

The spaCy model calls an e-mail address an ORGANIZATION, an IP address or card digits a DATE_TIME;
the phone recognizer reads an IPv4 address as a phone number; the URL recognizer finds the domain
inside an e-mail address. Validated patterns (checksums, strict formats) are far more precise than
NER labels or loose patterns, so where findings overlap, the one with the higher precision rank
wins and the other is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable

from filters.base import Finding

# Higher is more precise. Entities not listed rank lowest (custom recognizers, NER labels).
PRECISION_RANK: dict[str, int] = {
    "EMAIL_ADDRESS": 100,
    "IBAN_CODE": 95,
    "CREDIT_CARD": 90,
    "US_SSN": 85,
    "IP_ADDRESS": 80,
    "PHONE_NUMBER": 70,
    "URL": 60,
    "PERSON": 30,
    "LOCATION": 25,
    "ORGANIZATION": 20,
    "NRP": 15,
    "DATE_TIME": 10,
}


def _rank(finding: Finding) -> tuple[int, float, int]:
    return PRECISION_RANK.get(finding.entity_type, 0), finding.score, finding.end - finding.start


def resolve_overlaps(findings: Iterable[Finding]) -> list[Finding]:
    """Keep, among overlapping findings, only the most precise one; sorted by position."""
    kept: list[Finding] = []
    for finding in sorted(findings, key=_rank, reverse=True):
        if not any(finding.overlaps(other) for other in kept):
            kept.append(finding)
    return sorted(kept, key=lambda f: (f.start, f.end))
