"""How to call a library prompt from the official openai SDK, as shown on the prompt's page.

The gateway reads the reference from the request body as `"prompt": {"id", "version", "variables"}`
(prompt_library/render.py); the SDK sends fields it does not know through `extra_body`.
"""

from __future__ import annotations

from typing import Any

EXAMPLES: dict[str, Any] = {"string": "example", "integer": 1, "number": 1.5, "boolean": True}


def example_variables(variables: list[dict[str, Any]]) -> dict[str, Any]:
    """A value for each variable: its default, else its first choice, else an example of its type."""
    values = {}
    for spec in variables:
        if spec.get("default") is not None:
            values[spec["name"]] = spec["default"]
        elif spec.get("choices"):
            values[spec["name"]] = spec["choices"][0]
        else:
            values[spec["name"]] = EXAMPLES.get(spec.get("type", "string"), "example")
    return values


def openai_snippet(base_url: str, model: str, prompt: str, version: int, variables: list[dict[str, Any]]) -> str:
    """Python that calls `prompt` at `version` through the gateway and prints the answer."""
    reference = {"id": prompt, "version": version, "variables": example_variables(variables)}
    return "\n".join(
        [
            "import os",
            "",
            "from openai import OpenAI",
            "",
            f'client = OpenAI(base_url={base_url.rstrip("/") + "/v1"!r}, api_key=os.environ["GATEWAY_API_KEY"])',
            "answer = client.chat.completions.create(",
            f"    model={model!r},",
            "    messages=[],  # the prompt's messages come first; add the conversation's own here",
            f'    extra_body={{"prompt": {reference!r}}},',
            ")",
            "print(answer.choices[0].message.content)",
        ]
    )
