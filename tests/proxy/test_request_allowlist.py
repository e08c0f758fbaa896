"""The chat and embeddings allowlists: only documented fields, typed and in range, pass; anything
else is a 400 naming the field. Random bodies (hypothesis) never get an unknown field through."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.core.errors import InvalidRequest
from gateway.proxy.openai_requests import CHAT_FIELDS, EMBEDDINGS_FIELDS, check_chat_request, check_embeddings_request

BASE = {"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)
unknown_names = st.text(min_size=1, max_size=20).filter(lambda name: name not in CHAT_FIELDS)


def _refusal(body: dict[str, Any], extras: frozenset[str] = frozenset()) -> InvalidRequest:
    with pytest.raises(InvalidRequest) as caught:
        check_chat_request(body, extras)
    return caught.value


def test_a_full_documented_request_passes() -> None:
    body = {
        **BASE,
        "messages": [
            {"role": "system", "content": "be brief"},
            {
                "role": "user",
                "content": [{"type": "text", "text": "hi"}, {"type": "image_url", "image_url": {"url": "x"}}],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "42"},
        ],
        "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
        "tool_choice": {"type": "function", "function": {"name": "f"}},
        "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": {}}},
        "temperature": 0.2,
        "top_p": 1,
        "max_tokens": 10,
        "stop": ["\n"],
        "stream": True,
        "stream_options": {"include_usage": True},
        "metadata": {"use_case": "uc-1"},
        "logit_bias": {"50256": -100},
        "seed": 1,
        "user": "u1",
        "n": 2,
        "prompt_cache_key": "team-a",
        "prompt_cache_retention": "in_memory",
        "prompt_cache_options": {"mode": "explicit", "ttl": "30m"},
        "service_tier": "fast",
    }
    assert check_chat_request(body) == "gpt-test"


@settings(max_examples=300, deadline=None)
@given(name=unknown_names, value=json_values)
def test_any_unknown_top_level_field_is_refused_by_name(name: str, value: Any) -> None:
    if value is None:
        value = 1  # a null field counts as absent, as OpenAI's do
    error = _refusal({**BASE, name: value})
    assert error.param == name
    assert error.code == "unknown_parameter"


@settings(max_examples=300, deadline=None)
@given(name=unknown_names, value=json_values)
def test_any_unknown_message_field_is_refused_by_its_path(name: str, value: Any) -> None:
    if name in ("role", "content", "name") or value is None:
        return
    error = _refusal({**BASE, "messages": [{"role": "user", "content": "hi", name: value}]})
    assert error.param == f"messages[0].{name}"


WRONG_TYPES: dict[str, list[Any]] = {
    "max_tokens": ["ten", True, 1.5, -1, 0, []],
    "temperature": ["hot", True, -0.1, 2.5, {}],
    "top_p": ["x", 1.5],
    "n": [0, 129, "2"],
    "stream": ["yes", 1],
    "stop": [5, ["a", "b", "c", "d", "e"], [1]],
    "tools": [{}, [{"type": "function"}], [{"type": "retrieval"}]],
    "tool_choice": ["always", {"type": "function"}],
    "response_format": [{"type": "xml"}, "json"],
    "logit_bias": [{"1": 101}, {"1": "x"}],
    "metadata": [{"k": 1}, {f"k{i}": "v" for i in range(17)}],
    "stream_options": [{"include_usage": "yes"}, {"other": True}],
    "messages": [[], "hi", [{"role": "wizard", "content": "x"}], [{"role": "user", "content": 1}], [{"content": "x"}]],
}


@pytest.mark.parametrize("field, value", [(f, v) for f, values in WRONG_TYPES.items() for v in values])
def test_a_documented_field_of_the_wrong_type_or_range_is_refused_naming_it(field: str, value: Any) -> None:
    error = _refusal({**BASE, field: value})
    assert error.param is not None and error.param.startswith(field)
    assert error.code in ("invalid_type", "invalid_value", "missing_required_parameter", "unknown_parameter")


def test_a_missing_model_or_messages_is_named() -> None:
    assert _refusal({"messages": BASE["messages"]}).param == "model"
    assert _refusal({"model": "m"}).param == "messages"


def test_extras_an_admin_allowed_pass_and_only_those() -> None:
    body = {**BASE, "top_k": 40}
    assert check_chat_request(body, frozenset({"top_k"})) == "gpt-test"
    assert _refusal(body, frozenset({"safe_prompt"})).param == "top_k"


def test_a_field_only_some_providers_take_is_unsupported_by_the_others() -> None:
    """Messages' top_k reaches a chat body; a model whose provider does not take it says so."""
    body = {**BASE, "top_k": 40}
    with pytest.raises(InvalidRequest) as refused:
        check_chat_request(body, frozenset(), frozenset({"top_k"}))
    assert (refused.value.param, refused.value.code) == ("top_k", "unsupported_parameter")
    assert str(refused.value) == "Unsupported parameter: 'top_k' is not supported with this model."
    assert check_chat_request(body, frozenset({"top_k"}), frozenset({"top_k"})) == "gpt-test"


def test_embeddings_allowlist() -> None:
    assert check_embeddings_request({"model": "e", "input": ["a", "b"], "dimensions": 8}) == "e"
    assert check_embeddings_request({"model": "e", "input": [[1, 2], [3]]}) == "e"
    refused: list[tuple[dict[str, Any], str]] = [
        ({"model": "e", "input": []}, "input"),
        ({"model": "e", "input": 3.5}, "input"),
        ({"model": "e", "input": "a", "encoding_format": "hex"}, "encoding_format"),
        ({"model": "e", "input": "a", "api_base": "x"}, "api_base"),
        ({"model": "e"}, "input"),
    ]
    for body, param in refused:
        with pytest.raises(InvalidRequest) as caught:
            check_embeddings_request(body)
        assert caught.value.param == param
    assert set(EMBEDDINGS_FIELDS) == {"model", "input", "dimensions", "encoding_format", "user"}
