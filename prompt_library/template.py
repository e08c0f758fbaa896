"""Prompt templates: chat messages with `{{variable}}` placeholders and typed variable declarations.

Substitution is plain text replacement in one pass: no expressions, no code, and a value that
itself contains `{{x}}` is inserted literally, never expanded again.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from prompt_library.errors import InvalidTemplate

PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
VariableType = Literal["string", "integer", "number", "boolean"]


def value_has_type(value: object, type_name: VariableType) -> bool:
    """Whether a JSON value is of the declared type (a boolean is not an integer here)."""
    if isinstance(value, bool):
        return type_name == "boolean"
    if type_name == "integer":
        return isinstance(value, int)
    if type_name == "number":
        return isinstance(value, int | float)
    return isinstance(value, str) if type_name == "string" else False


class TemplateMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["system", "developer", "user", "assistant"]
    content: str = Field(min_length=1)


class VariableSpec(BaseModel):
    """A declared variable; with a `default` it is optional, else required."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=64)
    type: VariableType = "string"
    description: str = ""
    default: str | int | float | bool | None = None
    choices: list[str | int | float | bool] | None = None

    @property
    def required(self) -> bool:
        return self.default is None

    @model_validator(mode="after")
    def _values_match_type(self) -> Self:
        for value in [*(self.choices or []), *([] if self.default is None else [self.default])]:
            if not value_has_type(value, self.type):
                raise ValueError(f"{value!r} is not of type {self.type}")
        if self.choices is not None and self.default is not None and self.default not in self.choices:
            raise ValueError(f"the default {self.default!r} is not one of the choices")
        return self


class PromptTemplate(BaseModel):
    """Messages and variables, checked together: every placeholder declared, every variable used."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    messages: list[TemplateMessage] = Field(min_length=1)
    variables: list[VariableSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _placeholders_match_variables(self) -> Self:
        declared = [v.name for v in self.variables]
        duplicates = sorted({name for name in declared if declared.count(name) > 1})
        if duplicates:
            raise ValueError(f"variables declared twice: {', '.join(duplicates)}")
        used = {name for message in self.messages for name in PLACEHOLDER.findall(message.content)}
        undeclared = sorted(used - set(declared))
        if undeclared:
            raise ValueError(f"placeholders without a declared variable: {', '.join(undeclared)}")
        unused = [name for name in declared if name not in used]
        if unused:
            raise ValueError(f"declared variables that no message uses: {', '.join(unused)}")
        return self

    def variable(self, name: str) -> VariableSpec | None:
        return next((v for v in self.variables if v.name == name), None)


def parse_template(messages: Any, variables: Any) -> PromptTemplate:
    """Validate raw messages and variables; raise InvalidTemplate naming the first bad key."""
    try:
        return PromptTemplate.model_validate({"messages": messages, "variables": variables or []})
    except ValidationError as exc:
        error = exc.errors()[0]
        where = ".".join(str(part) for part in error["loc"]) or None
        reason = error["msg"].removeprefix("Value error, ")
        message = f"Invalid prompt template at {where}: {reason}" if where else f"Invalid prompt template: {reason}"
        raise InvalidTemplate(message, param=where) from None
