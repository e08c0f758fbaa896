"""RPM and TPM per key and per team, with OpenAI's headers, on both backends."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.engine import Engine

from gateway.core.errors import RateLimited
from gateway.limits.admin import set_rate_limit
from gateway.limits.outcome import format_reset
from gateway.limits.rules import LimitRequest

pytestmark = pytest.mark.anyio


def _request(tokens: int = 10) -> LimitRequest:
    return LimitRequest(team_id=1, key_id=10, key_prefix="sk-gw-test", tokens=tokens)


async def test_rpm_admits_the_limit_then_refuses_with_openais_headers(engine: Engine, make_backend: Any) -> None:
    set_rate_limit(engine, "key", 10, rpm=3, tpm=None)
    limits = make_backend()
    remaining = []
    for _ in range(3):
        reservation = await limits.reserve(_request())
        remaining.append(reservation.headers["x-ratelimit-remaining-requests"])
        assert reservation.headers["x-ratelimit-limit-requests"] == "3"
    assert remaining == ["2", "1", "0"]
    with pytest.raises(RateLimited) as refused:
        await limits.reserve(_request())
    error = refused.value
    assert (error.status_code, error.code, error.error_type) == (429, "rate_limit_exceeded", "requests")
    assert error.headers["retry-after"] == "20"  # one request's share of the minute
    assert error.headers["x-ratelimit-remaining-requests"] == "0"
    assert error.headers["x-ratelimit-reset-requests"] == "1m0s"
    assert "Limit 3, Used 3, Requested 1" in error.message


async def test_a_request_is_admitted_again_once_its_share_of_the_minute_passed(
    engine: Engine, make_backend: Any, clock: Any
) -> None:
    set_rate_limit(engine, "key", 10, rpm=3, tpm=None)
    limits = make_backend()
    for _ in range(3):
        await limits.reserve(_request())
    clock.advance(seconds=19.9)
    with pytest.raises(RateLimited):
        await limits.reserve(_request())
    clock.advance(seconds=0.1)
    reservation = await limits.reserve(_request())
    assert reservation.headers["x-ratelimit-remaining-requests"] == "0"


async def test_tpm_counts_prompt_and_max_tokens_and_settling_gives_back_the_unused(
    engine: Engine, make_backend: Any
) -> None:
    set_rate_limit(engine, "team", 1, rpm=None, tpm=1000)
    limits = make_backend()
    first = await limits.reserve(_request(tokens=600))
    assert first.headers["x-ratelimit-limit-tokens"] == "1000"
    assert first.headers["x-ratelimit-remaining-tokens"] == "400"
    with pytest.raises(RateLimited) as refused:
        await limits.reserve(_request(tokens=600))
    assert refused.value.headers["x-ratelimit-remaining-tokens"] == "400"
    assert refused.value.headers["retry-after"] == "12"  # 200 tokens at 1000 per minute
    await limits.settle(first, 0, 100)  # the answer was short: 500 tokens come back
    second = await limits.reserve(_request(tokens=600))
    assert second.headers["x-ratelimit-remaining-tokens"] == "300"


async def test_a_request_larger_than_the_whole_tpm_is_refused_as_too_large(engine: Engine, make_backend: Any) -> None:
    set_rate_limit(engine, "key", 10, rpm=None, tpm=100)
    limits = make_backend()
    with pytest.raises(RateLimited) as refused:
        await limits.reserve(_request(tokens=101))
    assert "Request too large" in refused.value.message
    assert "retry-after" not in refused.value.headers


async def test_the_tighter_of_team_and_key_limits_is_reported(engine: Engine, make_backend: Any) -> None:
    set_rate_limit(engine, "team", 1, rpm=100, tpm=None)
    set_rate_limit(engine, "key", 10, rpm=5, tpm=None)
    limits = make_backend()
    reservation = await limits.reserve(_request())
    assert reservation.headers["x-ratelimit-limit-requests"] == "5"
    assert reservation.headers["x-ratelimit-remaining-requests"] == "4"


async def test_a_refused_request_uses_up_nothing(engine: Engine, make_backend: Any) -> None:
    set_rate_limit(engine, "key", 10, rpm=1, tpm=None)
    set_rate_limit(engine, "team", 1, rpm=10, tpm=None)
    limits = make_backend()
    await limits.reserve(_request())
    for _ in range(5):
        with pytest.raises(RateLimited):
            await limits.reserve(_request())
    assert int(set_rate_limit(engine, "key", 10, rpm=None, tpm=None).id or 0)  # key limit lifted
    reservation = await limits.reserve(_request())
    assert reservation.headers["x-ratelimit-remaining-requests"] == "8"  # the team saw two requests, not seven


async def test_no_limits_means_no_headers(make_backend: Any) -> None:
    reservation = await make_backend().reserve(_request())
    assert reservation.headers == {}


def test_reset_durations_use_openais_format() -> None:
    assert [format_reset(s) for s in (0.0201, 1, 1.5, 60, 86.4, 360)] == [
        "21ms",
        "1s",
        "1.5s",
        "1m0s",
        "1m26.4s",
        "6m0s",
    ]
