"""JSON Schemas of the OpenAI objects the gateway builds itself, written from OpenAI's published
OpenAPI description (openai/openai-openapi: CreateChatCompletionResponse,
CreateChatCompletionStreamResponse, ChatCompletionResponseMessage, CompletionUsage, ErrorResponse,
Response, OutputMessage, OutputTextContent, RefusalContent, FunctionToolCall, ReasoningItem,
CustomToolCall, ResponseUsage, the Response*Event schemas and CreateModerationResponse): the
required fields, their types and their enumerations. Extra fields are allowed, as there."""

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
MODERATION_CATEGORIES = [
    "hate",
    "hate/threatening",
    "harassment",
    "harassment/threatening",
    "illicit",
    "illicit/violent",
    "self-harm",
    "self-harm/intent",
    "self-harm/instructions",
    "sexual",
    "sexual/minors",
    "violence",
    "violence/graphic",
]
# The categories whose scores may also apply to images; the others apply to text only.
IMAGE_CATEGORIES = {"self-harm", "self-harm/intent", "self-harm/instructions", "sexual", "violence", "violence/graphic"}
NULLABLE_CATEGORIES = {"illicit", "illicit/violent"}


def _per_category(value: Any) -> dict[str, Any]:
    return {"type": "object", "required": MODERATION_CATEGORIES, "properties": value}


MODERATION = {
    "type": "object",
    "required": ["id", "model", "results"],
    "properties": {
        "id": {"type": "string"},
        "model": {"type": "string"},
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["flagged", "categories", "category_scores", "category_applied_input_types"],
                "properties": {
                    "flagged": {"type": "boolean"},
                    "categories": _per_category(
                        {
                            name: {"type": ["boolean", "null"] if name in NULLABLE_CATEGORIES else "boolean"}
                            for name in MODERATION_CATEGORIES
                        }
                    ),
                    "category_scores": _per_category({name: {"type": "number"} for name in MODERATION_CATEGORIES}),
                    "category_applied_input_types": _per_category(
                        {
                            name: {
                                "type": "array",
                                "items": {"enum": ["text", "image"] if name in IMAGE_CATEGORIES else ["text"]},
                            }
                            for name in MODERATION_CATEGORIES
                        }
                    ),
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

OUTPUT_TEXT = {
    "type": "object",
    "required": ["type", "text", "annotations", "logprobs"],
    "properties": {
        "type": {"enum": ["output_text"]},
        "text": {"type": "string"},
        "annotations": {"type": "array"},
        "logprobs": {"type": "array"},
    },
}
OUTPUT_MESSAGE = {
    "type": "object",
    "required": ["id", "type", "role", "content", "status"],
    "properties": {
        "id": {"type": "string"},
        "type": {"enum": ["message"]},
        "role": {"enum": ["assistant"]},
        "status": {"enum": ["in_progress", "completed", "incomplete"]},
        "content": {
            "type": "array",
            "items": {
                "anyOf": [
                    OUTPUT_TEXT,
                    {
                        "type": "object",
                        "required": ["type", "refusal"],
                        "properties": {"type": {"enum": ["refusal"]}, "refusal": {"type": "string"}},
                    },
                ]
            },
        },
    },
}
FUNCTION_TOOL_CALL = {
    "type": "object",
    "required": ["type", "call_id", "name", "arguments"],
    "properties": {
        "type": {"enum": ["function_call"]},
        "id": {"type": "string"},
        "call_id": {"type": "string"},
        "name": {"type": "string"},
        "arguments": {"type": "string"},
        "status": {"enum": ["in_progress", "completed", "incomplete"]},
    },
}
REASONING_ITEM = {
    "type": "object",
    "required": ["type", "id", "summary"],
    "properties": {
        "type": {"enum": ["reasoning"]},
        "id": {"type": "string"},
        "summary": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["type", "text"],
                "properties": {"type": {"enum": ["summary_text"]}, "text": {"type": "string"}},
            },
        },
        "content": {  # absent (null as the SDK dumps it) unless the reasoning text is given
            "anyOf": [
                {"type": "null"},
                {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["type", "text"],
                        "properties": {"type": {"enum": ["reasoning_text"]}, "text": {"type": "string"}},
                    },
                },
            ]
        },
        "encrypted_content": NULLABLE_STRING,
        "status": {"anyOf": [{"type": "null"}, {"enum": ["in_progress", "completed", "incomplete"]}]},
    },
}
CUSTOM_TOOL_CALL = {
    "type": "object",
    "required": ["type", "call_id", "name", "input"],
    "properties": {
        "type": {"enum": ["custom_tool_call"]},
        "id": NULLABLE_STRING,
        "call_id": {"type": "string"},
        "name": {"type": "string"},
        "input": {"type": "string"},
    },
}
OUTPUT_ITEM = {"anyOf": [OUTPUT_MESSAGE, FUNCTION_TOOL_CALL, REASONING_ITEM, CUSTOM_TOOL_CALL]}
RESPONSE_USAGE = {
    "type": "object",
    "required": ["input_tokens", "input_tokens_details", "output_tokens", "output_tokens_details", "total_tokens"],
    "properties": {
        "input_tokens": {"type": "integer"},
        "input_tokens_details": {"type": "object", "required": ["cached_tokens", "cache_write_tokens"]},
        "output_tokens": {"type": "integer"},
        "output_tokens_details": {"type": "object", "required": ["reasoning_tokens"]},
        "total_tokens": {"type": "integer"},
    },
}
RESPONSE = {
    "type": "object",
    "required": [
        "id", "object", "created_at", "error", "incomplete_details", "instructions", "model", "tools", "output",
        "parallel_tool_calls", "metadata", "tool_choice", "temperature", "top_p",
    ],
    "properties": {
        "id": {"type": "string"},
        "object": {"enum": ["response"]},
        "created_at": {"type": "number"},
        "status": {"enum": ["completed", "failed", "in_progress", "cancelled", "queued", "incomplete"]},
        "incomplete_details": {
            "anyOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "properties": {"reason": {"enum": ["max_output_tokens", "content_filter"]}},
                },
            ]
        },
        "output": {"type": "array", "items": OUTPUT_ITEM},
        "usage": {"anyOf": [{"type": "null"}, RESPONSE_USAGE]},
        "tools": {"type": "array"},
        "metadata": {"anyOf": [{"type": "null"}, {"type": "object"}]},
    },
}  # fmt: skip


def _event(kind: str, **properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["type", "sequence_number", *properties],
        "properties": {"type": {"enum": [kind]}, "sequence_number": {"type": "integer"}, **properties},
    }


_INDEX = {"type": "integer"}
_STRING = {"type": "string"}
RESPONSE_EVENTS: dict[str, dict[str, Any]] = {
    "response.created": _event("response.created", response=RESPONSE),
    "response.in_progress": _event("response.in_progress", response=RESPONSE),
    "response.completed": _event("response.completed", response=RESPONSE),
    "response.incomplete": _event("response.incomplete", response=RESPONSE),
    "response.failed": _event("response.failed", response=RESPONSE),
    "response.output_item.added": _event("response.output_item.added", output_index=_INDEX, item=OUTPUT_ITEM),
    "response.output_item.done": _event("response.output_item.done", output_index=_INDEX, item=OUTPUT_ITEM),
    "response.content_part.added": _event(
        "response.content_part.added",
        item_id=_STRING,
        output_index=_INDEX,
        content_index=_INDEX,
        part={"type": "object"},
    ),
    "response.content_part.done": _event(
        "response.content_part.done",
        item_id=_STRING,
        output_index=_INDEX,
        content_index=_INDEX,
        part={"type": "object"},
    ),
    "response.output_text.delta": _event(
        "response.output_text.delta",
        item_id=_STRING,
        output_index=_INDEX,
        content_index=_INDEX,
        delta=_STRING,
        logprobs={"type": "array"},
    ),
    "response.output_text.done": _event(
        "response.output_text.done",
        item_id=_STRING,
        output_index=_INDEX,
        content_index=_INDEX,
        text=_STRING,
        logprobs={"type": "array"},
    ),
    "response.refusal.delta": _event(
        "response.refusal.delta", item_id=_STRING, output_index=_INDEX, content_index=_INDEX, delta=_STRING
    ),
    "response.refusal.done": _event(
        "response.refusal.done", item_id=_STRING, output_index=_INDEX, content_index=_INDEX, refusal=_STRING
    ),
    "response.function_call_arguments.delta": _event(
        "response.function_call_arguments.delta", item_id=_STRING, output_index=_INDEX, delta=_STRING
    ),
    "response.function_call_arguments.done": _event(
        "response.function_call_arguments.done", item_id=_STRING, output_index=_INDEX, arguments=_STRING
    ),
    "response.reasoning_text.delta": _event(
        "response.reasoning_text.delta", item_id=_STRING, output_index=_INDEX, content_index=_INDEX, delta=_STRING
    ),
    "response.reasoning_text.done": _event(
        "response.reasoning_text.done", item_id=_STRING, output_index=_INDEX, content_index=_INDEX, text=_STRING
    ),
    "response.custom_tool_call_input.delta": _event(
        "response.custom_tool_call_input.delta", item_id=_STRING, output_index=_INDEX, delta=_STRING
    ),
    "response.custom_tool_call_input.done": _event(
        "response.custom_tool_call_input.done", item_id=_STRING, output_index=_INDEX, input=_STRING
    ),
    "error": _event("error", code={"type": ["string", "null"]}, message=_STRING, param={"type": ["string", "null"]}),
}


def problems(schema: dict[str, Any], value: Any) -> list[str]:
    """Every way `value` breaks `schema`, as readable lines (empty when it conforms)."""
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '(top)'}: {error.message}"
        for error in Draft202012Validator(schema).iter_errors(value)
    ]
