"""OpenAI's moderation categories from what the filters found: Detoxify's labels onto the
categories they correspond to, the team's thresholds, the gateway's own findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from filters.base import FilterContext
from filters.config import DetoxifySettings
from filters.moderation import CATEGORIES, moderation_result
from filters.toxicity_detoxify import DetoxifyScorer
from tests.filters.helpers import PipelineFactory

pytestmark = pytest.mark.anyio

TEXT = "shut up, nobody wants to hear your stupid opinion"
EVERY_LABEL_FLAGS = {
    label: {"flag": 0.0, "block": 1.0}
    for label in ("toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack")
}


@pytest.fixture(scope="module")
def detoxify(tiny_detoxify: dict[str, Path]) -> DetoxifyScorer:
    settings = DetoxifySettings(
        checkpoint=str(tiny_detoxify["checkpoint"]), huggingface_config_path=str(tiny_detoxify["config"])
    )
    return DetoxifyScorer(settings)


async def test_detoxify_labels_score_the_categories_they_correspond_to(
    make_pipeline: PipelineFactory, detoxify: DetoxifyScorer
) -> None:
    pipeline = make_pipeline(scorer=detoxify)
    result = moderation_result(await pipeline.scan_text(TEXT, FilterContext()))
    labels = result["gateway"]["toxicity_scores"]
    scores = result["category_scores"]
    assert scores["harassment"] == max(labels[name] for name in ("toxicity", "severe_toxicity", "obscene", "insult"))
    assert scores["harassment/threatening"] == scores["violence"] == labels["threat"]
    assert scores["hate"] == labels["identity_attack"]
    judged = {"harassment", "harassment/threatening", "violence", "hate"}
    assert {name for name in CATEGORIES if result["category_applied_input_types"][name] == ["text"]} == judged
    assert all(scores[name] == 0 for name in CATEGORIES if name not in judged)


async def test_a_category_is_true_when_one_of_its_labels_reaches_the_flag_level(
    make_pipeline: PipelineFactory, detoxify: DetoxifyScorer
) -> None:
    pipeline = make_pipeline({"defaults": {"toxicity": {"thresholds": EVERY_LABEL_FLAGS}}}, scorer=detoxify)
    result = moderation_result(await pipeline.scan_text(TEXT, FilterContext()))
    assert result["flagged"] is True and result["gateway"]["action"] == "flag"
    assert {name for name, flagged in result["categories"].items() if flagged} == {
        "harassment",
        "harassment/threatening",
        "violence",
        "hate",
    }


async def test_a_label_without_a_threshold_scores_its_category_but_never_flags_it(
    make_pipeline: PipelineFactory, detoxify: DetoxifyScorer
) -> None:
    thresholds = {"threat": {"flag": 0.0, "block": 1.0}}
    pipeline = make_pipeline({"defaults": {"toxicity": {"thresholds": thresholds}}}, scorer=detoxify)
    result = moderation_result(await pipeline.scan_text(TEXT, FilterContext()))
    assert result["categories"]["harassment/threatening"] is True and result["categories"]["hate"] is False
    assert result["category_scores"]["hate"] > 0


async def test_a_failed_scorer_judges_no_category_and_is_named(make_pipeline: PipelineFactory) -> None:
    class BrokenScorer:
        backend = "broken"
        labels = ("toxicity",)
        inline = True

        def score_batch(self, texts: object) -> list[dict[str, float]]:
            raise RuntimeError("model file unreadable")

        def describe(self) -> dict[str, object]:
            return {"backend": self.backend}

    pipeline = make_pipeline(scorer=BrokenScorer())
    result = moderation_result(await pipeline.scan_text(TEXT, FilterContext()))
    assert result["gateway"]["failed_filters"] == ["toxicity"]
    assert not any(result["category_applied_input_types"].values())
    assert result["flagged"] is False  # toxicity's fail mode is pass by default
