"""The PII output filter: each operator's effect on an answer and on the verdict."""

from __future__ import annotations

import hashlib

import pytest

from filters.base import FilterContext, apply_replacements
from filters.blocklist import VersionedBlocklist
from filters.config import PiiEngineSettings, PiiFilterConfig, PiiOperator, TeamFilterConfig
from filters.pii import PiiFilter, build
from filters.pii_engine import PiiEngine
from filters.resources import FilterConfigError, FilterResources
from gateway.core.types import Action
from tests.filters.helpers import HASH_SALT

ANSWER = "Contact maria@example.com or call +1 (415) 555-0132."


def run(engine: PiiEngine, operator: PiiOperator, text: str = ANSWER) -> tuple[Action, str]:
    config = PiiFilterConfig(entities={"EMAIL_ADDRESS": operator, "PHONE_NUMBER": PiiOperator.REPLACE})
    result = PiiFilter(engine, config).scan(text, FilterContext())
    return result.action, apply_replacements(text, result.replacements)


def test_replace_puts_the_entity_type_in_place(patterns_engine: PiiEngine) -> None:
    assert run(patterns_engine, PiiOperator.REPLACE) == (
        Action.REDACT,
        "Contact <EMAIL_ADDRESS> or call <PHONE_NUMBER>.",
    )


def test_mask_hides_every_character(patterns_engine: PiiEngine) -> None:
    action, text = run(patterns_engine, PiiOperator.MASK)
    assert (action, text) == (Action.REDACT, "Contact ***************** or call <PHONE_NUMBER>.")


def test_hash_writes_the_salted_digest(patterns_engine: PiiEngine) -> None:
    digest = hashlib.sha256(("maria@example.com" + HASH_SALT).encode()).hexdigest()
    assert run(patterns_engine, PiiOperator.HASH) == (Action.REDACT, f"Contact {digest} or call <PHONE_NUMBER>.")


def test_block_withholds_the_answer(patterns_engine: PiiEngine) -> None:
    action, _ = run(patterns_engine, PiiOperator.BLOCK)
    assert action is Action.BLOCK


def test_flag_delivers_the_entity_unchanged_and_flags(patterns_engine: PiiEngine) -> None:
    assert run(patterns_engine, PiiOperator.FLAG) == (Action.FLAG, "Contact maria@example.com or call <PHONE_NUMBER>.")


def test_an_answer_without_pii_is_allowed_unchanged(patterns_engine: PiiEngine) -> None:
    assert run(patterns_engine, PiiOperator.REPLACE, "All good here.") == (Action.ALLOW, "All good here.")


def test_findings_carry_type_span_score_and_action(patterns_engine: PiiEngine) -> None:
    config = PiiFilterConfig(entities={"EMAIL_ADDRESS": PiiOperator.BLOCK})
    (finding,) = PiiFilter(patterns_engine, config).scan(ANSWER, FilterContext()).findings
    assert (finding.entity_type, ANSWER[finding.start : finding.end], finding.action) == (
        "EMAIL_ADDRESS",
        "maria@example.com",
        Action.BLOCK,
    )
    assert finding.score == pytest.approx(1.0)


def test_hash_without_a_salt_is_refused_at_build_time() -> None:
    unsalted = PiiEngine(PiiEngineSettings(mode="patterns"))
    config = TeamFilterConfig(pii=PiiFilterConfig(entities={"EMAIL_ADDRESS": PiiOperator.HASH}))
    resources = FilterResources(unsalted, None, VersionedBlocklist())
    with pytest.raises(FilterConfigError, match="salt"):
        build(config, resources)


@pytest.mark.parametrize(
    "disguised",
    [
        "maria\uff20example.com",  # full-width at sign
        "ma\u200bria@exam\u200bple.com",  # zero-width spaces inside
        "maria@ex\u0430mple.com",  # a Cyrillic a in the domain
        "\uff4d\uff41\uff52\uff49\uff41@example.com",  # full-width letters
    ],
)
def test_a_disguised_email_is_found_and_replaced_whole(patterns_engine: PiiEngine, disguised: str) -> None:
    text = f"Write to {disguised} today."
    action, redacted = run(patterns_engine, PiiOperator.REPLACE, text)
    assert (action, redacted) == (Action.REDACT, "Write to <EMAIL_ADDRESS> today.")


def test_the_ner_engine_finds_a_disguised_email_too(ner_engine: PiiEngine) -> None:
    found = ner_engine.analyze("Ask Maria: maria\uff20example.com", {"EMAIL_ADDRESS"})
    assert [(f.entity_type, f.start, f.end) for f in found] == [("EMAIL_ADDRESS", 11, 28)]
