"""The fields of a proposed prompt version: messages from text areas, variables from short lines."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from admin.web.guard import form_text

ROLES = ("system", "user")
TYPES = ("string", "integer", "number", "boolean")


class InvalidPromptForm(ValueError):
    """A line of the variables field cannot be read; the message names it."""


def _typed(value: str, type_name: str, line: str) -> str | int | float | bool:
    try:
        if type_name == "integer":
            return int(value)
        if type_name == "number":
            return float(value)
    except ValueError:
        raise InvalidPromptForm(f"In “{line}”: {value!r} is not a {type_name}.") from None
    if type_name == "boolean":
        if value.lower() not in {"true", "false"}:
            raise InvalidPromptForm(f"In “{line}”: a boolean default is true or false.")
        return value.lower() == "true"
    return value


def parse_variables(text: str) -> list[dict[str, Any]]:
    """One variable per line: `name`, `name:type`, `name=default` or `name:type=default`."""
    variables = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        head, has_default, default = line.partition("=")
        name, _, type_name = head.strip().partition(":")
        type_name = type_name.strip() or "string"
        if type_name not in TYPES:
            raise InvalidPromptForm(f"In “{line}”: the type must be one of {', '.join(TYPES)}.")
        variable: dict[str, Any] = {"name": name.strip(), "type": type_name}
        if has_default:
            variable["default"] = _typed(default.strip(), type_name, line)
        variables.append(variable)
    return variables


def variables_text(variables: list[dict[str, Any]]) -> str:
    """The inverse of parse_variables, to pre-fill the form with a version's variables."""
    lines = []
    for variable in variables:
        line = f"{variable['name']}:{variable.get('type', 'string')}"
        if variable.get("default") is not None:
            default = variable["default"]
            line += "=" + (str(default).lower() if isinstance(default, bool) else str(default))
        lines.append(line)
    return "\n".join(lines)


async def read_version_form(request: Request) -> tuple[list[dict[str, str]], list[dict[str, Any]], list[str]]:
    """Messages (non-empty text areas, system first), variables and model hints of the form."""
    messages = [
        {"role": role, "content": content.replace("\r\n", "\n")}
        for role in ROLES
        if (content := await form_text(request, role))
    ]
    hints = [h.strip() for h in (await form_text(request, "model_hints")).split(",") if h.strip()]
    return messages, parse_variables(await form_text(request, "variables")), hints
