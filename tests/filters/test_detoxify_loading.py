"""Detoxify's real loading and inference path, on a checkpoint built locally in Detoxify's format."""

from __future__ import annotations

from pathlib import Path

import pytest
from detoxify import Detoxify

from filters.base import FilterContext
from filters.config import DetoxifySettings, ToxicityFilterConfig, ToxicityScorerSettings
from filters.toxicity import ToxicityFilter
from filters.toxicity_backends import build_scorer
from filters.toxicity_detoxify import DetoxifyScorer, ToxicityModelUnavailable, load_detoxify

LABELS = ("toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack")


def test_a_local_checkpoint_loads_through_detoxify(tiny_detoxify: dict[str, Path]) -> None:
    model = load_detoxify(
        DetoxifySettings(
            checkpoint=str(tiny_detoxify["checkpoint"]), huggingface_config_path=str(tiny_detoxify["config"])
        )
    )
    assert isinstance(model, Detoxify)
    assert tuple(model.class_names) == LABELS


def test_a_checkpoint_naming_a_hub_model_is_rebased_onto_the_local_folder(tiny_detoxify: dict[str, Path]) -> None:
    # Offline, from_pretrained("bert-base-uncased") cannot resolve; the loader uses the local folder.
    settings = DetoxifySettings(
        checkpoint=str(tiny_detoxify["checkpoint_named_base"]),
        huggingface_config_path=str(tiny_detoxify["config"]),
    )
    scorer = DetoxifyScorer(settings)
    (scores,) = scorer.score_batch(["you are an idiot"])
    assert tuple(scores) == LABELS


def test_rebased_and_direct_loading_give_the_same_scores(tiny_detoxify: dict[str, Path]) -> None:
    config = str(tiny_detoxify["config"])
    direct = DetoxifyScorer(
        DetoxifySettings(checkpoint=str(tiny_detoxify["checkpoint"]), huggingface_config_path=config)
    )
    rebased = DetoxifyScorer(
        DetoxifySettings(checkpoint=str(tiny_detoxify["checkpoint_named_base"]), huggingface_config_path=config)
    )
    texts = ["have a nice day", "shut up you idiot"]
    for mine, theirs in zip(direct.score_batch(texts), rebased.score_batch(texts), strict=True):
        assert mine == pytest.approx(theirs)


def test_scores_are_probabilities_per_label_for_each_text(tiny_detoxify: dict[str, Path]) -> None:
    scorer = build_scorer(
        ToxicityScorerSettings(
            backend="detoxify",
            detoxify=DetoxifySettings(
                checkpoint=str(tiny_detoxify["checkpoint"]), huggingface_config_path=str(tiny_detoxify["config"])
            ),
        )
    )
    results = scorer.score_batch(["one text", "another text", "a third, longer text " * 40])
    assert len(results) == 3
    assert all(set(r) == set(LABELS) and all(0.0 <= v <= 1.0 for v in r.values()) for r in results)


def test_a_single_text_is_scored_like_in_a_batch(tiny_detoxify: dict[str, Path]) -> None:
    scorer = DetoxifyScorer(
        DetoxifySettings(
            checkpoint=str(tiny_detoxify["checkpoint"]), huggingface_config_path=str(tiny_detoxify["config"])
        )
    )
    (alone,) = scorer.score_batch(["shut up"])
    assert alone == pytest.approx(scorer.score_batch(["shut up", "shut up"])[0], abs=1e-5)


def test_the_detoxify_scorer_describes_its_checkpoint(tiny_detoxify: dict[str, Path]) -> None:
    settings = DetoxifySettings(
        checkpoint=str(tiny_detoxify["checkpoint"]), huggingface_config_path=str(tiny_detoxify["config"])
    )
    description = DetoxifyScorer(settings).describe()
    assert description["backend"] == "detoxify"
    assert description["labels"] == list(LABELS)
    assert description["checkpoint"] == str(tiny_detoxify["checkpoint"])


def test_the_toxicity_filter_runs_on_the_detoxify_backend(tiny_detoxify: dict[str, Path]) -> None:
    scorer = DetoxifyScorer(
        DetoxifySettings(
            checkpoint=str(tiny_detoxify["checkpoint"]), huggingface_config_path=str(tiny_detoxify["config"])
        )
    )
    result = ToxicityFilter(scorer, ToxicityFilterConfig()).scan("hello there", FilterContext())
    scores = result.details["scores"]
    assert isinstance(scores, dict) and set(scores) == set(LABELS)


def test_a_missing_checkpoint_is_reported_clearly(tmp_path: Path) -> None:
    with pytest.raises(ToxicityModelUnavailable, match="does not exist"):
        load_detoxify(DetoxifySettings(checkpoint=str(tmp_path / "none.ckpt")))


def test_a_file_that_is_not_a_detoxify_checkpoint_is_refused(tmp_path: Path, tiny_detoxify: dict[str, Path]) -> None:
    import torch

    bogus = tmp_path / "bogus.ckpt"
    torch.save({"weights": {}}, bogus)
    with pytest.raises(ToxicityModelUnavailable):
        load_detoxify(DetoxifySettings(checkpoint=str(bogus), huggingface_config_path=str(tiny_detoxify["config"])))


def test_a_model_type_offline_without_a_cached_checkpoint_fails_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import torch

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))  # an empty hub cache
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def offline(*args: object, **kwargs: object) -> None:
        raise OSError("network is unreachable")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(ToxicityModelUnavailable, match="profanity"):
        load_detoxify(DetoxifySettings(model_type="original"))
