"""JSON Schemas of the OpenAI objects the gateway builds itself, written from OpenAI's published
OpenAPI description (openai/openai-openapi: CreateChatCompletionResponse,
CreateChatCompletionStreamResponse, ChatCompletionResponseMessage, CompletionUsage, ErrorResponse):
the required fields, their types and their enumerations. Extra fields are allowed, as there."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

NULLABLE_STRING = {"type": ["string", "null"]}
FINISH_REASONS = ["stop", "length", "tool_calls", "content_filter", "function_call"]
USAGE = {
    "type": "object",
    "required": ["prompt_tokens", "completion_tokens", "total_tokens"],
    "properties": {name: {"type": "integer"} for name in ("prompt_tokens", "completion_tokens", "total_tokens")},
}
TOOL_CALL = {
    "type": "object",
    "required": ["id", "type", "function"],
    "properties": {
        "id": {"type": "string"},
        "type": {"enum": ["function"]},
        "function": {
            "type": "object",
            "required": ["name", "arguments"],
            "properties": {"name": {"type": "string"}, "arguments": {"type": "string"}},
        },
    },
}
LOGPROBS = {
    "anyOf": [
        {"type": "null"},
        {
            "type": "object",
            "required": ["content", "refusal"],
            "properties": {"content": {"type": ["array", "null"]}, "refusal": {"type": ["array", "null"]}},
        },
    ]
}
CHAT_COMPLETION = {
    "type": "object",
    "required": ["id", "object", "created", "model", "choices"],
    "properties": {
        "id": {"type": "string"},
        "object": {"enum": ["chat.completion"]},
        "created": {"type": "integer"},
        "model": {"type": "string"},
        "usage": USAGE,
        "choices": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["index", "message", "finish_reason", "logprobs"],
                "properties": {
                    "index": {"type": "integer"},
                    "finish_reason": {"enum": FINISH_REASONS},
                    "logprobs": LOGPROBS,
                    "message": {
                        "type": "object",
                        "required": ["role", "content", "refusal"],
                        "properties": {
                            "role": {"enum": ["assistant"]},
                            "content": NULLABLE_STRING,
                            "refusal": NULLABLE_STRING,
                            "tool_calls": {"type": "array", "items": TOOL_CALL},
                        },
                    },
                },
            },
        },
    },
}
CHAT_COMPLETION_CHUNK = {
    "type": "object",
    "required": ["id", "object", "created", "model", "choices"],
    "properties": {
        "id": {"type": "string"},
        "object": {"enum": ["chat.completion.chunk"]},
        "created": {"type": "integer"},
        "model": {"type": "string"},
        "usage": {"anyOf": [{"type": "null"}, USAGE]},
        "choices": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["index", "delta", "finish_reason"],
                "properties": {
                    "index": {"type": "integer"},
                    "finish_reason": {"enum": [*FINISH_REASONS, None]},
                    "logprobs": LOGPROBS,
                    "delta": {
                        "type": "object",
                        "properties": {
                            "role": {"enum": ["developer", "system", "user", "assistant", "tool"]},
                            "content": NULLABLE_STRING,
                            "refusal": NULLABLE_STRING,
                            "tool_calls": {"type": "array"},
                        },
                    },
                },
            },
        },
    },
}
ERROR_RESPONSE = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["type", "message", "param", "code"],
            "properties": {
                "type": {"type": "string"},
                "message": {"type": "string"},
                "param": NULLABLE_STRING,
                "code": NULLABLE_STRING,
            },
        }
    },
}


def problems(schema: dict[str, Any], value: Any) -> list[str]:
    """Every way `value` breaks `schema`, as readable lines (empty when it conforms)."""
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in Draft202012Validator(schema).iter_errors(value)
    ]
