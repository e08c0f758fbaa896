"""The README's client examples, run as written against a gateway process: only the address and
the key change, as they would for a reader."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

from tests.helpers.gateway_process import GatewayProcess

README = Path(__file__).resolve().parents[2] / "README.md"


def _examples() -> str:
    section = README.read_text().split("## Using it from an application", 1)[1].split("\n## ", 1)[0]
    return "\n".join(re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL))


def _run(source: str) -> list[Any]:
    """Execute the examples; returns the value of each expression statement, in order."""
    tree = ast.parse(source)
    values: list[Any] = []
    namespace: dict[str, Any] = {"_values": values}
    for node in tree.body:
        if isinstance(node, ast.Expr):
            node = ast.Expr(
                ast.Call(ast.Attribute(ast.Name("_values", ast.Load()), "append", ast.Load()), [node.value], [])
            )
        module = ast.fix_missing_locations(ast.Module([node], []))
        exec(compile(module, str(README), "exec"), namespace)
    return values


def test_the_readme_examples_run_against_a_gateway(sqlite_gateway: GatewayProcess) -> None:
    key = sqlite_gateway.create_key("readme-team")
    source = _examples().replace("http://127.0.0.1:4000", sqlite_gateway.root_url).replace("sk-gw-…", key)
    chat, response, message, flagged, harassment, findings = _run(source)
    assert chat.choices[0].message.content == "Mock answer: Hello"
    assert response.output_text == "Mock answer: Hello"
    assert message.content[0].text == "Mock answer: Hello"
    assert flagged is True and harassment is True
    assert [(f["filter"], f["type"], f["action"]) for f in findings] == [
        ("pii", "EMAIL_ADDRESS", "redact"),
        ("toxicity", "profanity", "block"),
    ]
