"""FastAPI dependencies: each hands a route the one service it uses, built in the lifespan."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.engine import Engine
from starlette.requests import Request

from filters.review_crypto import AnswerCipher


def database(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def review_cipher(request: Request) -> AnswerCipher:
    cipher: AnswerCipher = request.app.state.review_cipher
    return cipher


Database = Annotated[Engine, Depends(database)]
ReviewCipher = Annotated[AnswerCipher, Depends(review_cipher)]
