"""The script batcher: the calls of one event-loop turn share one round trip; settles may wait for it."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from redis.asyncio import BlockingConnectionPool, Connection, Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from gateway.core.redis import create_redis
from gateway.limits.script_batch import ScriptBatcher
from gateway.limits.scripts import LuaScript

REDIS_URL = "redis://127.0.0.1:6379/0"
INCR = LuaScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
FAIL = LuaScript("return redis.error_reply('no such thing')")

pytestmark = [pytest.mark.anyio, pytest.mark.redis]


class CountingConnection(Connection):
    """A connection that counts the writes of scripts it makes: one per round trip."""

    writes = 0

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        data = command if isinstance(command, bytes) else b"".join(command)
        if b"EVALSHA" in data:
            CountingConnection.writes += 1
        await super().send_packed_command(command, check_health)


@pytest.fixture
async def redis() -> Any:
    CountingConnection.writes = 0
    pool = BlockingConnectionPool.from_url(REDIS_URL, connection_class=CountingConnection, socket_timeout=1.0)
    client = Redis.from_pool(pool)
    yield client
    await client.aclose()


@pytest.fixture
def key() -> str:
    return f"test-batch-{uuid.uuid4().hex}"


async def test_the_calls_of_one_turn_go_out_in_one_round_trip_and_each_gets_its_own_reply(
    redis: Redis, key: str
) -> None:
    batcher = ScriptBatcher(redis)
    replies = await asyncio.gather(*(batcher.run(INCR, [key], [step]) for step in (1, 10, 100)))
    assert CountingConnection.writes == 1
    assert replies == [1, 11, 111]  # run one after the other, in Redis, in the order sent
    assert await redis.get(key) == b"111"
    await redis.delete(key)


async def test_a_call_nobody_hurries_rides_along_with_the_next_urgent_one(redis: Redis, key: str) -> None:
    batcher = ScriptBatcher(redis, linger_seconds=10)  # longer than the test: only the urgent call sends it
    settle = asyncio.ensure_future(batcher.run(INCR, [key], [5], urgent=False))
    await asyncio.sleep(0.05)  # an urgent call would have left by now: this one must still wait
    assert not settle.done()
    assert await batcher.run(INCR, [key], [1]) == 6
    assert await settle == 5
    assert CountingConnection.writes == 1
    await redis.delete(key)


async def test_a_call_nobody_hurries_leaves_after_the_linger(redis: Redis, key: str) -> None:
    batcher = ScriptBatcher(redis, linger_seconds=0.01)
    assert await asyncio.wait_for(batcher.run(INCR, [key], [3], urgent=False), 1) == 3
    await redis.delete(key)


async def test_a_failing_script_fails_its_own_caller_only(redis: Redis, key: str) -> None:
    batcher = ScriptBatcher(redis)
    failed, passed = await asyncio.gather(
        batcher.run(FAIL, [key], []), batcher.run(INCR, [key], [2]), return_exceptions=True
    )  # type: Any, Any
    assert "no such thing" in str(failed)
    assert passed == 2
    await redis.delete(key)


async def test_a_connection_that_broke_while_idle_is_replaced_without_failing_the_callers(
    redis: Redis, key: str
) -> None:
    batcher = ScriptBatcher(redis)
    assert await batcher.run(INCR, [key], [1]) == 1
    await redis.execute_command("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")  # as a Redis restart would
    assert await batcher.run(INCR, [key], [1]) == 2
    await batcher.close()
    await redis.delete(key)


async def test_a_script_unknown_to_redis_is_sent_by_eval(redis: Redis, key: str) -> None:
    script = LuaScript(f"return redis.call('INCRBY', KEYS[1], ARGV[1]) -- {key}")  # not in Redis' cache yet
    batcher = ScriptBatcher(redis)
    assert await batcher.run(script, [key], [4]) == 4
    assert await batcher.run(script, [key], [4]) == 8  # the EVAL cached it: EVALSHA finds it now
    await redis.delete(key)


async def test_arguments_other_than_text_and_integers_are_refused_to_their_caller_only(redis: Redis, key: str) -> None:
    batcher = ScriptBatcher(redis)
    bad, good = await asyncio.gather(
        batcher.run(INCR, [key], [1.5]),  # type: ignore[list-item]  # a float would be cut
        batcher.run(INCR, [key], [2]),
        return_exceptions=True,
    )  # type: Any, Any
    assert isinstance(bad, TypeError)
    assert good == 2
    await redis.delete(key)


async def test_a_caller_that_left_before_the_batch_was_sent_runs_nothing(redis: Redis, key: str) -> None:
    batcher = ScriptBatcher(redis)
    gone = asyncio.ensure_future(batcher.run(INCR, [key], [7]))
    await asyncio.sleep(0)  # the call is queued, the batch not yet sent
    gone.cancel()
    assert await batcher.run(INCR, [key], [1]) == 1
    assert gone.cancelled()


async def test_every_caller_of_a_batch_hears_that_redis_is_away() -> None:
    client = create_redis("redis://127.0.0.1:1/0", timeout_seconds=0.2)  # nothing listens there
    batcher = ScriptBatcher(client)
    outcomes = await asyncio.gather(*(batcher.run(INCR, ["k"], [1]) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(outcome, RedisConnectionError) for outcome in outcomes), outcomes
    await client.aclose()
