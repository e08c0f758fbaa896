"""Use by reference: a request's `prompt` rendered into messages, its variables checked."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.core.errors import InvalidRequest
from prompt_library.errors import InvalidPromptVariables
from prompt_library.render import apply_prompt, parse_prompt_reference, render_messages
from prompt_library.template import PromptTemplate, parse_template
from tests.prompt_library.helpers import MESSAGES, VARIABLES

TEMPLATE: PromptTemplate = parse_template(MESSAGES, VARIABLES)


def body_with(prompt: Any, **fields: Any) -> dict[str, Any]:
    return {"model": "mock-gpt", "prompt": prompt, **fields}


def test_variables_are_substituted_and_defaults_filled_in() -> None:
    assert render_messages(TEMPLATE, {"customer": "Ms Ito"}, "support-reply") == [
        {"role": "system", "content": "Reply to Ms Ito about Acme Cloud in at most 5 sentences."}
    ]


def test_the_rendered_messages_come_before_the_requests_own_and_the_prompt_field_is_dropped() -> None:
    body = body_with(
        {"id": "support-reply", "variables": {"customer": "Ms Ito", "sentences": 3}},
        messages=[{"role": "user", "content": "Where is my invoice?"}],
        temperature=0.2,
    )
    reference = parse_prompt_reference(body)
    assert reference is not None and reference.version is None
    rendered = apply_prompt(body, TEMPLATE, reference)
    assert rendered == {
        "model": "mock-gpt",
        "temperature": 0.2,
        "messages": [
            {"role": "system", "content": "Reply to Ms Ito about Acme Cloud in at most 3 sentences."},
            {"role": "user", "content": "Where is my invoice?"},
        ],
    }
    assert "prompt" in body  # the caller's body is not modified


def test_a_value_that_looks_like_a_placeholder_is_inserted_literally() -> None:
    [message] = render_messages(TEMPLATE, {"customer": "{{product}} {% import os %}"}, "p")
    assert message["content"].startswith("Reply to {{product}} {% import os %} about Acme Cloud")


@pytest.mark.parametrize(
    ("variables", "param", "words"),
    [
        ({}, "prompt.variables.customer", "needs the variable 'customer'"),
        ({"customer": "x", "colour": "red"}, "prompt.variables.colour", "has no variable 'colour'"),
        ({"customer": 42}, "prompt.variables.customer", "must be of type string, not int"),
        ({"customer": "x", "sentences": "5"}, "prompt.variables.sentences", "must be of type integer, not str"),
        ({"customer": "x", "sentences": True}, "prompt.variables.sentences", "must be of type integer, not bool"),
        ({"customer": "x", "product": "Acme Car"}, "prompt.variables.product", "must be one of"),
    ],
)
def test_bad_variables_are_refused_naming_the_variable(variables: dict[str, Any], param: str, words: str) -> None:
    with pytest.raises(InvalidPromptVariables, match=words) as refused:
        render_messages(TEMPLATE, variables, "support-reply")
    error = refused.value.body()["error"]
    assert (refused.value.status_code, error["param"], error["type"]) == (400, param, "invalid_request_error")


def test_a_boolean_renders_as_true_or_false() -> None:
    template = parse_template(
        [{"role": "system", "content": "verbose={{verbose}}"}], [{"name": "verbose", "type": "boolean"}]
    )
    assert render_messages(template, {"verbose": False}, "p")[0]["content"] == "verbose=false"


def test_a_request_without_a_prompt_has_no_reference() -> None:
    assert parse_prompt_reference({"model": "m", "messages": []}) is None


def test_a_version_may_be_given_as_a_number_or_a_numeric_string() -> None:
    reference = parse_prompt_reference(body_with({"id": "p", "version": "3"}))
    assert reference is not None and reference.version == 3


@pytest.mark.parametrize(
    ("prompt", "param"),
    [
        ("support-reply", "prompt"),
        ({"version": 1}, "prompt.id"),
        ({"id": "p", "version": "latest"}, "prompt.version"),
        ({"id": "p", "version": 0}, "prompt.version"),
        ({"id": "p", "variables": ["a"]}, "prompt.variables"),
        ({"id": "p", "vars": {}}, "prompt.vars"),
    ],
)
def test_a_malformed_prompt_reference_is_refused_naming_the_field(prompt: Any, param: str) -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_prompt_reference(body_with(prompt))
    assert refused.value.param == param
