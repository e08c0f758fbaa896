"""Small typed checks for request fields: each raises InvalidRequest naming the field's path.

A `Check` validates one value at a path (`messages[2].content`); `shape` checks an object against
an allowlist of fields, so an unknown field is an error wherever it sits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from gateway.core.errors import InvalidRequest

Check = Callable[[Any, str], None]

_TYPE_NAMES = {str: "a string", bool: "a boolean", dict: "an object", list: "an array"}


def _got(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def invalid_type(path: str, expected: str, value: Any) -> InvalidRequest:
    return InvalidRequest(
        f"Invalid type for '{path}': expected {expected}, but got {_got(value)} instead.",
        param=path,
        code="invalid_type",
    )


def invalid_value(path: str, message: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid '{path}': {message}", param=path, code="invalid_value")


def unknown_field(path: str) -> InvalidRequest:
    return InvalidRequest(f"Unknown parameter: '{path}'.", param=path, code="unknown_parameter")


def required_field(path: str) -> InvalidRequest:
    return InvalidRequest(f"Missing required parameter: '{path}'.", param=path, code="missing_required_parameter")


def boolean(value: Any, path: str) -> None:
    if not isinstance(value, bool):
        raise invalid_type(path, "a boolean", value)


def anything(value: Any, path: str) -> None:
    """Free-form JSON (a JSON schema, a tool's parameters): no field in it reaches routing."""


def integer(low: int | None = None, high: int | None = None) -> Check:
    def check(value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid_type(path, "an integer", value)
        if low is not None and value < low:
            raise invalid_value(path, f"expected a value >= {low}, but got {value} instead.")
        if high is not None and value > high:
            raise invalid_value(path, f"expected a value <= {high}, but got {value} instead.")

    return check


def number(low: float, high: float) -> Check:
    def check(value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise invalid_type(path, "a number", value)
        if not low <= value <= high:
            raise invalid_value(path, f"expected a value from {low:g} to {high:g}, but got {value} instead.")

    return check


def string(*choices: str, max_length: int | None = None) -> Check:
    allowed = frozenset(choices)

    def check(value: Any, path: str) -> None:
        if not isinstance(value, str):
            raise invalid_type(path, "a string", value)
        if allowed and value not in allowed:
            listed = ", ".join(f"'{choice}'" for choice in choices)
            raise invalid_value(path, f"expected one of {listed}, but got '{value[:40]}' instead.")
        if max_length is not None and len(value) > max_length:
            raise invalid_value(path, f"expected at most {max_length} characters, but got {len(value)}.")

    return check


def nullable(inner: Check) -> Check:
    def check(value: Any, path: str) -> None:
        if value is not None:
            inner(value, path)

    return check


def array_of(item: Check, *, min_items: int = 0, max_items: int | None = None) -> Check:
    def check(value: Any, path: str) -> None:
        if not isinstance(value, list):
            raise invalid_type(path, "an array", value)
        if len(value) < min_items:
            raise invalid_value(path, f"expected at least {min_items} item(s).")
        if max_items is not None and len(value) > max_items:
            raise invalid_value(path, f"expected at most {max_items} items, but got {len(value)}.")
        for index, element in enumerate(value):
            item(element, f"{path}[{index}]")

    return check


def string_map(*, max_keys: int, max_key_length: int, max_value_length: int) -> Check:
    """OpenAI's `metadata`: string keys to string values, bounded."""

    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise invalid_type(path, "an object", value)
        if len(value) > max_keys:
            raise invalid_value(path, f"expected at most {max_keys} keys, but got {len(value)}.")
        for key, element in value.items():
            if len(key) > max_key_length:
                raise invalid_value(f"{path}.{key[:40]}", f"keys are at most {max_key_length} characters.")
            if not isinstance(element, str):
                raise invalid_type(f"{path}.{key}", "a string", element)
            if len(element) > max_value_length:
                raise invalid_value(f"{path}.{key}", f"values are at most {max_value_length} characters.")

    return check


def either(expected: str, by_type: Mapping[type, Check]) -> Check:
    """A union chosen by the value's JSON type (a string or an array of parts, say)."""

    def check(value: Any, path: str) -> None:
        inner = by_type.get(type(value))
        if inner is None:
            raise invalid_type(path, expected, value)
        inner(value, path)

    return check


def shape(fields: Mapping[str, Check], required: tuple[str, ...] = ()) -> Check:
    """An object whose fields are all in `fields` (a null value counts as absent, as OpenAI's do)."""

    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise invalid_type(path, "an object", value)
        check_fields(value, fields, required, path)

    return check


def check_fields(value: dict[str, Any], fields: Mapping[str, Check], required: tuple[str, ...], path: str) -> None:
    prefix = f"{path}." if path else ""
    for name, element in value.items():
        inner = fields.get(name)
        if inner is None:
            raise unknown_field(prefix + name)
        if element is not None:
            inner(element, prefix + name)
    for name in required:
        if value.get(name) is None:
            raise required_field(prefix + name)


def tagged(tag: str, variants: Mapping[str, Check]) -> Check:
    """An object whose `tag` field (usually `type`) chooses the allowlist of its other fields."""
    listed = ", ".join(f"'{name}'" for name in variants)

    def check(value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise invalid_type(path, "an object", value)
        kind = value.get(tag)
        inner = variants.get(kind) if isinstance(kind, str) else None
        if inner is None:
            got = f"'{kind[:40]}'" if isinstance(kind, str) else _got(kind)
            raise invalid_value(f"{path}.{tag}", f"expected one of {listed}, but got {got} instead.")
        inner(value, path)

    return check
