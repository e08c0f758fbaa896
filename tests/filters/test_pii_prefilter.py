"""The PII prefilter never changes what Presidio finds: prefilter + Presidio against Presidio
alone, on the labelled corpus and on generated text, plain and disguised."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from filters.config import DEFAULT_PII_ENTITIES, PiiEngineSettings
from filters.pii_engine import PiiEngine
from filters.pii_prefilter import candidate_entities, digit_count
from filters.pii_recognizers import PATTERN_RECOGNIZERS

CORPUS = [item["text"] for item in yaml.safe_load((Path(__file__).parent / "pii_corpus.yaml").read_text())]
ENTITIES = sorted(PATTERN_RECOGNIZERS)
PIECES = [
    "maria.gonzalez@example.com", "ops\uff20status.example.co.uk", "+1 (415) 555-0132", "415-555-0188",
    "020 7946 0958", "4111 1111 1111 1111", "5500-0000-0000-0004", "DE89 3704 0044 0532 0130 00",
    "GB82 WEST 1234 5698 7654 32", "203.0.113.42", "10.0.0.1", "2001:db8::8a2e:370:7334", "::1",
    "536-22-1234", "123456789", "12345-6789", "https://intranet.example.com/x?id=7", "www.example.org",
    "v1.2.3", "3.14", "at 10:30", "Note: fe80::1%eth0", "a:b", "1:2:3:4:5:6:7:8",
    "call 555 0100", "the", "report", "is", "ready", "Maria", "Paris", "@",
    "\u0664\u0661\u0665\u0665\u0665\u0665\u0660\u0661\u0663\u0662", "12", "2024-05-01", "ID: 77", "x@y",
    "a.b", "\uff21\uff22\uff11\uff12",
]  # fmt: skip
texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=12), min_size=1, max_size=25).map(" ".join)


def _found(engine: PiiEngine, text: str) -> list[tuple[str, int, int]]:
    return [(f.entity_type, f.start, f.end) for f in engine.analyze(text, ENTITIES, 0.0)]


@pytest.fixture(scope="module")
def engines() -> tuple[PiiEngine, PiiEngine]:
    return PiiEngine(PiiEngineSettings(mode="patterns")), PiiEngine(PiiEngineSettings(mode="patterns", prefilter=False))


def test_the_labelled_corpus_gives_the_same_findings_with_and_without_the_prefilter(
    engines: tuple[PiiEngine, PiiEngine],
) -> None:
    with_prefilter, without = engines
    found = 0
    for text in CORPUS:
        expected = _found(without, text)
        assert _found(with_prefilter, text) == expected, text
        found += len(expected)
    assert found > 20  # the corpus does hold pattern entities


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts)
def test_generated_text_gives_the_same_findings_with_and_without_the_prefilter(
    engines: tuple[PiiEngine, PiiEngine], text: str
) -> None:
    with_prefilter, without = engines
    assert _found(with_prefilter, text) == _found(without, text)


def test_an_answer_with_nothing_to_find_needs_no_recognizer() -> None:
    answer = "The quarterly report shows steady growth across every region, and the board is pleased. " * 6
    assert candidate_entities(answer, sorted(DEFAULT_PII_ENTITIES)) == ["LOCATION", "PERSON"]  # NER labels always run


def test_digits_are_counted_in_every_script() -> None:
    assert digit_count("call 555 0100") == 7
    assert digit_count("\u0664\u0661\u0665 \u0665\u0665\u0665") == 6
