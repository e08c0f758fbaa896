"""The review page shows each text of a stored answer with the findings whose spans refer to it."""

from __future__ import annotations

import json

from admin.web.highlight import answer_views, delivered_text


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
