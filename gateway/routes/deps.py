"""FastAPI dependencies: each hands a route the one service it uses, built in the lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.engine import Engine
from starlette.requests import Request

from filters.review_crypto import AnswerCipher
from gateway.core.types import Principal
from gateway.proxy.access import Access


async def key_principal(request: Request) -> Principal:
    """The calling key's principal (401 without a valid key)."""
    access: Access = request.app.state.access
    return await access.principal(request)


def database(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def review_cipher(request: Request) -> AnswerCipher:
    cipher: AnswerCipher = request.app.state.review_cipher
    return cipher


KeyPrincipal = Annotated[Principal, Depends(key_principal)]
Database = Annotated[Engine, Depends(database)]
ReviewCipher = Annotated[AnswerCipher, Depends(review_cipher)]
