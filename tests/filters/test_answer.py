"""Reading texts out of OpenAI answers and writing the filtered ones back."""

from __future__ import annotations

from typing import Any

from filters.answer import WITHHELD_MESSAGE, answer_slots, apply_decision
from filters.decision import AnswerDecision, ChoiceOutcome, SlotOutcome, TextOutcome, TextSlot
from gateway.core.chat_view import REASONING_FIELD, THINKING_FIELD
from gateway.core.types import Action


def test_completion_text_and_refusals_and_legacy_function_calls_are_read() -> None:
    body = {
        "choices": [
            {"index": 0, "text": "plain completion"},
            {"index": 1, "message": {"role": "assistant", "content": None, "refusal": "I cannot share a@b.co"}},
            {"index": 2, "message": {"role": "assistant", "function_call": {"name": "f", "arguments": '{"x": 1}'}}},
        ]
    }
    assert [(s.choice_index, s.field) for s in answer_slots(body)] == [
        (0, "text"),
        (1, "refusal"),
        (2, "function_call.arguments"),
    ]


def test_a_blocked_completion_choice_is_withheld() -> None:
    body = {"choices": [{"index": 0, "text": "secret", "finish_reason": "stop"}]}
    slot = TextSlot(0, "text", "secret")
    decision = AnswerDecision(
        Action.BLOCK, [ChoiceOutcome(0, Action.BLOCK, [SlotOutcome(slot, TextOutcome(Action.BLOCK, None, []))])]
    )
    choice = apply_decision(body, decision)["choices"][0]
    assert (choice["text"], choice["finish_reason"]) == (WITHHELD_MESSAGE, "content_filter")


def test_applying_a_decision_leaves_the_original_body_untouched() -> None:
    body: dict[str, Any] = {"choices": [{"index": 0, "message": {"role": "assistant", "content": "mail a@b.co"}}]}
    slot = TextSlot(0, "content", "mail a@b.co")
    decision = AnswerDecision(
        Action.REDACT,
        [ChoiceOutcome(0, Action.REDACT, [SlotOutcome(slot, TextOutcome(Action.REDACT, "mail <EMAIL_ADDRESS>", []))])],
    )
    out = apply_decision(body, decision)
    assert out["choices"][0]["message"]["content"] == "mail <EMAIL_ADDRESS>"
    assert body["choices"][0]["message"]["content"] == "mail a@b.co"


def test_reasoning_summaries_are_read_and_written_back() -> None:
    summary = [{"type": "summary_text", "text": "plan"}, {"type": "summary_text", "text": "mail a@b.co"}]
    message = {
        "role": "assistant",
        "content": "ok",
        REASONING_FIELD: [{"type": "reasoning", "id": "rs_1", "summary": summary}],
    }
    body: dict[str, Any] = {"choices": [{"index": 0, "message": message}]}
    slots = answer_slots(body)
    assert [(s.field, s.text) for s in slots] == [
        ("content", "ok"),
        (f"{REASONING_FIELD}.0.summary.0.text", "plan"),
        (f"{REASONING_FIELD}.0.summary.1.text", "mail a@b.co"),
    ]
    redacted = TextOutcome(Action.REDACT, "mail <EMAIL_ADDRESS>", [])
    decision = AnswerDecision(Action.REDACT, [ChoiceOutcome(0, Action.REDACT, [SlotOutcome(slots[2], redacted)])])
    out = apply_decision(body, decision)["choices"][0]["message"][REASONING_FIELD][0]["summary"]
    assert [part["text"] for part in out] == ["plan", "mail <EMAIL_ADDRESS>"]


def test_thinking_is_read_and_a_block_the_filters_would_change_is_left_out() -> None:
    blocks = [
        {"type": "thinking", "thinking": "mail a@b.co", "signature": "sig-a"},
        {"type": "redacted_thinking", "data": "opaque"},
        {"type": "thinking", "thinking": "plan", "signature": "sig-b"},
    ]
    body: dict[str, Any] = {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok", THINKING_FIELD: blocks}}]
    }
    slots = answer_slots(body)
    assert [(s.field, s.text) for s in slots] == [
        ("content", "ok"),
        (f"{THINKING_FIELD}.0.thinking", "mail a@b.co"),
        (f"{THINKING_FIELD}.2.thinking", "plan"),
    ]
    redacted = TextOutcome(Action.REDACT, "mail <EMAIL_ADDRESS>", [])
    unchanged = TextOutcome(Action.ALLOW, "plan", [])
    outcomes = [SlotOutcome(slots[1], redacted), SlotOutcome(slots[2], unchanged)]
    decision = AnswerDecision(Action.REDACT, [ChoiceOutcome(0, Action.REDACT, outcomes)])
    assert apply_decision(body, decision)["choices"][0]["message"][THINKING_FIELD] == blocks[1:]
