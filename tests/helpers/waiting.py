"""Waiting for something to happen: poll a condition until it holds, and fail at a deadline.

Tests wait this way instead of sleeping a fixed time: a fixed sleep is either longer than needed or,
on a busy machine, too short.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, overload

T = TypeVar("T")


def wait_until(condition: Callable[[], T | None], *, timeout: float, interval: float = 0.1, waiting_for: str) -> T:
    """Call `condition` until it returns something true, and return that; AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while not (outcome := condition()):
        if time.monotonic() >= deadline:
            raise AssertionError(f"still waiting for {waiting_for} after {timeout:g} s")
        time.sleep(interval)
    return outcome


# `timeout` as in `wait_until`: turning the deadline into a failure that says what never came is the point.
@overload
async def wait_until_async(
    condition: Callable[[], Awaitable[T | None]],
    *,
    timeout: float,  # noqa: ASYNC109
    interval: float = ...,
    waiting_for: str,
) -> T: ...


@overload
async def wait_until_async(
    condition: Callable[[], T | None],
    *,
    timeout: float,  # noqa: ASYNC109
    interval: float = ...,
    waiting_for: str,
) -> T: ...


async def wait_until_async(
    condition: Callable[[], Any],
    *,
    timeout: float,  # noqa: ASYNC109
    interval: float = 0.01,
    waiting_for: str,
) -> Any:
    """`wait_until` inside an event loop: the condition may be awaitable; other tasks run between looks."""
    deadline = time.monotonic() + timeout
    while True:
        outcome = condition()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return outcome
        if time.monotonic() >= deadline:
            raise AssertionError(f"still waiting for {waiting_for} after {timeout:g} s")
        await asyncio.sleep(interval)
