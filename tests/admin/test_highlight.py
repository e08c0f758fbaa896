"""The review page shows each text of a stored answer with the findings whose spans refer to it."""

from __future__ import annotations

import json

from admin.web.highlight import answer_views, delivered_text, toxicity_weigher
from filters.toxicity_profanity import ProfanityScorer


def completion(*contents: str) -> str:
    choices = [{"index": i, "message": {"role": "assistant", "content": c}} for i, c in enumerate(contents)]
    return json.dumps({"object": "chat.completion", "choices": choices})


def test_a_finding_marks_its_own_choice_only() -> None:
    finding = {
        "filter": "pii",
        "type": "EMAIL_ADDRESS",
        "start": 5,
        "end": 16,
        "score": 1.0,
        "choice": 1,
        "field": "content",
    }
    views = answer_views(completion("mail a@b.example now", "mail x@y.example now"), [finding])
    assert [view.title for view in views] == ["choice 0 · content", "choice 1 · content"]
    assert not any(s.marked for s in views[0].segments)
    assert [s.text for s in views[1].segments if s.marked] == ["x@y.example"]
    assert views[1].phrase == "x@y.example"


def test_a_stored_text_that_is_not_a_completion_is_shown_whole() -> None:
    views = answer_views("plain words", [{"start": 0, "end": 5, "choice": 0}])
    assert [s.text for s in views[0].segments] == ["plain", " words"]


def test_what_the_application_received_is_shown_as_its_texts() -> None:
    assert delivered_text(completion("one", "two")) == "one\n\ntwo"


def test_a_toxicity_verdict_on_the_whole_answer_marks_the_words_that_carried_it() -> None:
    text = "Thanks for waiting. You are a stupid idiot. Have a nice day."
    finding = {"filter": "toxicity", "type": "profanity", "start": 0, "end": len(text), "score": 0.99, "choice": 0}
    views = answer_views(completion(text), [finding], toxicity_weigher(ProfanityScorer()))
    assert [s.text for s in views[0].segments if s.marked] == ["stupid", "idiot"]
    assert views[0].phrase == "stupid"


def test_without_a_scorer_a_whole_answer_verdict_marks_nothing() -> None:
    text = "You are a stupid idiot."
    finding = {"filter": "toxicity", "type": "profanity", "start": 0, "end": len(text), "score": 0.99, "choice": 0}
    assert not any(s.marked for s in answer_views(completion(text), [finding], toxicity_weigher(None))[0].segments)
