"""Parsing admin API bodies into pydantic models, with OpenAI-format errors naming the field.

A body carries only the fields its route documents: every body model derives from `RequestBody`,
which refuses an unknown field with a 400 naming it rather than dropping it silently.
"""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.requests import Request

from gateway.core.errors import InvalidRequest


class RequestBody(BaseModel):
    """A JSON body of an admin or gateway route: its documented fields, nothing else."""

    model_config = ConfigDict(extra="forbid")


M = TypeVar("M", bound=RequestBody)


async def parse_body(request: Request, model: type[M]) -> M:
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        raise InvalidRequest(f"{field or 'body'}: {first['msg']}", param=field) from None
