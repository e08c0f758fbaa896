"""What a long Responses conversation costs the response store, on SQLite.

    python -m benchmarks.stored_conversations [--turns 100] [--tool-output 2000] [--answer 600]

Makes one conversation of `turns` responses, each continuing the one before with
`previous_response_id` (a tool output in, an answer out), through the gateway's own store and
its batched writer, and prints the bytes stored, the CPU of the last ten turns (the conversation
read back, the new turn stored) and the time to read the last conversation from the database
alone (another process continuing it), the median of a few reads.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from filters.review_crypto import AnswerCipher
from gateway.core.db import create_database_engine
from gateway.core.migrate import upgrade_database
from gateway.core.types import Principal
from gateway.ledger.writer import LedgerWriter
from gateway.proxy.stored_responses import STORED_RESPONSES_TABLE, History, ResponseStore, new_response_id

READS = 11
TEAM = Principal(team_id=1, team_name="bench", key_id=1, key_prefix="sk-gw-bench")


async def run(turns: int, tool_output: int, answer: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="stored-conversations-"))
    url = f"sqlite:///{folder}/bench.db"
    upgrade_database(url)
    engine = create_database_engine(url)
    cipher = AnswerCipher([AnswerCipher.new_key()])
    writer = LedgerWriter(engine, folder / "spill", table=STORED_RESPONSES_TABLE, linger=0.0)
    await writer.start()
    store = ResponseStore(engine, writer, cipher, timedelta(days=30))
    history: History | None = None
    cpu: list[float] = []
    for number in range(turns):
        started = time.process_time()
        if history is not None:
            history = await store.history(TEAM, history.previous_id)
        response_id = new_response_id()
        output = [{"type": "message", "content": [{"type": "output_text", "text": "a" * answer}]}]
        turn = [
            {"role": "tool", "tool_call_id": f"call_{number}", "content": "t" * tool_output},
            {"role": "assistant", "content": "a" * answer},
        ]
        store.save(TEAM, {"id": response_id, "object": "response", "output": output}, turn, history)
        history = History(response_id, history.root_id if history else response_id, [])
        cpu.append(time.process_time() - started)
    await writer.drained()
    assert history is not None
    reads: list[float] = []
    for _ in range(READS):
        elsewhere = ResponseStore(engine, writer, cipher, timedelta(days=30))  # remembers nothing
        started = time.perf_counter()
        read = await elsewhere.history(TEAM, history.previous_id)
        reads.append(time.perf_counter() - started)
    with engine.connect() as connection:
        stored = connection.execute(
            text("SELECT sum(length(conversation)) + sum(length(response)) FROM stored_responses")
        ).scalar_one()
    await writer.close()
    engine.dispose()
    print(f"{turns} turns ({tool_output}-character tool outputs, {answer}-character answers):")
    print(f"  stored: {stored / 1e6:.2f} MB in {turns} rows ({len(read.messages)} messages read back)")
    print(f"  last 10 turns, conversation read and turn stored: {sum(cpu[-10:]) / 10 * 1e3:.2f} ms CPU each")
    median = statistics.median(reads) * 1e3
    print(f"  the whole conversation read from the database: {median:.2f} ms (median of {READS})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--tool-output", type=int, default=2000)
    parser.add_argument("--answer", type=int, default=600)
    args = parser.parse_args()
    asyncio.run(run(args.turns, args.tool_output, args.answer))


if __name__ == "__main__":
    main()
