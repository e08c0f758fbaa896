"""The documented fields of OpenAI's chat completions and embeddings requests, typed and
range-checked: anything else is a 400 naming the field, so nothing but what the API defines (and
what an admin allowed per model) ever reaches a provider or litellm.
"""

from __future__ import annotations

from typing import Any

from gateway.core.errors import InvalidRequest
from gateway.proxy.fields import (
    Check,
    anything,
    array_of,
    boolean,
    check_fields,
    either,
    integer,
    invalid_type,
    nullable,
    number,
    required_field,
    shape,
    string,
    string_map,
    tagged,
)

text_part = shape({"type": string("text"), "text": string()}, required=("text",))
image_part = shape(
    {"type": string(), "image_url": shape({"url": string(), "detail": string("auto", "low", "high")}, ("url",))},
    required=("image_url",),
)
audio_part = shape(
    {"type": string(), "input_audio": shape({"data": string(), "format": string("wav", "mp3")}, ("data", "format"))},
    required=("input_audio",),
)
file_part = shape(
    {"type": string(), "file": shape({"file_data": string(), "file_id": string(), "filename": string()})},
    required=("file",),
)
refusal_part = shape({"type": string(), "refusal": string()}, required=("refusal",))


def _content(parts: dict[str, Check]) -> Check:
    return either("a string or an array of content parts", {str: string(), list: array_of(tagged("type", parts))})


text_content = _content({"text": text_part})
user_content = _content({"text": text_part, "image_url": image_part, "input_audio": audio_part, "file": file_part})
assistant_content = _content({"text": text_part, "refusal": refusal_part})

function_call = shape({"name": string(), "arguments": string()}, required=("name", "arguments"))
tool_call = tagged(
    "type",
    {
        "function": shape({"id": string(), "type": string(), "function": function_call}, ("id", "function")),
        "custom": shape(
            {"id": string(), "type": string(), "custom": shape({"name": string(), "input": string()}, ("name",))},
            ("id", "custom"),
        ),
    },
)

message = tagged(
    "role",
    {
        "system": shape({"role": string(), "content": text_content, "name": string()}, ("content",)),
        "developer": shape({"role": string(), "content": text_content, "name": string()}, ("content",)),
        "user": shape({"role": string(), "content": user_content, "name": string()}, ("content",)),
        "assistant": shape(
            {
                "role": string(),
                "content": assistant_content,
                "name": string(),
                "refusal": string(),
                "tool_calls": array_of(tool_call),
                "function_call": function_call,
                "audio": shape({"id": string()}, ("id",)),
            }
        ),
        "tool": shape(
            {"role": string(), "content": text_content, "tool_call_id": string()}, ("content", "tool_call_id")
        ),
        "function": shape({"role": string(), "content": nullable(string()), "name": string()}, ("name",)),
    },
)

function_definition = shape(
    {"name": string(max_length=64), "description": string(), "parameters": anything, "strict": boolean},
    required=("name",),
)
tool = tagged(
    "type",
    {
        "function": shape({"type": string(), "function": function_definition}, ("function",)),
        "custom": shape(
            {
                "type": string(),
                "custom": shape({"name": string(), "description": string(), "format": anything}, ("name",)),
            },
            ("custom",),
        ),
    },
)
named_choice = tagged(
    "type",
    {
        "function": shape({"type": string(), "function": shape({"name": string()}, ("name",))}, ("function",)),
        "custom": shape({"type": string(), "custom": shape({"name": string()}, ("name",))}, ("custom",)),
        "allowed_tools": shape(
            {
                "type": string(),
                "allowed_tools": shape(
                    {"mode": string("auto", "required"), "tools": array_of(anything)},
                    ("mode", "tools"),
                ),
            },
            ("allowed_tools",),
        ),
    },
)
tool_choice = either("a string or an object", {str: string("none", "auto", "required"), dict: named_choice})
# Prompt caching and the service tier, the same in chat completions and Responses. Older SDKs send
# the retention as "in-memory", current ones as "in_memory"; both go upstream as sent.
PROMPT_CACHE_FIELDS: dict[str, Check] = {
    "prompt_cache_key": string(),
    "prompt_cache_retention": string("in_memory", "in-memory", "24h"),
    "prompt_cache_options": shape({"mode": string("implicit", "explicit"), "ttl": string("30m")}),
}
service_tier = string("auto", "default", "flex", "scale", "priority", "fast")
# The output formats both chat completions and Responses take (Responses flattens json_schema).
PLAIN_FORMATS: dict[str, Check] = {"text": shape({"type": string()}), "json_object": shape({"type": string()})}
JSON_SCHEMA_FIELDS: dict[str, Check] = {
    "name": string(max_length=64),
    "description": string(),
    "schema": anything,
    "strict": boolean,
}
response_format = tagged(
    "type",
    {
        **PLAIN_FORMATS,
        "json_schema": shape({"type": string(), "json_schema": shape(JSON_SCHEMA_FIELDS, ("name",))}, ("json_schema",)),
    },
)
stop = either("a string or an array of strings", {str: string(), list: array_of(string(), max_items=4)})
_bias = integer(-100, 100)


def _logit_bias(value: dict[str, Any], path: str) -> None:
    for key, bias in value.items():
        _bias(bias, f"{path}.{key}")


logit_bias = either("an object", {dict: _logit_bias})


metadata = string_map(max_keys=16, max_key_length=64, max_value_length=512)

CHAT_FIELDS: dict[str, Check] = {
    "model": string(),
    "messages": array_of(message, min_items=1),
    "audio": shape({"voice": string(), "format": string("wav", "aac", "mp3", "flac", "opus", "pcm16")}),
    "frequency_penalty": number(-2, 2),
    "function_call": either("a string or an object", {str: string("none", "auto"), dict: shape({"name": string()})}),
    "functions": array_of(function_definition, max_items=128),
    "logit_bias": logit_bias,
    "logprobs": boolean,
    "max_completion_tokens": integer(1),
    "max_tokens": integer(1),
    "metadata": metadata,
    "modalities": array_of(string("text", "audio")),
    "n": integer(1, 128),
    "parallel_tool_calls": boolean,
    "prediction": shape({"type": string("content"), "content": text_content}, ("content",)),
    "presence_penalty": number(-2, 2),
    **PROMPT_CACHE_FIELDS,
    "reasoning_effort": string("none", "minimal", "low", "medium", "high", "xhigh"),
    "response_format": response_format,
    "safety_identifier": string(max_length=64),
    "seed": integer(),
    "service_tier": service_tier,
    "stop": stop,
    "store": boolean,
    "stream": boolean,
    "stream_options": shape({"include_usage": boolean, "include_obfuscation": boolean}),
    "temperature": number(0, 2),
    "tool_choice": tool_choice,
    "tools": array_of(tool, max_items=128),
    "top_logprobs": integer(0, 20),
    "top_p": number(0, 1),
    "user": string(),
    "verbosity": string("low", "medium", "high"),
    "web_search_options": anything,
}

_embedding_item = either(
    "a string, a token or an array of tokens",
    {str: string(), int: integer(0), list: array_of(integer(0), min_items=1)},
)
_embedding_input = either(
    "a string or an array of strings or token arrays",
    {str: string(), list: array_of(_embedding_item, min_items=1, max_items=2048)},
)


EMBEDDINGS_FIELDS: dict[str, Check] = {
    "model": string(),
    "input": _embedding_input,
    "dimensions": integer(1),
    "encoding_format": string("float", "base64"),
    "user": string(),
}


def _check_body(
    body: dict[str, Any], fields: dict[str, Check], required: tuple[str, ...], extras: frozenset[str]
) -> str:
    allowed = {**fields, **dict.fromkeys(extras - fields.keys(), anything)} if extras else fields
    model = model_of(body)
    check_fields(body, allowed, required, "")
    return model


def check_chat_request(
    body: dict[str, Any], extras: frozenset[str] = frozenset(), provider_fields: frozenset[str] = frozenset()
) -> str:
    """The chat request's model group, once every field is known and well-typed; `extras` are the
    provider parameters an admin allowed for that model. `provider_fields`, which only some
    providers take (the caller's API defines them), are unsupported by a model that is not one."""
    unsupported = sorted(body.keys() & (provider_fields - extras))
    if unsupported:
        raise InvalidRequest(
            f"Unsupported parameter: '{unsupported[0]}' is not supported with this model.",
            param=unsupported[0],
            code="unsupported_parameter",
        )
    return _check_body(body, CHAT_FIELDS, ("messages",), extras)


def check_embeddings_request(body: dict[str, Any], extras: frozenset[str] = frozenset()) -> str:
    return _check_body(body, EMBEDDINGS_FIELDS, ("input",), extras)


def model_of(body: dict[str, Any]) -> str:
    """The requested model group, read before the full check (it chooses the allowed extras)."""
    model = body.get("model")
    if model is None or model == "":
        raise required_field("model")
    if not isinstance(model, str):
        raise invalid_type("model", "a string", model)
    return model
