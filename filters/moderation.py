"""What the filters made of a text, as one result of OpenAI's moderation object.

OpenAI's categories are judged by the toxicity scorer's labels that honestly correspond to them
(`LABEL_CATEGORIES`); a category no label scores gets 0, false and no applied input type. A
category is true when one of its labels reaches the team's flag level. `flagged` is the team's own
decision: true when its filters would withhold or flag the text (a toxicity level, a blocklist
entry, a PII operator `block` or `flag`, a failed filter in fail mode `block`), so it can be true
with every category false; the `gateway` field says why.
"""

from __future__ import annotations

from typing import Any

from filters.decision import TextOutcome
from filters.toxicity import FILTER_NAME as TOXICITY
from gateway.core.types import Action

CATEGORIES: tuple[str, ...] = (
    "harassment",
    "harassment/threatening",
    "hate",
    "hate/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
)

# Detoxify's labels and alt-profanity-check's one label (`profanity`, trained on insults and abusive
# comments) onto OpenAI's categories. A category scored by several labels takes the highest.
LABEL_CATEGORIES: dict[str, tuple[str, ...]] = {
    "toxicity": ("harassment",),
    "severe_toxicity": ("harassment",),
    "insult": ("harassment",),
    "obscene": ("harassment",),
    "profanity": ("harassment",),
    "threat": ("harassment/threatening", "violence"),
    "identity_attack": ("hate",),
    "sexual_explicit": ("sexual",),
}

FLAGGING = (Action.BLOCK, Action.FLAG)


def _label_scores(outcome: TextOutcome) -> tuple[dict[str, float], set[str]]:
    """The toxicity scorer's label scores, and the labels that reached the team's flag level."""
    for result in outcome.results:
        if result.filter == TOXICITY:
            scores = result.details.get("scores")  # absent when the scorer failed
            reached = {finding.entity_type for finding in result.findings}
            return (dict(scores) if isinstance(scores, dict) else {}), reached
    return {}, set()


def moderation_result(outcome: TextOutcome) -> dict[str, Any]:
    """One entry of a moderation response's `results`, with the gateway's own findings added."""
    label_scores, reached = _label_scores(outcome)
    categories = dict.fromkeys(CATEGORIES, False)
    scores = dict.fromkeys(CATEGORIES, 0.0)
    applied: dict[str, list[str]] = {category: [] for category in CATEGORIES}
    for label, score in label_scores.items():
        for category in LABEL_CATEGORIES.get(label, ()):
            scores[category] = max(scores[category], score)
            categories[category] = categories[category] or label in reached
            applied[category] = ["text"]
    return {
        "flagged": outcome.action in FLAGGING,
        "categories": categories,
        "category_scores": scores,
        "category_applied_input_types": applied,
        "gateway": {
            "action": outcome.action.value,
            "findings": [finding.as_record() for finding in outcome.findings],
            "toxicity_scores": label_scores,
            "failed_filters": [result.filter for result in outcome.results if result.error],
        },
    }
