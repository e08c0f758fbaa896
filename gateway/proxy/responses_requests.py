"""OpenAI's Responses request, checked against its documented fields and read into a chat
completions body: instructions, input as text or as items (messages with text and images, function
and custom tool calls and their outputs), function tools (and namespaces of them, as chat functions
named `<namespace>__<name>`), custom tools (a function of one string, their input), tool choice,
the text format, reasoning effort and the token limit.

Web search and a client-run tool search, which Codex CLI declares, are left out: the gateway runs no
built-in tool, so the model answers without them; for the same reason `max_tool_calls` (a limit on
built-in tool calls) has no part in chat, nor has `context_management` (the provider's compaction of
a long conversation): both go only to an upstream that speaks Responses. Other built-in tools (file
search, computer use), background runs and conversation objects are refused with a 400 naming them.
Codex's `client_metadata` (its session and turn ids) is read and never sent on: OpenAI's API
refuses it."""

from __future__ import annotations

from typing import Any

from gateway.core.chat_view import REASONING_FIELD, custom_arguments, namespaced
from gateway.proxy.fields import (
    Check,
    anything,
    array_of,
    boolean,
    check_fields,
    either,
    integer,
    invalid_value,
    nullable,
    number,
    shape,
    string,
    string_map,
    tagged,
)
from gateway.proxy.openai_requests import JSON_SCHEMA_FIELDS, PLAIN_FORMATS, PROMPT_CACHE_FIELDS, service_tier

input_text = shape({"type": string(), "text": string()}, ("text",))
input_image = shape(
    {"type": string(), "image_url": string(), "file_id": string(), "detail": string("auto", "low", "high", "original")},
    ("image_url",),
)
output_text = shape({"type": string(), "text": string(), "annotations": anything, "logprobs": anything}, ("text",))
refusal = shape({"type": string(), "refusal": string()}, ("refusal",))
input_content = either(
    "a string or an array of content parts",
    {str: string(), list: array_of(tagged("type", {"input_text": input_text, "input_image": input_image}))},
)
assistant_content = either(
    "a string or an array of content parts",
    {str: string(), list: array_of(tagged("type", {"output_text": output_text, "refusal": refusal}))},
)
_message_fields = {"type": string("message"), "content": input_content, "id": string(), "status": string()}
message_item = tagged(
    "role",
    {
        "user": shape({**_message_fields, "role": string()}, ("content",)),
        "system": shape({**_message_fields, "role": string()}, ("content",)),
        "developer": shape({**_message_fields, "role": string()}, ("content",)),
        "assistant": shape({**_message_fields, "role": string(), "content": assistant_content}, ("content",)),
    },
)
function_call_item = shape(
    {
        "type": string(),
        "id": string(),
        "call_id": string(),
        "name": string(),
        "arguments": string(),
        "status": string("in_progress", "completed", "incomplete"),
        "namespace": string(),
    },
    ("call_id", "name", "arguments"),
)
tool_output = either(  # what a function or a custom tool gave back
    "a string or an array of content parts",
    {str: string(), list: array_of(tagged("type", {"input_text": input_text}))},
)
function_call_output_item = shape(
    {
        "type": string(),
        "id": string(),
        "call_id": string(),
        "output": tool_output,
        "status": string("in_progress", "completed", "incomplete"),
        "namespace": nullable(string()),
    },
    ("call_id", "output"),
)
custom_tool_call_item = shape(
    {"type": string(), "id": string(), "call_id": string(), "name": string(), "input": string(), "namespace": string()},
    ("call_id", "name", "input"),
)
custom_tool_call_output_item = shape(
    {"type": string(), "id": string(), "call_id": string(), "output": tool_output}, ("call_id", "output")
)
# A reasoning item an answer carried (its encrypted content is the provider's to read), sent back
# by a client that keeps no state: passed on to a Responses-speaking upstream, dropped for chat.
reasoning_item = shape(
    {
        "type": string(),
        "id": string(),
        "summary": array_of(tagged("type", {"summary_text": shape({"type": string(), "text": string()}, ("text",))})),
        "content": nullable(
            array_of(tagged("type", {"reasoning_text": shape({"type": string(), "text": string()}, ("text",))}))
        ),
        "encrypted_content": nullable(string()),
        "status": string("in_progress", "completed", "incomplete"),
    },
    ("id", "summary"),
)
_typed_items = tagged(
    "type",
    {
        "message": message_item,
        "function_call": function_call_item,
        "function_call_output": function_call_output_item,
        "custom_tool_call": custom_tool_call_item,
        "custom_tool_call_output": custom_tool_call_output_item,
        "reasoning": reasoning_item,
    },
)


def _input_item(value: Any, path: str) -> None:
    """An item is a message when it has a role and no type other than `message` (the easy form)."""
    if isinstance(value, dict) and "role" in value and value.get("type", "message") == "message":
        message_item(value, path)
    else:
        _typed_items(value, path)


function_tool = shape(
    {
        "type": string(),
        "name": string(max_length=64),
        "description": nullable(string()),
        "parameters": anything,
        "strict": boolean,
    },
    ("name",),
)
namespace_function = shape(
    {
        "type": string(),
        "name": string(max_length=64),
        "description": nullable(string()),
        "parameters": anything,
        "strict": nullable(boolean),
        "defer_loading": boolean,
        "output_schema": anything,
        "allowed_callers": nullable(array_of(string("direct", "programmatic"))),
    },
    ("name",),
)
namespace_tool = shape(
    {
        "type": string(),
        "name": string(max_length=64),
        "description": string(),
        "tools": array_of(tagged("type", {"function": namespace_function}), max_items=128),
    },
    ("name", "description", "tools"),
)
web_search_tool = shape(  # declared by Codex CLI; left out (above)
    {
        "type": string(),
        "external_web_access": boolean,
        "filters": anything,
        "search_context_size": string("low", "medium", "high"),
        "search_content_types": array_of(string()),
        "user_location": anything,
    }
)
custom_tool = shape(  # a freeform tool: the model writes its input as text (Codex's apply_patch)
    {
        "type": string(),
        "name": string(max_length=64),
        "description": string(),
        "format": tagged(
            "type",
            {
                "text": shape({"type": string()}),
                "grammar": shape(
                    {"type": string(), "syntax": string("lark", "regex"), "definition": string()},
                    ("syntax", "definition"),
                ),
            },
        ),
    },
    ("name",),
)
tool_search_tool = shape(  # declared by Codex CLI; left out (above)
    {
        "type": string(),
        "execution": string("server", "client"),
        "description": nullable(string()),
        "parameters": anything,
    }
)
LEFT_OUT_TOOLS = ("web_search", "web_search_preview", "tool_search")  # built-in: the gateway runs none
# A custom tool's call in chat: a function of one string argument, its input.
CUSTOM_INPUT = {"type": "object", "properties": {"input": {"type": "string"}}, "required": ["input"]}
named_tool = shape({"type": string(), "name": string()}, ("name",))
named_tools = {"function": named_tool, "custom": named_tool}
tool_choice = either(
    "a string or an object",
    {
        str: string("none", "auto", "required"),
        dict: tagged(
            "type",
            {
                **named_tools,
                "allowed_tools": shape(
                    {
                        "type": string(),
                        "mode": string("auto", "required"),
                        "tools": array_of(tagged("type", named_tools), min_items=1),
                    },
                    ("mode", "tools"),
                ),
            },
        ),
    },
)
text_format = tagged(
    "type",
    {**PLAIN_FORMATS, "json_schema": shape({"type": string(), **JSON_SCHEMA_FIELDS}, ("name", "schema"))},
)

RESPONSES_FIELDS: dict[str, Check] = {
    "model": string(),
    "input": either("a string or an array of input items", {str: string(), list: array_of(_input_item)}),
    "instructions": string(),
    "tools": array_of(
        tagged(
            "type",
            {
                "function": function_tool,
                "namespace": namespace_tool,
                "custom": custom_tool,
                "tool_search": tool_search_tool,
                **dict.fromkeys(("web_search", "web_search_preview"), web_search_tool),
            },
        ),
        max_items=128,
    ),
    "tool_choice": tool_choice,
    "parallel_tool_calls": boolean,
    "max_output_tokens": integer(1),
    "temperature": number(0, 2),
    "top_p": number(0, 1),
    "top_logprobs": integer(0, 20),
    "text": shape({"format": text_format, "verbosity": string("low", "medium", "high")}),
    "reasoning": shape(
        {
            "effort": string("none", "minimal", "low", "medium", "high", "xhigh"),
            "summary": string("auto", "concise", "detailed"),
        }
    ),
    "metadata": string_map(max_keys=16, max_key_length=64, max_value_length=512),
    "user": string(),
    "safety_identifier": string(max_length=64),
    **PROMPT_CACHE_FIELDS,
    "service_tier": service_tier,
    "store": boolean,
    "stream": boolean,
    "stream_options": shape({"include_obfuscation": boolean}),
    "previous_response_id": string(),
    "truncation": string("auto", "disabled"),
    "include": array_of(string()),
    "prompt": anything,  # a library prompt reference {id, version, variables}, checked where it is rendered
    "background": boolean,
    "conversation": anything,  # refused below: the gateway keeps no conversation objects
    # For built-in tools and the provider's compaction: sent to a Responses upstream, not to chat.
    "max_tool_calls": integer(0),
    "context_management": array_of(
        shape({"type": string("compaction"), "compact_threshold": nullable(integer(1))}, ("type",))
    ),
    "client_metadata": string_map(max_keys=64, max_key_length=128, max_value_length=16_384),  # Codex's, read only
}


# Fields whose name and meaning are the same in both APIs.
PASSED_AS_THEY_ARE = (
    "temperature",
    "top_p",
    "top_logprobs",
    "parallel_tool_calls",
    "metadata",
    "user",
    "safety_identifier",
    *PROMPT_CACHE_FIELDS,
    "service_tier",
    "prompt",
)


def check_responses_request(body: dict[str, Any]) -> None:
    check_fields(body, RESPONSES_FIELDS, ("model",), "")
    if body.get("background"):
        raise invalid_value("background", "background responses are not served by this gateway.")
    if body.get("conversation") is not None:
        raise invalid_value(
            "conversation", "conversations are not kept by this gateway: continue a response with previous_response_id."
        )
    if body.get("input") is None and body.get("prompt") is None:
        raise invalid_value("input", "a response needs an input (or a library prompt).")


def _parts(content: str | list[dict[str, Any]]) -> str | list[dict[str, Any]]:
    if isinstance(content, str):
        return content
    parts: list[dict[str, Any]] = []
    for part in content:
        if part["type"] == "input_image":
            image: dict[str, Any] = {"url": part["image_url"]}
            if part.get("detail") in ("low", "high", "auto"):
                image["detail"] = part["detail"]
            parts.append({"type": "image_url", "image_url": image})
        else:
            parts.append({"type": "text", "text": part.get("text", part.get("refusal", ""))})
    return parts


def chat_tools(tools: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Function tools, each namespace's, and custom tools (a function of their input) as chat
    functions; built-in tools left out."""
    functions: list[tuple[dict[str, Any], str | None]] = []
    for tool in tools:
        if tool["type"] == "function":
            functions.append((tool, None))
        elif tool["type"] == "custom":
            functions.append(({**tool, "parameters": CUSTOM_INPUT, "description": _custom_description(tool)}, None))
        elif tool["type"] == "namespace":
            functions += [(function, tool["name"]) for function in tool["tools"]]
    return [
        {
            "type": "function",
            "function": {
                "name": namespaced(function["name"], namespace),
                **{
                    key: function[key]
                    for key in ("description", "parameters", "strict")
                    if function.get(key) is not None
                },
            },
        }
        for function, namespace in functions
    ]


def tool_kinds(tools: list[dict[str, Any]]) -> tuple[tuple[str, ...], frozenset[str]]:
    """The request's namespaces (their functions' chat names are `<namespace>__<name>`) and its
    custom tools (called in chat as functions of one string argument, `input`)."""
    namespaces = tuple(tool["name"] for tool in tools if tool["type"] == "namespace")
    return namespaces, frozenset(tool["name"] for tool in tools if tool["type"] == "custom")


def _chat_tool_choice(choice: str | dict[str, Any]) -> str | dict[str, Any]:
    """A tool choice in chat's shape; a custom tool is a chat function there."""
    if isinstance(choice, str):
        return choice
    if choice["type"] == "allowed_tools":
        tools = [_chat_tool_choice(tool) for tool in choice["tools"]]
        return {"type": "allowed_tools", "allowed_tools": {"mode": choice["mode"], "tools": tools}}
    return {"type": "function", "function": {"name": choice["name"]}}


def _custom_description(tool: dict[str, Any]) -> str:
    """A custom tool's description, with the grammar its input follows (chat cannot enforce it)."""
    description = tool.get("description") or ""
    grammar = (tool.get("format") or {}).get("definition")
    return f"{description}\n\nThe input follows this grammar:\n{grammar}" if grammar else description


def _output_text(output: str | list[dict[str, Any]]) -> str:
    return output if isinstance(output, str) else "".join(part["text"] for part in output)


def chat_messages(
    instructions: str | None, items: str | list[dict[str, Any]] | None, reasoning: bool = False
) -> list[dict[str, Any]]:
    """The conversation as chat messages; consecutive function calls become one assistant turn.
    Reasoning items are the provider's own, sealed, and a chat turn has no place for them: they are
    left out, or, with `reasoning`, kept with the assistant turn that follows them (REASONING_FIELD)
    for a stored conversation that a Responses-speaking upstream will continue."""
    messages: list[dict[str, Any]] = []
    if instructions:
        messages.append({"role": "system", "content": instructions})
    if isinstance(items, str):
        return [*messages, {"role": "user", "content": items}]
    thoughts: list[dict[str, Any]] = []  # reasoning items waiting for their assistant turn
    for item in items or []:
        kind = item.get("type", "message")
        if kind in ("function_call", "custom_tool_call"):
            arguments = item["arguments"] if kind == "function_call" else custom_arguments(item["input"])
            call = {
                "id": item["call_id"],
                "type": "function",
                "function": {"name": namespaced(item["name"], item.get("namespace")), "arguments": arguments},
            }
            last = messages[-1] if messages else None
            if last is None or last["role"] != "assistant" or last.get("tool_calls") is None:
                last = {"role": "assistant", "content": None, "tool_calls": []}
                messages.append(last)
            last["tool_calls"].append(call)
        elif kind in ("function_call_output", "custom_tool_call_output"):
            messages.append({"role": "tool", "tool_call_id": item["call_id"], "content": _output_text(item["output"])})
        elif kind == "reasoning":
            if reasoning:
                thoughts.append(item)
            continue
        else:
            content = _parts(item["content"])
            if item["role"] == "assistant" and isinstance(content, list):
                content = "".join(part["text"] for part in content)
            messages.append({"role": item["role"], "content": content})
        if thoughts and messages[-1]["role"] == "assistant":
            messages[-1].setdefault(REASONING_FIELD, []).extend(thoughts)
            thoughts = []
    return messages


def without_reasoning(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Chat messages as a chat upstream takes them: without the reasoning items kept with them."""
    return [
        {name: value for name, value in message.items() if name != REASONING_FIELD}
        if REASONING_FIELD in message
        else message
        for message in messages
    ]


def _response_format(text_format: dict[str, Any]) -> dict[str, Any]:
    if text_format["type"] != "json_schema":
        return {"type": text_format["type"]}
    schema = {key: text_format[key] for key in ("name", "description", "schema", "strict") if key in text_format}
    return {"type": "json_schema", "json_schema": schema}


def chat_body(body: dict[str, Any], history: list[dict[str, Any]]) -> dict[str, Any]:
    """A checked Responses request as a chat completions body, after the `history` of the
    conversation its `previous_response_id` names (instructions are not carried over, as OpenAI's)."""
    messages = [
        *chat_messages(body.get("instructions"), None),
        *without_reasoning(history),
        *chat_messages(None, body.get("input")),
    ]
    chat: dict[str, Any] = {"model": body["model"], "messages": messages}
    for name in PASSED_AS_THEY_ARE:
        if body.get(name) is not None:
            chat[name] = body[name]
    if body.get("top_logprobs"):
        chat["logprobs"] = True
    if body.get("max_output_tokens") is not None:
        chat["max_completion_tokens"] = body["max_output_tokens"]
    tools = chat_tools(body.get("tools") or [])
    if tools:
        chat["tools"] = tools
    if body.get("tool_choice") is not None:
        chat["tool_choice"] = _chat_tool_choice(body["tool_choice"])
    text = body.get("text") or {}
    if text.get("format"):
        chat["response_format"] = _response_format(text["format"])
    if text.get("verbosity"):
        chat["verbosity"] = text["verbosity"]
    effort = (body.get("reasoning") or {}).get("effort")
    if effort:
        chat["reasoning_effort"] = effort
    if body.get("stream"):
        chat["stream"] = True
        chat["stream_options"] = {"include_usage": True}  # the last event reports usage
    return chat
